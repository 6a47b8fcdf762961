package io.voicehelper.streams.identity;

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
import io.voicehelper.entities.identity.IdentityRejection;
import io.voicehelper.entities.identity.IdentityRejection.Reason;
import io.voicehelper.entities.identity.IdentityStore;
import io.voicehelper.entities.identity.Permission;
import io.voicehelper.entities.identity.Role;
import io.voicehelper.streams.jdbc.Transactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * {@link IdentityStore} on the journal database (tables of Flyway's {@code V3__identity.sql}, the same SQL on H2 and
 * PostgreSQL). Every call runs on the given executor, a dispatcher for blocking work; operations that must not race
 * are single conditional statements or one transaction.
 */
public final class JdbcIdentityStore implements IdentityStore {

  /** SQLSTATE of a unique-constraint violation, on H2 and PostgreSQL alike. */
  private static final String UNIQUE_VIOLATION = "23505";
  private static final String USER_COLUMNS = "id, tenant_id, email, role, disabled, created_at, password_hash,"
      + " failed_logins, locked_until, token_version";
  private static final String KEY_COLUMNS =
      "id, tenant_id, name, prefix, permissions, created_by, created_at, expires_at, revoked_at";
  private static final String TOKEN_COLUMNS =
      "token_hash, family_id, user_id, tenant_id, created_at, expires_at, spent_at, revoked_at";

  private final Transactions transactions;

  /** @param blockingExecutor where the JDBC calls run: a dispatcher for blocking work, never the default one */
  public JdbcIdentityStore(DataSource dataSource, Executor blockingExecutor) {
    this.transactions = new Transactions(dataSource, blockingExecutor);
  }

  /** Runs {@code work} in one transaction on the blocking executor. */
  private <T> CompletionStage<T> tx(String what, Transactions.Work<T> work) {
    return transactions.run(what, work);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Tenants and users

  @Override
  public CompletionStage<Void> createTenant(Tenant tenant, StoredUser owner) {
    return tx("creating a tenant", c -> {
      try (PreparedStatement insert = c.prepareStatement(
          "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)")) {
        insert.setString(1, tenant.id());
        insert.setString(2, tenant.name());
        insert.setObject(3, time(tenant.createdAt()));
        insert.executeUpdate();
      }
      insertUser(c, owner);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> acceptInvitation(String invitationId, StoredUser user, Instant now) {
    return tx("accepting an invitation", c -> {
      try (PreparedStatement accept = c.prepareStatement(
          "UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL")) {
        accept.setObject(1, time(now));
        accept.setString(2, invitationId);
        if (accept.executeUpdate() != 1) {
          throw new IdentityRejection(Reason.INVALID_TOKEN, "The invitation is invalid, expired or used already.");
        }
      }
      insertUser(c, user);
      return null;
    });
  }

  private static void insertUser(Connection c, StoredUser stored) throws SQLException {
    User u = stored.user();
    try (PreparedStatement insert = c.prepareStatement(
        "INSERT INTO users (id, tenant_id, email, role, disabled, created_at, password_hash, failed_logins,"
            + " locked_until, token_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, u.id());
      insert.setString(2, u.tenantId());
      insert.setString(3, u.email());
      insert.setString(4, u.role().wireName());
      insert.setBoolean(5, u.disabled());
      insert.setObject(6, time(u.createdAt()));
      insert.setString(7, stored.passwordHash());
      insert.setInt(8, stored.failedLogins());
      insert.setObject(9, time(stored.lockedUntil()));
      insert.setInt(10, stored.tokenVersion());
      insert.executeUpdate();
    } catch (SQLException e) {
      if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
        throw new IdentityRejection(Reason.EMAIL_TAKEN, "An account with this email exists already.");
      }
      throw e;
    }
  }

  @Override
  public CompletionStage<Optional<Tenant>> tenant(String tenantId) {
    return tx("reading a tenant", c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT id, name, created_at FROM tenants WHERE id = ?")) {
        select.setString(1, tenantId);
        try (ResultSet rows = select.executeQuery()) {
          return rows.next()
              ? Optional.of(new Tenant(rows.getString(1), rows.getString(2), instant(rows, 3)))
              : Optional.<Tenant>empty();
        }
      }
    });
  }

  @Override
  public CompletionStage<Optional<StoredUser>> userByEmail(String email) {
    return tx("reading a user", c -> oneUser(c, "SELECT " + USER_COLUMNS + " FROM users WHERE email = ?", email));
  }

  @Override
  public CompletionStage<Optional<StoredUser>> user(String tenantId, String userId) {
    return tx("reading a user", c ->
        oneUser(c, "SELECT " + USER_COLUMNS + " FROM users WHERE id = ? AND tenant_id = ?", userId, tenantId));
  }

  private static Optional<StoredUser> oneUser(Connection c, String sql, String... params) throws SQLException {
    try (PreparedStatement select = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) select.setString(i + 1, params[i]);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next() ? Optional.of(storedUser(rows)) : Optional.empty();
      }
    }
  }

