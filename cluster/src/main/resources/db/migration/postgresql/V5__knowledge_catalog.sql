-- Collections of a tenant's knowledge base.
CREATE TABLE kb_collections (
  tenant_id VARCHAR(128) NOT NULL,
  collection_id VARCHAR(128) NOT NULL,
  name VARCHAR(200) NOT NULL,
  name_key VARCHAR(200) NOT NULL,
  created_by VARCHAR(128) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (tenant_id, collection_id),
  CONSTRAINT kb_collections_name UNIQUE (tenant_id, name_key)
);

-- The document list, fed by DocumentSummaryProjection from the DocumentEntity events.
CREATE TABLE kb_documents (
  tenant_id VARCHAR(128) NOT NULL,
  collection_id VARCHAR(128) NOT NULL,
  document_id VARCHAR(128) NOT NULL,
  name VARCHAR(512) NOT NULL,
  state VARCHAR(16) NOT NULL,
  latest_version INTEGER NOT NULL,
  published_version INTEGER NOT NULL,
  chunks INTEGER NOT NULL,
  size_bytes BIGINT NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (tenant_id, collection_id, document_id)
);
CREATE INDEX kb_documents_recent ON kb_documents (tenant_id, collection_id, updated_at DESC);
