package io.voicehelper.edge.http.auth;

import io.voicehelper.entities.identity.Identity;
import io.voicehelper.entities.identity.Permission;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** The wire format of the auth and admin API (kept apart from the identity records, which are not a public format). */
final class AuthJson {

  private AuthJson() {}

  record TenantView(String id, String name) {
    static TenantView of(Identity.Tenant t) {
      return new TenantView(t.id(), t.name());
    }
  }

  record UserView(String id, String tenantId, String email, String role, boolean disabled, Instant createdAt) {
    static UserView of(Identity.User u) {
      return new UserView(u.id(), u.tenantId(), u.email(), u.role().wireName(), u.disabled(), u.createdAt());
    }
  }

  /** Answer to register, login, refresh and accept-invitation. */
  record Tokens(
      String accessToken,
      String refreshToken,
      String tokenType,
      long expiresIn,
      Instant refreshExpiresAt,
      UserView user,
      TenantView tenant) {}

  record Me(UserView user, TenantView tenant, List<String> permissions) {}

  record Users(List<UserView> items) {}

  record InvitationCreated(String id, String email, String role, String token, Instant expiresAt) {}

  record ApiKeyView(
      String id, String name, String prefix, List<String> permissions, String createdBy, Instant createdAt,
      Instant expiresAt, Instant revokedAt, String status) {
    static ApiKeyView of(Identity.ApiKey k, Instant now) {
      String status = k.revokedAt() != null ? "revoked" : k.usableAt(now) ? "active" : "expired";
      return new ApiKeyView(k.id(), k.name(), k.prefix(), names(k.permissions()), k.createdBy(), k.createdAt(),
          k.expiresAt(), k.revokedAt(), status);
    }
  }

  /** A new API key: {@code key} is the secret, shown this once. */
  record ApiKeyCreated(
      String id, String name, String key, String prefix, List<String> permissions, Instant createdAt,
      Instant expiresAt) {}

  record ApiKeys(List<ApiKeyView> items) {}

  record AuditView(String id, Instant at, String actor, String action, String target, String ip, String detail) {
    static AuditView of(Identity.AuditEntry e) {
      return new AuditView(e.id(), e.at(), e.actor(), e.action(), e.target(), e.ip(), e.detail());
    }
  }

  record Audit(List<AuditView> items) {}

  static List<String> names(Set<Permission> permissions) {
    return permissions.stream().map(Permission::wireName).sorted().toList();
  }
}
