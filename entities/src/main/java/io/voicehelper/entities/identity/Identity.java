package io.voicehelper.entities.identity;

import java.time.Instant;
import java.util.Set;

/** The records of the identity model: what {@link IdentityStore} keeps and {@link Accounts} answers with. */
public final class Identity {

  private Identity() {}

  /** A customer organisation; every other record and every conversation belongs to exactly one. */
  public record Tenant(String id, String name, Instant createdAt) {}

  /** A person who signs in; the email is unique across all tenants (it is the login). */
  public record User(String id, String tenantId, String email, Role role, boolean disabled, Instant createdAt) {}

  /**
   * A user as stored: with the password hash, the failed-login state, and the token version that access tokens
   * carry (bumped by logout, disabling and role changes, which revokes every access token issued before).
   */
  public record StoredUser(
      User user, String passwordHash, int failedLogins, Instant lockedUntil, int tokenVersion) {}

  /** A refresh token as stored: only its SHA-256, never the token. Tokens of one login form a family. */
  public record RefreshToken(
      String hash, String familyId, String userId, String tenantId, Instant createdAt, Instant expiresAt,
      Instant spentAt, Instant revokedAt) {}

  /** The outcome of spending a refresh token: {@code firstUse} is false when it had been spent before (a reuse). */
  public record Spend(RefreshToken token, boolean firstUse) {}

  /** An invitation to join a tenant with a role; stored by the SHA-256 of its token. */
  public record Invitation(
      String id, String tenantId, String email, Role role, String createdBy, Instant createdAt, Instant expiresAt,
      Instant acceptedAt) {}

  /** An integrator's API key, without its secret; {@code prefix} lets people tell keys apart. */
  public record ApiKey(
      String id, String tenantId, String name, String prefix, Set<Permission> permissions, String createdBy,
      Instant createdAt, Instant expiresAt, Instant revokedAt) {

    public boolean usableAt(Instant now) {
      return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
    }
  }

  /**
   * A security-relevant action: who ({@code actor}: a user id, an API key id, or the email tried at a failed login),
   * what ({@code action}, on {@code target}), when, and from where ({@code ip}). {@code tenantId} is null for
   * failed logins with an unknown email.
   */
  public record AuditEntry(
      String id, String tenantId, Instant at, String actor, String action, String target, String ip,
      String detail) {}

  /** Access tokens of a user with a version below {@code minTokenVersion} are revoked. */
  public record TokenRevocation(String userId, int minTokenVersion, Instant at) {}

  /** A key that signs access tokens (HMAC): generated and kept in the database when none is configured. */
  public record SigningKey(String kid, String algorithm, byte[] secret, Instant createdAt) {}

  /** What a successful sign-in, sign-up or refresh hands to the edge, which adds the access token. */
  public record Session(User user, Tenant tenant, int tokenVersion, String refreshToken, Instant refreshExpiresAt) {}

  /** Who performs an administrative action, and from where. */
  public record Actor(String tenantId, String id, Role role, String ip) {}

  /** A new invitation with its token, which is shown once. */
  public record CreatedInvitation(Invitation invitation, String token) {}

  /** A new API key with its secret, which is shown once. */
  public record CreatedApiKey(ApiKey key, String secret) {}

  /** A user with their tenant. */
  public record Account(User user, Tenant tenant) {}
}
