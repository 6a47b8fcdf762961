package io.voicehelper.entities.identity;

import io.voicehelper.entities.identity.Identity.Account;
import io.voicehelper.entities.identity.Identity.Actor;
import io.voicehelper.entities.identity.Identity.ApiKey;
import io.voicehelper.entities.identity.Identity.AuditEntry;
import io.voicehelper.entities.identity.Identity.CreatedApiKey;
import io.voicehelper.entities.identity.Identity.CreatedInvitation;
import io.voicehelper.entities.identity.Identity.Invitation;
import io.voicehelper.entities.identity.Identity.RefreshToken;
import io.voicehelper.entities.identity.Identity.Session;
import io.voicehelper.entities.identity.Identity.StoredUser;
import io.voicehelper.entities.identity.Identity.Tenant;
import io.voicehelper.entities.identity.Identity.TokenRevocation;
import io.voicehelper.entities.identity.Identity.User;
import io.voicehelper.entities.identity.IdentityRejection.Reason;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * Tenants, users and their credentials: sign-up, sign-in with lockout, refresh-token rotation with reuse detection,
 * invitations, user and API-key administration, and the audit log of it all. The rules live here; the data lives
 * behind {@link IdentityStore} and passwords go through {@link PasswordHasher}. Access tokens are the edge's business:
 * a {@link Session} carries what they need.
 *
 * <p>Failures are {@link IdentityRejection}s. A sign-in answers the same {@code INVALID_CREDENTIALS} for an unknown
 * email, a wrong password, a locked and a disabled account, after the same password-hashing work.
 */
public final class Accounts {

  /** Audit actions. */
  public static final String REGISTERED = "tenant.registered";
  public static final String LOGIN_SUCCEEDED = "login.succeeded";
  public static final String LOGIN_FAILED = "login.failed";
  public static final String LOGOUT = "logout";
  public static final String REFRESH_REUSED = "refresh-token.reused";
  public static final String ROLE_CHANGED = "user.role-changed";
  public static final String USER_DISABLED = "user.disabled";
  public static final String USER_ENABLED = "user.enabled";
  public static final String INVITATION_CREATED = "invitation.created";
  public static final String INVITATION_ACCEPTED = "invitation.accepted";
  public static final String API_KEY_CREATED = "api-key.created";
  public static final String API_KEY_REVOKED = "api-key.revoked";

  /** Prefix of API keys, so that they can be told from access tokens in {@code Authorization: Bearer}. */
  public static final String API_KEY_PREFIX = "vh_";

  private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");
  private static final int MAX_EMAIL = 254;
  private static final int MAX_NAME = 100;
  private static final int MAX_AUDIT = 500;

