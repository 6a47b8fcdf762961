package io.voicehelper.entities.identity;

import io.voicehelper.entities.identity.Identity.ApiKey;
import io.voicehelper.entities.identity.Identity.AuditEntry;
import io.voicehelper.entities.identity.Identity.Invitation;
import io.voicehelper.entities.identity.Identity.RefreshToken;
import io.voicehelper.entities.identity.Identity.SigningKey;
import io.voicehelper.entities.identity.Identity.Spend;
import io.voicehelper.entities.identity.Identity.StoredUser;
import io.voicehelper.entities.identity.Identity.Tenant;
import io.voicehelper.entities.identity.Identity.TokenRevocation;
import io.voicehelper.entities.identity.Identity.User;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Port to where tenants, users, tokens, keys and the audit log are kept (the journal database). Every read of a
 * tenant's data takes the tenant id; the store never answers across tenants. Operations that must not race
 * (spending a refresh token, counting failed logins, accepting an invitation) are atomic in the store.
 */
public interface IdentityStore {

  /** Creates a tenant and its owner; fails with {@link IdentityRejection.Reason#EMAIL_TAKEN} for a known email. */
  CompletionStage<Void> createTenant(Tenant tenant, StoredUser owner);

  /**
   * Marks the invitation accepted and creates its user, atomically; fails with {@code INVALID_TOKEN} if it was
   * accepted already and {@code EMAIL_TAKEN} for a known email.
   */
  CompletionStage<Void> acceptInvitation(String invitationId, StoredUser user, Instant now);

  CompletionStage<Optional<Tenant>> tenant(String tenantId);

  /** By email (already lower-cased). */
  CompletionStage<Optional<StoredUser>> userByEmail(String email);

  CompletionStage<Optional<StoredUser>> user(String tenantId, String userId);

  CompletionStage<List<User>> users(String tenantId);

  /** Counts a failed login; at {@code maxFailures} the account is locked until {@code lockUntil}, the count reset. */
  CompletionStage<Void> loginFailed(String userId, int maxFailures, Instant lockUntil);

  CompletionStage<Void> loginSucceeded(String userId);

  /**
   * Changes role and/or disabled (null: unchanged) of a user of the tenant and bumps their token version, so that
   * access tokens with the old role stop working. Empty when the tenant has no such user.
   */
  CompletionStage<Optional<StoredUser>> updateUser(
      String tenantId, String userId, Role role, Boolean disabled, Instant now);

  /** Bumps the user's token version: every access token issued before is revoked. */
  CompletionStage<Void> revokeAccessTokens(String userId, Instant now);

  /** Users whose access tokens were revoked at or after {@code since}. */
  CompletionStage<List<TokenRevocation>> revocationsSince(Instant since);

  CompletionStage<Void> insertRefreshToken(RefreshToken token);

  /** Marks the token spent if it was not; empty for an unknown hash. */
  CompletionStage<Optional<Spend>> spendRefreshToken(String hash, Instant now);

  CompletionStage<Void> revokeRefreshFamily(String familyId, Instant now);

  CompletionStage<Void> insertInvitation(Invitation invitation, String tokenHash);

  CompletionStage<Optional<Invitation>> invitationByTokenHash(String tokenHash);

  CompletionStage<Void> insertApiKey(ApiKey key, String secretHash);

  CompletionStage<List<ApiKey>> apiKeys(String tenantId);

  /** Revokes a key of the tenant (idempotent); empty when the tenant has no such key. */
  CompletionStage<Optional<ApiKey>> revokeApiKey(String tenantId, String keyId, Instant now);

  CompletionStage<Optional<ApiKey>> apiKeyByHash(String secretHash);

  /** Secret hashes of keys revoked at or after {@code since}. */
  CompletionStage<List<String>> apiKeysRevokedSince(Instant since);

  CompletionStage<Void> appendAudit(AuditEntry entry);

  /** The tenant's newest audit entries first. */
  CompletionStage<List<AuditEntry>> audit(String tenantId, int limit);

  /** The stored signing key, or {@code candidate} after storing it when there is none (first node wins). */
  CompletionStage<SigningKey> signingKey(SigningKey candidate);
}
