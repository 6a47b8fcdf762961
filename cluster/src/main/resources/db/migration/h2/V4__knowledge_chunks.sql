-- Knowledge base: every chunk of every indexed document version with its embedding (the source of truth the
-- search indexes are rebuilt from), and which version of each document is published.
-- chunk_id is unique only within a tenant's collection (document ids are derived from the collection and the file
-- name, and collection ids may repeat across tenants), so the key carries the tenant and the collection.
CREATE TABLE kb_chunks (
  tenant_id VARCHAR(128) NOT NULL,
  collection_id VARCHAR(128) NOT NULL,
  chunk_id VARCHAR(255) NOT NULL,
  document_id VARCHAR(128) NOT NULL,
  version INTEGER NOT NULL,
  position INTEGER NOT NULL,
  -- JSON array of strings, outermost heading first; unbounded in practice, like text (TEXT on PostgreSQL).
  heading_path VARCHAR(1000000) NOT NULL,
  text VARCHAR(1000000) NOT NULL,
  tokens INTEGER NOT NULL,
  -- dimension float32 values, little-endian, L2-normalised.
  embedding VARBINARY(1000000) NOT NULL,
  dimension INTEGER NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, collection_id, chunk_id)
);
-- Serves version streams and the keyset pages of a rebuild, in position order.
CREATE INDEX kb_chunks_version ON kb_chunks (tenant_id, collection_id, document_id, version, position, chunk_id);

CREATE TABLE kb_published (
  tenant_id VARCHAR(128) NOT NULL,
  collection_id VARCHAR(128) NOT NULL,
  document_id VARCHAR(128) NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, collection_id, document_id)
);
