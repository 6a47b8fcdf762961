-- Offsets of pekko-projection-jdbc (h2-dialect, lower-case quoted names).
CREATE TABLE IF NOT EXISTS "pekko_projection_offset_store" (
  "projection_name" VARCHAR(255) NOT NULL,
  "projection_key" VARCHAR(255) NOT NULL,
  "current_offset" VARCHAR(255) NOT NULL,
  "manifest" VARCHAR(4) NOT NULL,
  "mergeable" BOOLEAN NOT NULL,
  "last_updated" BIGINT NOT NULL,
  PRIMARY KEY("projection_name", "projection_key")
);
CREATE INDEX IF NOT EXISTS "projection_name_index" ON "pekko_projection_offset_store" ("projection_name");

CREATE TABLE IF NOT EXISTS "pekko_projection_management" (
  "projection_name" VARCHAR(255) NOT NULL,
  "projection_key" VARCHAR(255) NOT NULL,
  "paused" BOOLEAN NOT NULL,
  "last_updated" BIGINT NOT NULL,
  PRIMARY KEY("projection_name", "projection_key")
);

-- The conversation list, fed by ConversationSummaryProjection.
CREATE TABLE conversation_summary (
  tenant_id VARCHAR(128) NOT NULL,
  conversation_id VARCHAR(64) NOT NULL,
  title VARCHAR(512) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  message_count INTEGER NOT NULL,
  last_message VARCHAR(512),
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX conversation_summary_recent ON conversation_summary (tenant_id, updated_at DESC);
