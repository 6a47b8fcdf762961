-- Each chunk carries the user metadata of its document version (a JSON object of strings, '{}' for none), so that an
-- index rebuilt or re-synced from this table can filter by it. Rows written before it existed had none.
ALTER TABLE kb_chunks ADD COLUMN metadata VARCHAR(100000) DEFAULT '{}' NOT NULL;
