package io.voicehelper.entities.identity;

import java.util.Optional;

/** Something a principal may do. The wire name ({@code conversations:read}) is what API keys and docs use. */
public enum Permission {
  CONVERSATIONS_READ("conversations:read"),
  CONVERSATIONS_WRITE("conversations:write"),
  USERS_READ("users:read"),
  USERS_MANAGE("users:manage"),
  INVITATIONS_MANAGE("invitations:manage"),
  API_KEYS_MANAGE("api-keys:manage"),
  AUDIT_READ("audit:read"),
  LIMITS_MANAGE("limits:manage"),
  KNOWLEDGE_READ("knowledge:read"),
  KNOWLEDGE_WRITE("knowledge:write");

  private final String wireName;

  Permission(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /**
   * Whether an API key may carry this permission: keys act on conversations and the knowledge base (an integration
   * that syncs documents from a CMS), never administer a tenant.
   */
  public boolean grantableToApiKey() {
    return this == CONVERSATIONS_READ || this == CONVERSATIONS_WRITE || this == KNOWLEDGE_READ
        || this == KNOWLEDGE_WRITE;
  }

  public static Optional<Permission> fromWireName(String name) {
    for (Permission p : values()) if (p.wireName.equals(name)) return Optional.of(p);
    return Optional.empty();
  }
}