  private final IdentityStore store;
  private final PasswordHasher hasher;
  private final AccountsSettings settings;
  private final Clock clock;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Accounts.class);

  private final java.util.function.BiConsumer<String, String> onTenantCreated;
  /** A hash verified against when there is no user, so that unknown emails cost as much as known ones. */
  private final CompletableFuture<String> decoyHash;

  public Accounts(IdentityStore store, PasswordHasher hasher, AccountsSettings settings, Clock clock) {
    this(store, hasher, settings, clock, (tenantId, ownerId) -> {});
  }

  /**
   * @param onTenantCreated told the new tenant's id and its owner's user id after a sign-up succeeded (for example to
   *     give the tenant its sample knowledge base); it must not block, and its failures do not fail the sign-up
   */
  public Accounts(IdentityStore store, PasswordHasher hasher, AccountsSettings settings, Clock clock,
      java.util.function.BiConsumer<String, String> onTenantCreated) {
    this.onTenantCreated = onTenantCreated;
    this.store = store;
    this.hasher = hasher;
    this.settings = settings;
    this.clock = clock;
    this.decoyHash = hasher.hash(Secrets.random(24)).toCompletableFuture();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Signing up and in

  /** Creates a tenant and its owner, and signs the owner in. */
  public CompletionStage<Session> register(String tenantName, String email, String password, String ip) {
    String name = text("tenantName", tenantName, MAX_NAME);
    String login = email(email);
    checkPassword(password);
    Instant now = clock.instant();
    Tenant tenant = new Tenant(newId(), name, now);
    return hasher.hash(password).thenCompose(hash -> {
      User owner = new User(newId(), tenant.id(), login, Role.OWNER, false, now);
      return store.createTenant(tenant, new StoredUser(owner, hash, 0, null, 0))
          .thenCompose(done -> audit(tenant.id(), owner.id(), REGISTERED, tenant.id(), ip, name))
          .thenCompose(done -> {
            try {
              onTenantCreated.accept(tenant.id(), owner.id());
            } catch (RuntimeException e) {
              // A listener's failure is its own: the tenant exists and its owner gets signed in.
              LOG.warn("After creating tenant {}, its listener failed", tenant.id(), e);
            }
            return newSession(owner, tenant, 0, UUID.randomUUID().toString());
          });
    });
  }

  public CompletionStage<Session> login(String email, String password, String ip) {
    if (email == null || password == null || password.length() > settings.maxPasswordLength()) {
      return CompletableFuture.failedFuture(invalidCredentials());
    }
    String login = email.strip().toLowerCase(Locale.ROOT);
    Instant now = clock.instant();
    return store.userByEmail(login).thenCompose(found -> {
      if (found.isEmpty()) {
        return decoyHash.thenCompose(decoy -> hasher.matches(password, decoy))
            .thenCompose(ignored -> audit(null, login, LOGIN_FAILED, null, ip, "unknown email"))
            .thenCompose(done -> CompletableFuture.<Session>failedFuture(invalidCredentials()));
      }
      StoredUser stored = found.get();
      User user = stored.user();
      return hasher.matches(password, stored.passwordHash()).thenCompose(matches -> {
        boolean locked = stored.lockedUntil() != null && now.isBefore(stored.lockedUntil());
        if (locked) {
          return refuse(user, ip, "account locked until " + stored.lockedUntil());
        }
        if (!matches) {
          return store.loginFailed(user.id(), settings.maxFailedLogins(), now.plus(settings.lockout()))
              .thenCompose(done -> refuse(user, ip, "wrong password"));
        }
        if (user.disabled()) return refuse(user, ip, "account disabled");
        return store.loginSucceeded(user.id())
            .thenCompose(done -> store.tenant(user.tenantId()))
            .thenCompose(tenant -> audit(user.tenantId(), user.id(), LOGIN_SUCCEEDED, user.id(), ip, null)
                .thenCompose(done -> newSession(user, tenant.orElseThrow(), stored.tokenVersion(),
                    UUID.randomUUID().toString())));
      });
    });
  }

  private CompletionStage<Session> refuse(User user, String ip, String why) {
    return audit(user.tenantId(), user.email(), LOGIN_FAILED, user.id(), ip, why)
        .thenCompose(done -> CompletableFuture.failedFuture(invalidCredentials()));
  }

  /**
   * Replaces a refresh token with a new one of the same family. A token that was spent before is a sign of theft:
   * its whole family is revoked, so neither the thief nor the owner can go on without signing in again.
   */
  public CompletionStage<Session> refresh(String refreshToken, String ip) {
    if (refreshToken == null || refreshToken.isBlank() || refreshToken.length() > 200) {
      return CompletableFuture.failedFuture(invalidToken());
    }
    Instant now = clock.instant();
    return store.spendRefreshToken(Secrets.sha256(refreshToken), now).thenCompose(spend -> {
      if (spend.isEmpty()) return CompletableFuture.failedFuture(invalidToken());
      RefreshToken token = spend.get().token();
      if (!spend.get().firstUse()) {
        return store.revokeRefreshFamily(token.familyId(), now)
            .thenCompose(done -> token.revokedAt() != null ? CompletableFuture.<Void>completedFuture(null)
                : audit(token.tenantId(), token.userId(), REFRESH_REUSED, token.userId(), ip,
                    "a spent refresh token was presented again; its family is revoked"))
            .thenCompose(done -> CompletableFuture.failedFuture(invalidToken()));
      }
      if (token.revokedAt() != null || !now.isBefore(token.expiresAt())) {
        return CompletableFuture.failedFuture(invalidToken());
      }
      return store.user(token.tenantId(), token.userId()).thenCompose(found -> {
        if (found.isEmpty() || found.get().user().disabled()) {
          return store.revokeRefreshFamily(token.familyId(), now)
              .thenCompose(done -> CompletableFuture.failedFuture(invalidToken()));
        }
        StoredUser stored = found.get();
        return store.tenant(token.tenantId()).thenCompose(tenant ->
            newSession(stored.user(), tenant.orElseThrow(), stored.tokenVersion(), token.familyId()));
      });
    });
  }

  /**
   * Signs out: revokes the refresh token's family (when given and it is the actor's) and every access token of the
   * user issued so far (the edge learns of it within its revocation delay).
   */
  public CompletionStage<Void> logout(Actor actor, String refreshToken) {
    Instant now = clock.instant();
    CompletionStage<Void> family = CompletableFuture.completedFuture(null);
    if (refreshToken != null && !refreshToken.isBlank() && refreshToken.length() <= 200) {
      family = store.spendRefreshToken(Secrets.sha256(refreshToken), now).thenCompose(spend ->
          spend.isPresent() && spend.get().token().userId().equals(actor.id())
              ? store.revokeRefreshFamily(spend.get().token().familyId(), now)
              : CompletableFuture.completedFuture(null));
    }
    return family
        .thenCompose(done -> store.revokeAccessTokens(actor.id(), now))
        .thenCompose(done -> audit(actor.tenantId(), actor.id(), LOGOUT, actor.id(), actor.ip(), null));
  }

  /** The signed-in user and their tenant; NOT_FOUND once the user is gone. */
  public CompletionStage<Account> me(String tenantId, String userId) {
    return store.user(tenantId, userId).thenCompose(user -> store.tenant(tenantId).thenApply(tenant -> {
      if (user.isEmpty() || tenant.isEmpty()) throw new IdentityRejection(Reason.NOT_FOUND, "user");
      return new Account(user.get().user(), tenant.get());
    }));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Invitations

  /** Invites {@code email} into the actor's tenant with {@code role}; only an owner may invite an owner. */
  public CompletionStage<CreatedInvitation> invite(Actor actor, String email, String roleName) {
    String invitee = email(email);
    Role role = role(roleName);
    if (role == Role.OWNER && actor.role() != Role.OWNER) {
      throw new IdentityRejection(Reason.FORBIDDEN, "Only an owner can invite an owner.");
    }
    Instant now = clock.instant();
    String token = Secrets.random(32);
    Invitation invitation = new Invitation(newId(), actor.tenantId(), invitee, role, actor.id(), now,
        now.plus(settings.invitationTtl()), null);
    return store.insertInvitation(invitation, Secrets.sha256(token))
        .thenCompose(done -> audit(actor.tenantId(), actor.id(), INVITATION_CREATED, invitation.id(), actor.ip(),
            invitee + " as " + role.wireName()))
        .thenApply(done -> new CreatedInvitation(invitation, token));
  }

  /** Joins the invitation's tenant with its role and email, and signs the new user in. */
  public CompletionStage<Session> acceptInvitation(String token, String password, String ip) {
    checkPassword(password);
    if (token == null || token.isBlank() || token.length() > 200) {
      return CompletableFuture.failedFuture(invalidInvitation());
    }
    Instant now = clock.instant();
    return store.invitationByTokenHash(Secrets.sha256(token)).thenCompose(found -> {
      if (found.isEmpty() || found.get().acceptedAt() != null || !now.isBefore(found.get().expiresAt())) {
        return CompletableFuture.failedFuture(invalidInvitation());
      }
      Invitation invitation = found.get();
      return hasher.hash(password).thenCompose(hash -> {
        User user = new User(newId(), invitation.tenantId(), invitation.email(), invitation.role(), false, now);
        return store.acceptInvitation(invitation.id(), new StoredUser(user, hash, 0, null, 0), now)
            .thenCompose(done -> audit(user.tenantId(), user.id(), INVITATION_ACCEPTED, invitation.id(), ip,
                user.email() + " as " + user.role().wireName()))
            .thenCompose(done -> store.tenant(user.tenantId()))
            .thenCompose(tenant -> newSession(user, tenant.orElseThrow(), 0, UUID.randomUUID().toString()));
      });
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Users

  public CompletionStage<List<User>> users(Actor actor) {
    return store.users(actor.tenantId());
  }

  /**
   * Changes a user's role and/or disabled flag. Nobody changes themselves (a tenant must not lock itself out by
   * accident); only an owner grants {@code owner} or changes an owner.
   */
  public CompletionStage<User> updateUser(Actor actor, String userId, String roleName, Boolean disabled) {
    Role role = roleName == null ? null : role(roleName);
    if (role == null && disabled == null) {
      throw new IdentityRejection(Reason.INVALID, "Give 'role' and/or 'disabled'.");
    }
    if (actor.id().equals(userId)) {
      throw new IdentityRejection(Reason.FORBIDDEN, "You cannot change your own role or disable yourself.");
    }
    if (role == Role.OWNER && actor.role() != Role.OWNER) {
      throw new IdentityRejection(Reason.FORBIDDEN, "Only an owner can grant the owner role.");
    }
    Instant now = clock.instant();
    return store.user(actor.tenantId(), userId).thenCompose(found -> {
      if (found.isEmpty()) throw new IdentityRejection(Reason.NOT_FOUND, "user");
      User before = found.get().user();
      if (before.role() == Role.OWNER && actor.role() != Role.OWNER) {
        throw new IdentityRejection(Reason.FORBIDDEN, "Only an owner can change an owner.");
      }
      return store.updateUser(actor.tenantId(), userId, role, disabled, now).thenCompose(updated -> {
        if (updated.isEmpty()) throw new IdentityRejection(Reason.NOT_FOUND, "user");
        User after = updated.get().user();
        CompletionStage<Void> audited = CompletableFuture.completedFuture(null);
        if (after.role() != before.role()) {
          audited = audited.thenCompose(d -> audit(actor.tenantId(), actor.id(), ROLE_CHANGED, userId, actor.ip(),
              before.role().wireName() + " -> " + after.role().wireName()));
        }
        if (after.disabled() != before.disabled()) {
          audited = audited.thenCompose(d -> audit(actor.tenantId(), actor.id(),
              after.disabled() ? USER_DISABLED : USER_ENABLED, userId, actor.ip(), null));
        }
        return audited.thenApply(d -> after);
      });
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // API keys

  /** Creates an API key with {@code permissions} (conversation permissions only), expiring at {@code expiresAt}. */
  public CompletionStage<CreatedApiKey> createApiKey(
      Actor actor, String name, List<String> permissionNames, Instant expiresAt) {
    String keyName = text("name", name, MAX_NAME);
    if (permissionNames == null || permissionNames.isEmpty()) {
      throw new IdentityRejection(Reason.INVALID, "'permissions' must list at least one permission.");
    }
    Set<Permission> permissions = new java.util.TreeSet<>();
    for (String p : permissionNames) {
      Permission permission = Permission.fromWireName(p)
          .filter(Permission::grantableToApiKey)
          .orElseThrow(() -> new IdentityRejection(Reason.INVALID, "'" + p + "' is not a permission an API key "
              + "can have; use conversations:read and/or conversations:write."));
      permissions.add(permission);
    }
    Instant now = clock.instant();
    if (expiresAt != null && !expiresAt.isAfter(now)) {
      throw new IdentityRejection(Reason.INVALID, "'expiresAt' must be in the future.");
    }
    String secret = API_KEY_PREFIX + Secrets.random(32);
    ApiKey key = new ApiKey(newId(), actor.tenantId(), keyName, secret.substring(0, 10), Set.copyOf(permissions),
        actor.id(), now, expiresAt, null);
    return store.insertApiKey(key, Secrets.sha256(secret))
        .thenCompose(done -> audit(actor.tenantId(), actor.id(), API_KEY_CREATED, key.id(), actor.ip(), keyName))
        .thenApply(done -> new CreatedApiKey(key, secret));
  }

  public CompletionStage<List<ApiKey>> apiKeys(Actor actor) {
    return store.apiKeys(actor.tenantId());
  }

  public CompletionStage<ApiKey> revokeApiKey(Actor actor, String keyId) {
    return store.revokeApiKey(actor.tenantId(), keyId, clock.instant()).thenCompose(revoked -> {
      if (revoked.isEmpty()) throw new IdentityRejection(Reason.NOT_FOUND, "api-key");
      return audit(actor.tenantId(), actor.id(), API_KEY_REVOKED, keyId, actor.ip(), revoked.get().name())
          .thenApply(done -> revoked.get());
    });
  }

  /** The key with this secret, whatever its state (the edge checks expiry and revocation). */
  public CompletionStage<Optional<ApiKey>> apiKeyBySecret(String secret) {
    return store.apiKeyByHash(Secrets.sha256(secret));
  }

  public CompletionStage<List<String>> apiKeysRevokedSince(Instant since) {
    return store.apiKeysRevokedSince(since);
  }

  public CompletionStage<List<TokenRevocation>> revocationsSince(Instant since) {
    return store.revocationsSince(since);
  }

  /**
   * The access-token signing key kept in the database for clusters that configure none: generated by the first node
   * that asks, then shared by all.
   */
  public CompletionStage<Identity.SigningKey> developmentSigningKey() {
    return store.signingKey(new Identity.SigningKey("dev-" + Secrets.random(6), "HS256", Secrets.randomBytes(32),
        clock.instant()));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Audit

  public CompletionStage<List<AuditEntry>> audit(Actor actor, int limit) {
    return store.audit(actor.tenantId(), Math.max(1, Math.min(limit, MAX_AUDIT)));
  }

  /** Records an action (for actions outside this class, such as quota changes). */
  public CompletionStage<Void> audit(
      String tenantId, String actor, String action, String target, String ip, String detail) {
    return store.appendAudit(new AuditEntry(newId(), tenantId, clock.instant(), actor, action, target, ip, detail));
  }

  // ---------------------------------------------------------------------------------------------------------------

  private CompletionStage<Session> newSession(User user, Tenant tenant, int tokenVersion, String familyId) {
    Instant now = clock.instant();
    String refreshToken = Secrets.random(32);
    Instant expires = now.plus(settings.refreshTokenTtl());
    RefreshToken stored = new RefreshToken(Secrets.sha256(refreshToken), familyId, user.id(), user.tenantId(), now,
        expires, null, null);
    return store.insertRefreshToken(stored)
        .thenApply(done -> new Session(user, tenant, tokenVersion, refreshToken, expires));
  }

  private void checkPassword(String password) {
    if (password == null) throw new IdentityRejection(Reason.INVALID, "'password' is required.");
    int length = password.codePointCount(0, password.length());
    if (length < settings.minPasswordLength() || length > settings.maxPasswordLength()) {
      throw new IdentityRejection(Reason.INVALID, "'password' must be " + settings.minPasswordLength() + " to "
          + settings.maxPasswordLength() + " characters long.");
    }
  }

  private static String email(String email) {
    if (email == null) throw new IdentityRejection(Reason.INVALID, "'email' is required.");
    String e = email.strip().toLowerCase(Locale.ROOT);
    if (e.length() > MAX_EMAIL || !EMAIL.matcher(e).matches()) {
      throw new IdentityRejection(Reason.INVALID, "'email' must be an email address.");
    }
    return e;
  }

  private static String text(String field, String value, int max) {
    String v = value == null ? "" : value.replaceAll("\\p{Cntrl}", " ").strip();
    if (v.isEmpty() || v.codePointCount(0, v.length()) > max) {
      throw new IdentityRejection(Reason.INVALID, "'" + field + "' must be 1 to " + max + " characters long.");
    }
    return v;
  }

  private static Role role(String name) {
    return Role.fromWireName(name).orElseThrow(() -> new IdentityRejection(Reason.INVALID,
        "'role' must be one of owner, admin, operator, member, integrator."));
  }

  private static IdentityRejection invalidCredentials() {
    return new IdentityRejection(Reason.INVALID_CREDENTIALS, "The email or password is wrong, or the account is "
        + "locked for a while after too many failed attempts.");
  }

  private static IdentityRejection invalidToken() {
    return new IdentityRejection(Reason.INVALID_TOKEN, "The refresh token is invalid, expired or revoked. Sign in "
        + "again.");
  }

  private static IdentityRejection invalidInvitation() {
    return new IdentityRejection(Reason.INVALID_TOKEN, "The invitation is invalid, expired or used already.");
  }

  private static String newId() {
    return UUID.randomUUID().toString();
  }
}