  private static StoredUser storedUser(ResultSet rows) throws SQLException {
    User user = new User(rows.getString(1), rows.getString(2), rows.getString(3),
        Role.fromWireName(rows.getString(4)).orElseThrow(), rows.getBoolean(5), instant(rows, 6));
    return new StoredUser(user, rows.getString(7), rows.getInt(8), instant(rows, 9), rows.getInt(10));
  }

  @Override
  public CompletionStage<List<User>> users(String tenantId) {
    return tx("listing users", c -> {
      try (PreparedStatement select = c.prepareStatement(
          "SELECT " + USER_COLUMNS + " FROM users WHERE tenant_id = ? ORDER BY created_at, id")) {
        select.setString(1, tenantId);
        try (ResultSet rows = select.executeQuery()) {
          List<User> users = new ArrayList<>();
          while (rows.next()) users.add(storedUser(rows).user());
          return users;
        }
      }
    });
  }

  @Override
  public CompletionStage<Void> loginFailed(String userId, int maxFailures, Instant lockUntil) {
    return tx("counting a failed login", c -> {
      // Two statements in one transaction; the increment is atomic, so concurrent failures are all counted.
      try (PreparedStatement count = c.prepareStatement(
          "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?")) {
        count.setString(1, userId);
        count.executeUpdate();
      }
      try (PreparedStatement lock = c.prepareStatement(
          "UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ? AND failed_logins >= ?")) {
        lock.setObject(1, time(lockUntil));
        lock.setString(2, userId);
        lock.setInt(3, maxFailures);
        lock.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public CompletionStage<Void> loginSucceeded(String userId) {
    return tx("resetting failed logins", c -> {
      try (PreparedStatement reset = c.prepareStatement(
          "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?"
              + " AND (failed_logins <> 0 OR locked_until IS NOT NULL)")) {
        reset.setString(1, userId);
        reset.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public CompletionStage<Optional<StoredUser>> updateUser(
      String tenantId, String userId, Role role, Boolean disabled, Instant now) {
    return tx("updating a user", c -> {
      try (PreparedStatement update = c.prepareStatement(
          "UPDATE users SET role = COALESCE(?, role), disabled = COALESCE(?, disabled),"
              + " token_version = token_version + 1, tokens_revoked_at = ? WHERE id = ? AND tenant_id = ?")) {
        update.setString(1, role == null ? null : role.wireName());
        if (disabled == null) update.setNull(2, java.sql.Types.BOOLEAN);
        else update.setBoolean(2, disabled);
        update.setObject(3, time(now));
        update.setString(4, userId);
        update.setString(5, tenantId);
        if (update.executeUpdate() == 0) return Optional.<StoredUser>empty();
      }
      return oneUser(c, "SELECT " + USER_COLUMNS + " FROM users WHERE id = ? AND tenant_id = ?", userId, tenantId);
    });
  }

  @Override
  public CompletionStage<Void> revokeAccessTokens(String userId, Instant now) {
    return tx("revoking access tokens", c -> {
      try (PreparedStatement update = c.prepareStatement(
          "UPDATE users SET token_version = token_version + 1, tokens_revoked_at = ? WHERE id = ?")) {
        update.setObject(1, time(now));
        update.setString(2, userId);
        update.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public CompletionStage<List<TokenRevocation>> revocationsSince(Instant since) {
    return tx("reading revocations", c -> {
      try (PreparedStatement select = c.prepareStatement(
          "SELECT id, token_version, tokens_revoked_at FROM users WHERE tokens_revoked_at >= ?")) {
        select.setObject(1, time(since));
        try (ResultSet rows = select.executeQuery()) {
          List<TokenRevocation> revocations = new ArrayList<>();
          while (rows.next()) {
            revocations.add(new TokenRevocation(rows.getString(1), rows.getInt(2), instant(rows, 3)));
          }
          return revocations;
        }
      }
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Refresh tokens

  @Override
  public CompletionStage<Void> insertRefreshToken(RefreshToken t) {
    return tx("storing a refresh token", c -> {
      try (PreparedStatement insert = c.prepareStatement(
          "INSERT INTO refresh_tokens (" + TOKEN_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        insert.setString(1, t.hash());
        insert.setString(2, t.familyId());
        insert.setString(3, t.userId());
        insert.setString(4, t.tenantId());
        insert.setObject(5, time(t.createdAt()));
        insert.setObject(6, time(t.expiresAt()));
        insert.setObject(7, time(t.spentAt()));
        insert.setObject(8, time(t.revokedAt()));
        insert.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public CompletionStage<Optional<Spend>> spendRefreshToken(String hash, Instant now) {
    return tx("spending a refresh token", c -> {
      boolean firstUse;
      // The conditional update decides, atomically, which of two concurrent uses is the first.
      try (PreparedStatement spend = c.prepareStatement(
          "UPDATE refresh_tokens SET spent_at = ? WHERE token_hash = ? AND spent_at IS NULL")) {
        spend.setObject(1, time(now));
        spend.setString(2, hash);
        firstUse = spend.executeUpdate() == 1;
      }
      try (PreparedStatement select = c.prepareStatement(
          "SELECT " + TOKEN_COLUMNS + " FROM refresh_tokens WHERE token_hash = ?")) {
        select.setString(1, hash);
        try (ResultSet rows = select.executeQuery()) {
          if (!rows.next()) return Optional.<Spend>empty();
          RefreshToken token = new RefreshToken(rows.getString(1), rows.getString(2), rows.getString(3),
              rows.getString(4), instant(rows, 5), instant(rows, 6), instant(rows, 7), instant(rows, 8));
          return Optional.of(new Spend(token, firstUse));
        }
      }
    });
  }

  @Override
  public CompletionStage<Void> revokeRefreshFamily(String familyId, Instant now) {
    return tx("revoking a refresh-token family", c -> {
      try (PreparedStatement revoke = c.prepareStatement(
          "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL")) {
        revoke.setObject(1, time(now));
        revoke.setString(2, familyId);
        revoke.executeUpdate();
      }
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Invitations

  @Override
  public CompletionStage<Void> insertInvitation(Invitation i, String tokenHash) {
    return tx("storing an invitation", c -> {
      try (PreparedStatement insert = c.prepareStatement(
          "INSERT INTO invitations (id, tenant_id, email, role, token_hash, created_by, created_at, expires_at,"
              + " accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        insert.setString(1, i.id());
        insert.setString(2, i.tenantId());
        insert.setString(3, i.email());
        insert.setString(4, i.role().wireName());
        insert.setString(5, tokenHash);
        insert.setString(6, i.createdBy());
        insert.setObject(7, time(i.createdAt()));
        insert.setObject(8, time(i.expiresAt()));
        insert.setObject(9, time(i.acceptedAt()));
        insert.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public CompletionStage<Optional<Invitation>> invitationByTokenHash(String tokenHash) {
    return tx("reading an invitation", c -> {
      try (PreparedStatement select = c.prepareStatement(
          "SELECT id, tenant_id, email, role, created_by, created_at, expires_at, accepted_at FROM invitations"
              + " WHERE token_hash = ?")) {
        select.setString(1, tokenHash);
        try (ResultSet rows = select.executeQuery()) {
          if (!rows.next()) return Optional.<Invitation>empty();
          return Optional.of(new Invitation(rows.getString(1), rows.getString(2), rows.getString(3),
              Role.fromWireName(rows.getString(4)).orElseThrow(), rows.getString(5), instant(rows, 6),
              instant(rows, 7), instant(rows, 8)));
        }
      }
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // API keys

  @Override
  public CompletionStage<Void> insertApiKey(ApiKey k, String secretHash) {
    return tx("storing an API key", c -> {
      try (PreparedStatement insert = c.prepareStatement(
          "INSERT INTO api_keys (" + KEY_COLUMNS + ", secret_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        insert.setString(1, k.id());
        insert.setString(2, k.tenantId());
        insert.setString(3, k.name());
        insert.setString(4, k.prefix());
        insert.setString(5, k.permissions().stream().map(Permission::wireName).sorted()
            .collect(Collectors.joining(",")));
        insert.setString(6, k.createdBy());
        insert.setObject(7, time(k.createdAt()));
        insert.setObject(8, time(k.expiresAt()));
        insert.setObject(9, time(k.revokedAt()));
        insert.setString(10, secretHash);
        insert.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public CompletionStage<List<ApiKey>> apiKeys(String tenantId) {
    return tx("listing API keys", c -> keys(c,
        "SELECT " + KEY_COLUMNS + " FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id", tenantId));
  }

  @Override
  public CompletionStage<Optional<ApiKey>> revokeApiKey(String tenantId, String keyId, Instant now) {
    return tx("revoking an API key", c -> {
      try (PreparedStatement revoke = c.prepareStatement(
          "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL")) {
        revoke.setObject(1, time(now));
        revoke.setString(2, keyId);
        revoke.setString(3, tenantId);
        revoke.executeUpdate();
      }
      return keys(c, "SELECT " + KEY_COLUMNS + " FROM api_keys WHERE id = ? AND tenant_id = ?", keyId, tenantId)
          .stream().findFirst();
    });
  }

  @Override
  public CompletionStage<Optional<ApiKey>> apiKeyByHash(String secretHash) {
    return tx("reading an API key", c ->
        keys(c, "SELECT " + KEY_COLUMNS + " FROM api_keys WHERE secret_hash = ?", secretHash).stream().findFirst());
  }

  @Override
  public CompletionStage<List<String>> apiKeysRevokedSince(Instant since) {
    return tx("reading revoked API keys", c -> {
      try (PreparedStatement select = c.prepareStatement(
          "SELECT secret_hash FROM api_keys WHERE revoked_at >= ?")) {
        select.setObject(1, time(since));
        try (ResultSet rows = select.executeQuery()) {
          List<String> hashes = new ArrayList<>();
          while (rows.next()) hashes.add(rows.getString(1));
          return hashes;
        }
      }
    });
  }

  private static List<ApiKey> keys(Connection c, String sql, String... params) throws SQLException {
    try (PreparedStatement select = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) select.setString(i + 1, params[i]);
      try (ResultSet rows = select.executeQuery()) {
        List<ApiKey> keys = new ArrayList<>();
        while (rows.next()) {
          Set<Permission> permissions = EnumSet.noneOf(Permission.class);
          for (String p : rows.getString(5).split(",")) Permission.fromWireName(p).ifPresent(permissions::add);
          keys.add(new ApiKey(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4),
              Set.copyOf(permissions), rows.getString(6), instant(rows, 7), instant(rows, 8), instant(rows, 9)));
        }
        return keys;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Audit and signing keys

  @Override
  public CompletionStage<Void> appendAudit(AuditEntry e) {
    return tx("writing the audit log", c -> {
      try (PreparedStatement insert = c.prepareStatement(
          "INSERT INTO audit_log (id, tenant_id, at, actor, action, target, ip, detail)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
        insert.setString(1, e.id());
        insert.setString(2, e.tenantId());
        insert.setObject(3, time(e.at()));
        insert.setString(4, cut(e.actor(), 254));
        insert.setString(5, e.action());
        insert.setString(6, cut(e.target(), 254));
        insert.setString(7, cut(e.ip(), 64));
        insert.setString(8, cut(e.detail(), 500));
        insert.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public CompletionStage<List<AuditEntry>> audit(String tenantId, int limit) {
    return tx("reading the audit log", c -> {
      try (PreparedStatement select = c.prepareStatement(
          "SELECT id, tenant_id, at, actor, action, target, ip, detail FROM audit_log WHERE tenant_id = ?"
              + " ORDER BY at DESC, id LIMIT ?")) {
        select.setString(1, tenantId);
        select.setInt(2, limit);
        try (ResultSet rows = select.executeQuery()) {
          List<AuditEntry> entries = new ArrayList<>();
          while (rows.next()) {
            entries.add(new AuditEntry(rows.getString(1), rows.getString(2), instant(rows, 3), rows.getString(4),
                rows.getString(5), rows.getString(6), rows.getString(7), rows.getString(8)));
          }
          return entries;
        }
      }
    });
  }

  @Override
  public CompletionStage<SigningKey> signingKey(SigningKey candidate) {
    return tx("reading the signing key", c -> {
      Optional<SigningKey> stored = storedKey(c);
      if (stored.isPresent()) return stored.get();
      try (PreparedStatement insert = c.prepareStatement(
          "INSERT INTO signing_keys (purpose, kid, algorithm, secret, created_at) VALUES ('dev', ?, ?, ?, ?)")) {
        insert.setString(1, candidate.kid());
        insert.setString(2, candidate.algorithm());
        insert.setString(3, Base64.getEncoder().encodeToString(candidate.secret()));
        insert.setObject(4, time(candidate.createdAt()));
        insert.executeUpdate();
        return candidate;
      } catch (SQLException e) {
        if (!UNIQUE_VIOLATION.equals(e.getSQLState())) throw e;
      }
      // Another node stored one first: use theirs.
      c.rollback();
      return storedKey(c).orElseThrow();
    });
  }

  private static Optional<SigningKey> storedKey(Connection c) throws SQLException {
    try (PreparedStatement select = c.prepareStatement(
        "SELECT kid, algorithm, secret, created_at FROM signing_keys WHERE purpose = 'dev'");
        ResultSet rows = select.executeQuery()) {
      return rows.next()
          ? Optional.of(new SigningKey(rows.getString(1), rows.getString(2),
              Base64.getDecoder().decode(rows.getString(3)), instant(rows, 4)))
          : Optional.empty();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static OffsetDateTime time(Instant instant) {
    return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  private static Instant instant(ResultSet rows, int column) throws SQLException {
    OffsetDateTime value = rows.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  private static String cut(String value, int max) {
    return value == null || value.length() <= max ? value : value.substring(0, max);
  }
}
