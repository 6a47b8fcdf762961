-- Identity: tenants, users, refresh tokens, invitations, API keys, the audit log and the generated signing key.
-- Secrets are never stored: refresh tokens, invitation tokens and API keys by SHA-256, passwords by Argon2id.
CREATE TABLE tenants (
  id VARCHAR(36) PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE users (
  id VARCHAR(36) PRIMARY KEY,
  tenant_id VARCHAR(36) NOT NULL REFERENCES tenants (id),
  email VARCHAR(254) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  role VARCHAR(16) NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until TIMESTAMP WITH TIME ZONE,
  -- Access tokens carry the version they were issued at; logout, disabling and role changes bump it.
  token_version INTEGER NOT NULL DEFAULT 0,
  tokens_revoked_at TIMESTAMP WITH TIME ZONE,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT users_email_unique UNIQUE (email)
);
CREATE INDEX users_tenant ON users (tenant_id);
CREATE INDEX users_tokens_revoked ON users (tokens_revoked_at);

CREATE TABLE refresh_tokens (
  token_hash VARCHAR(64) PRIMARY KEY,
  family_id VARCHAR(36) NOT NULL,
  user_id VARCHAR(36) NOT NULL REFERENCES users (id),
  tenant_id VARCHAR(36) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  spent_at TIMESTAMP WITH TIME ZONE,
  revoked_at TIMESTAMP WITH TIME ZONE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE invitations (
  id VARCHAR(36) PRIMARY KEY,
  tenant_id VARCHAR(36) NOT NULL REFERENCES tenants (id),
  email VARCHAR(254) NOT NULL,
  role VARCHAR(16) NOT NULL,
  token_hash VARCHAR(64) NOT NULL,
  created_by VARCHAR(36) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  accepted_at TIMESTAMP WITH TIME ZONE,
  CONSTRAINT invitations_token_unique UNIQUE (token_hash)
);

CREATE TABLE api_keys (
  id VARCHAR(36) PRIMARY KEY,
  tenant_id VARCHAR(36) NOT NULL REFERENCES tenants (id),
  name VARCHAR(200) NOT NULL,
  prefix VARCHAR(16) NOT NULL,
  secret_hash VARCHAR(64) NOT NULL,
  permissions VARCHAR(500) NOT NULL,
  created_by VARCHAR(36) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE,
  revoked_at TIMESTAMP WITH TIME ZONE,
  CONSTRAINT api_keys_secret_unique UNIQUE (secret_hash)
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
CREATE INDEX api_keys_revoked ON api_keys (revoked_at);

CREATE TABLE audit_log (
  id VARCHAR(36) PRIMARY KEY,
  -- Null for failed logins with an unknown email.
  tenant_id VARCHAR(36),
  at TIMESTAMP WITH TIME ZONE NOT NULL,
  actor VARCHAR(254),
  action VARCHAR(64) NOT NULL,
  target VARCHAR(254),
  ip VARCHAR(64),
  detail VARCHAR(500)
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);

-- The access-token signing key generated when none is configured (voicehelper.auth.tokens.keys): one row, shared by
-- every node. Development only; production configures its keys.
CREATE TABLE signing_keys (
  purpose VARCHAR(16) PRIMARY KEY,
  kid VARCHAR(64) NOT NULL,
  algorithm VARCHAR(16) NOT NULL,
  secret VARCHAR(200) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL
);
