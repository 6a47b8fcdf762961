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
import io.voicehelper.entities.identity.IdentityRejection.Reason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * An {@link IdentityStore} in memory for tests of the accounts rules and of the edge; one lock makes every operation
 * atomic, as the database's transactions do. Counts its calls, so tests can prove that no backend work happened.
 */
public final class InMemoryIdentityStore implements IdentityStore {

  private final Map<String, Tenant> tenants = new HashMap<>();
  private final Map<String, StoredUser> users = new LinkedHashMap<>();
  private final Map<String, Instant> revokedAt = new HashMap<>();
  private final Map<String, RefreshToken> refreshTokens = new HashMap<>();
  private final Map<String, Invitation> invitations = new HashMap<>(); // by token hash
  private final Map<String, ApiKey> apiKeys = new LinkedHashMap<>(); // by secret hash
  private final List<AuditEntry> audit = new ArrayList<>();
  private SigningKey signingKey;
  /** Calls of any operation. */
  public final AtomicInteger calls = new AtomicInteger();

  private synchronized <T> CompletionStage<T> run(Supplier<T> operation) {
    calls.incrementAndGet();
    try {
      return CompletableFuture.completedFuture(operation.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<Void> runVoid(Runnable operation) {
    return run(() -> {
      operation.run();
      return null;
    });
  }

  private boolean emailTaken(String email) {
    return users.values().stream().anyMatch(u -> u.user().email().equals(email));
  }

  @Override
  public CompletionStage<Void> createTenant(Tenant tenant, StoredUser owner) {
    return runVoid(() -> {
      if (emailTaken(owner.user().email())) throw new IdentityRejection(Reason.EMAIL_TAKEN, "email taken");
      tenants.put(tenant.id(), tenant);
      users.put(owner.user().id(), owner);
    });
  }

  @Override
  public CompletionStage<Void> acceptInvitation(String invitationId, StoredUser user, Instant now) {
    return runVoid(() -> {
      Map.Entry<String, Invitation> entry = invitations.entrySet().stream()
          .filter(e -> e.getValue().id().equals(invitationId)).findFirst().orElseThrow();
      if (entry.getValue().acceptedAt() != null) throw new IdentityRejection(Reason.INVALID_TOKEN, "used");
      if (emailTaken(user.user().email())) throw new IdentityRejection(Reason.EMAIL_TAKEN, "email taken");
      Invitation i = entry.getValue();
      entry.setValue(new Invitation(i.id(), i.tenantId(), i.email(), i.role(), i.createdBy(), i.createdAt(),
          i.expiresAt(), now));
      users.put(user.user().id(), user);
    });
  }

  @Override
  public CompletionStage<Optional<Tenant>> tenant(String tenantId) {
    return run(() -> Optional.ofNullable(tenants.get(tenantId)));
  }

  @Override
  public CompletionStage<Optional<StoredUser>> userByEmail(String email) {
    return run(() -> users.values().stream().filter(u -> u.user().email().equals(email)).findFirst());
  }

  @Override
  public CompletionStage<Optional<StoredUser>> user(String tenantId, String userId) {
    return run(() -> Optional.ofNullable(users.get(userId)).filter(u -> u.user().tenantId().equals(tenantId)));
  }

  @Override
  public CompletionStage<List<User>> users(String tenantId) {
    return run(() -> users.values().stream().map(StoredUser::user).filter(u -> u.tenantId().equals(tenantId))
        .toList());
  }

  @Override
  public CompletionStage<Void> loginFailed(String userId, int maxFailures, Instant lockUntil) {
    return runVoid(() -> {
      StoredUser u = users.get(userId);
      int failures = u.failedLogins() + 1;
      users.put(userId, failures >= maxFailures
          ? new StoredUser(u.user(), u.passwordHash(), 0, lockUntil, u.tokenVersion())
          : new StoredUser(u.user(), u.passwordHash(), failures, u.lockedUntil(), u.tokenVersion()));
    });
  }

  @Override
  public CompletionStage<Void> loginSucceeded(String userId) {
    return runVoid(() -> {
      StoredUser u = users.get(userId);
      users.put(userId, new StoredUser(u.user(), u.passwordHash(), 0, null, u.tokenVersion()));
    });
  }

  @Override
  public CompletionStage<Optional<StoredUser>> updateUser(
      String tenantId, String userId, Role role, Boolean disabled, Instant now) {
    return run(() -> {
      StoredUser u = users.get(userId);
      if (u == null || !u.user().tenantId().equals(tenantId)) return Optional.empty();
      User before = u.user();
      User after = new User(before.id(), before.tenantId(), before.email(), role == null ? before.role() : role,
          disabled == null ? before.disabled() : disabled, before.createdAt());
      StoredUser updated = new StoredUser(after, u.passwordHash(), u.failedLogins(), u.lockedUntil(),
          u.tokenVersion() + 1);
      users.put(userId, updated);
      revokedAt.put(userId, now);
      return Optional.of(updated);
    });
  }

  @Override
  public CompletionStage<Void> revokeAccessTokens(String userId, Instant now) {
    return runVoid(() -> {
      StoredUser u = users.get(userId);
      users.put(userId, new StoredUser(u.user(), u.passwordHash(), u.failedLogins(), u.lockedUntil(),
          u.tokenVersion() + 1));
      revokedAt.put(userId, now);
    });
  }

  @Override
  public CompletionStage<List<TokenRevocation>> revocationsSince(Instant since) {
    return run(() -> revokedAt.entrySet().stream()
        .filter(e -> !e.getValue().isBefore(since))
        .map(e -> new TokenRevocation(e.getKey(), users.get(e.getKey()).tokenVersion(), e.getValue()))
        .toList());
  }

  @Override
  public CompletionStage<Void> insertRefreshToken(RefreshToken token) {
    return runVoid(() -> refreshTokens.put(token.hash(), token));
  }

  @Override
  public CompletionStage<Optional<Spend>> spendRefreshToken(String hash, Instant now) {
    return run(() -> {
      RefreshToken t = refreshTokens.get(hash);
      if (t == null) return Optional.empty();
      if (t.spentAt() != null) return Optional.of(new Spend(t, false));
      RefreshToken spent = new RefreshToken(t.hash(), t.familyId(), t.userId(), t.tenantId(), t.createdAt(),
          t.expiresAt(), now, t.revokedAt());
      refreshTokens.put(hash, spent);
      return Optional.of(new Spend(spent, true));
    });
  }

  @Override
  public CompletionStage<Void> revokeRefreshFamily(String familyId, Instant now) {
    return runVoid(() -> refreshTokens.replaceAll((hash, t) -> t.familyId().equals(familyId) && t.revokedAt() == null
        ? new RefreshToken(t.hash(), t.familyId(), t.userId(), t.tenantId(), t.createdAt(), t.expiresAt(),
            t.spentAt(), now)
        : t));
  }

  @Override
  public CompletionStage<Void> insertInvitation(Invitation invitation, String tokenHash) {
    return runVoid(() -> invitations.put(tokenHash, invitation));
  }

  @Override
  public CompletionStage<Optional<Invitation>> invitationByTokenHash(String tokenHash) {
    return run(() -> Optional.ofNullable(invitations.get(tokenHash)));
  }

  @Override
  public CompletionStage<Void> insertApiKey(ApiKey key, String secretHash) {
    return runVoid(() -> apiKeys.put(secretHash, key));
  }

  @Override
  public CompletionStage<List<ApiKey>> apiKeys(String tenantId) {
    return run(() -> apiKeys.values().stream().filter(k -> k.tenantId().equals(tenantId)).toList());
  }

  @Override
  public CompletionStage<Optional<ApiKey>> revokeApiKey(String tenantId, String keyId, Instant now) {
    return run(() -> {
      for (Map.Entry<String, ApiKey> e : apiKeys.entrySet()) {
        ApiKey k = e.getValue();
        if (k.id().equals(keyId) && k.tenantId().equals(tenantId)) {
          if (k.revokedAt() == null) {
            k = new ApiKey(k.id(), k.tenantId(), k.name(), k.prefix(), k.permissions(), k.createdBy(),
                k.createdAt(), k.expiresAt(), now);
            e.setValue(k);
          }
          return Optional.of(k);
        }
      }
      return Optional.empty();
    });
  }

  @Override
  public CompletionStage<Optional<ApiKey>> apiKeyByHash(String secretHash) {
    return run(() -> Optional.ofNullable(apiKeys.get(secretHash)));
  }

  @Override
  public CompletionStage<List<String>> apiKeysRevokedSince(Instant since) {
    return run(() -> apiKeys.entrySet().stream()
        .filter(e -> e.getValue().revokedAt() != null && !e.getValue().revokedAt().isBefore(since))
        .map(Map.Entry::getKey)
        .toList());
  }

  @Override
  public CompletionStage<Void> appendAudit(AuditEntry entry) {
    return runVoid(() -> audit.add(entry));
  }

  @Override
  public CompletionStage<List<AuditEntry>> audit(String tenantId, int limit) {
    return run(() -> audit.stream()
        .filter(e -> tenantId.equals(e.tenantId()))
        .sorted(Comparator.comparing(AuditEntry::at).reversed())
        .limit(limit)
        .toList());
  }

  @Override
  public CompletionStage<SigningKey> signingKey(SigningKey candidate) {
    return run(() -> {
      if (signingKey == null) signingKey = candidate;
      return signingKey;
    });
  }

  /** Every audit entry, of all tenants, oldest first. */
  public synchronized List<AuditEntry> allAudit() {
    return List.copyOf(audit);
  }
}
