package io.voicehelper.streams.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.identity.Accounts;
import io.voicehelper.entities.identity.AccountsSettings;
import io.voicehelper.entities.identity.Identity;
import io.voicehelper.entities.identity.Identity.Actor;
import io.voicehelper.entities.identity.Identity.Session;
import io.voicehelper.entities.identity.IdentityRejection;
import io.voicehelper.entities.identity.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The accounts rules on {@link JdbcIdentityStore} and real Argon2id hashing, against a migrated database: the same
 * checks run on H2 ({@link JdbcIdentityStoreTest}) and PostgreSQL ({@link JdbcIdentityStorePostgresIT}).
 */
abstract class JdbcIdentityStoreContract {

  static final String PASSWORD = "a perfectly long password";
  static final ExecutorService blocking = Executors.newFixedThreadPool(4);

  JdbcIdentityStore store;
  Accounts accounts;

  void init(DataSource dataSource) {
    store = new JdbcIdentityStore(dataSource, blocking);
    accounts = new Accounts(store,
        new Argon2PasswordHasher(new Argon2PasswordHasher.Settings(8 * 1024, 1, 1), blocking),
        new AccountsSettings(12, 256, 3, Duration.ofMinutes(15), Duration.ofDays(1), Duration.ofDays(1)),
        java.time.Clock.systemUTC());
  }

  @AfterAll
  static void stopExecutor() {
    blocking.shutdown();
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  static IdentityRejection.Reason refusal(CompletionStage<?> stage) throws Exception {
    try {
      await(stage);
    } catch (IdentityRejection r) {
      return r.reason();
    }
    throw new AssertionError("expected a refusal");
  }

  static String email(String who) {
    return who + "-" + UUID.randomUUID() + "@example.com";
  }

  @Test
  void signUpSignInAndTheArgon2idHash() throws Exception {
    String email = email("owner");
    Session session = await(accounts.register("Acme", email, PASSWORD, "10.0.0.1"));
    assertEquals(Role.OWNER, session.user().role());
    assertEquals("Acme", session.tenant().name());
    Identity.StoredUser stored = await(store.userByEmail(email)).orElseThrow();
    assertTrue(stored.passwordHash().startsWith("$argon2id$"), stored.passwordHash());
    assertFalse(stored.passwordHash().contains(PASSWORD));

    Session again = await(accounts.login(email.toUpperCase(), PASSWORD, "10.0.0.2"));
    assertEquals(session.user().id(), again.user().id());
    assertEquals(IdentityRejection.Reason.EMAIL_TAKEN,
        refusal(accounts.register("Other", email, PASSWORD, "10.0.0.1")));
    List<Identity.AuditEntry> audit = await(store.audit(session.tenant().id(), 10));
    assertEquals(Accounts.LOGIN_SUCCEEDED, audit.get(0).action());
    assertEquals("10.0.0.2", audit.get(0).ip());
  }

  @Test
  void failedLoginsLockTheAccount() throws Exception {
    String email = email("locked");
    await(accounts.register("Lock", email, PASSWORD, "ip"));
    for (int i = 0; i < 3; i++) {
      assertEquals(IdentityRejection.Reason.INVALID_CREDENTIALS, refusal(accounts.login(email, "wrong!", "ip")));
    }
    assertEquals(IdentityRejection.Reason.INVALID_CREDENTIALS, refusal(accounts.login(email, PASSWORD, "ip")));
    assertTrue(await(store.userByEmail(email)).orElseThrow().lockedUntil().isAfter(Instant.now()));
    assertEquals(IdentityRejection.Reason.INVALID_CREDENTIALS,
        refusal(accounts.login(email("unknown"), PASSWORD, "ip")));
  }

  @Test
  void refreshTokensRotateAndReuseRevokesTheFamily() throws Exception {
    Session first = await(accounts.register("Refresh", email("refresh"), PASSWORD, "ip"));
    Session second = await(accounts.refresh(first.refreshToken(), "ip"));
    assertNotEquals(first.refreshToken(), second.refreshToken());
    assertEquals(IdentityRejection.Reason.INVALID_TOKEN, refusal(accounts.refresh(first.refreshToken(), "ip")));
    assertEquals(IdentityRejection.Reason.INVALID_TOKEN, refusal(accounts.refresh(second.refreshToken(), "ip")));
  }

  @Test
  void logoutAndRoleChangesAreRevocations() throws Exception {
    Session owner = await(accounts.register("Revoke", email("revoke"), PASSWORD, "ip"));
    Actor actor = new Actor(owner.tenant().id(), owner.user().id(), Role.OWNER, "ip");
    Instant before = Instant.now().minusSeconds(1);
    await(accounts.logout(actor, owner.refreshToken()));
    assertTrue(await(store.revocationsSince(before)).stream()
        .anyMatch(r -> r.userId().equals(owner.user().id()) && r.minTokenVersion() == 1));
    assertEquals(IdentityRejection.Reason.INVALID_TOKEN, refusal(accounts.refresh(owner.refreshToken(), "ip")));
  }

  @Test
  void invitationsApiKeysAndTenantScoping() throws Exception {
    Session a = await(accounts.register("A", email("a"), PASSWORD, "ip"));
    Session b = await(accounts.register("B", email("b"), PASSWORD, "ip"));
    Actor ownerA = new Actor(a.tenant().id(), a.user().id(), Role.OWNER, "ip");
    Actor ownerB = new Actor(b.tenant().id(), b.user().id(), Role.OWNER, "ip");

    Identity.CreatedInvitation invitation = await(accounts.invite(ownerA, email("member"), "member"));
    Session member = await(accounts.acceptInvitation(invitation.token(), PASSWORD, "ip"));
    assertEquals(a.tenant().id(), member.user().tenantId());
    assertEquals(Role.MEMBER, member.user().role());
    assertEquals(IdentityRejection.Reason.INVALID_TOKEN,
        refusal(accounts.acceptInvitation(invitation.token(), PASSWORD, "ip")));
    assertEquals(2, await(accounts.users(ownerA)).size());
    assertTrue(await(store.user(b.tenant().id(), member.user().id())).isEmpty(), "not visible from tenant B");
    assertEquals(IdentityRejection.Reason.NOT_FOUND,
        refusal(accounts.updateUser(ownerB, member.user().id(), "admin", null)));
    assertEquals(Role.ADMIN, await(accounts.updateUser(ownerA, member.user().id(), "admin", null)).role());

    Identity.CreatedApiKey key = await(accounts.createApiKey(ownerA, "CRM", List.of("conversations:read"), null));
    assertEquals(key.key().id(), await(accounts.apiKeyBySecret(key.secret())).orElseThrow().id());
    assertEquals(IdentityRejection.Reason.NOT_FOUND, refusal(accounts.revokeApiKey(ownerB, key.key().id())));
    Instant before = Instant.now().minusSeconds(1);
    assertTrue(await(accounts.revokeApiKey(ownerA, key.key().id())).revokedAt() != null);
    assertTrue(await(accounts.apiKeysRevokedSince(before)).contains(
        io.voicehelper.entities.identity.Secrets.sha256(key.secret())));
    assertTrue(await(accounts.apiKeys(ownerB)).isEmpty());
    List<String> actions = await(accounts.audit(ownerA, 50)).stream().map(Identity.AuditEntry::action).toList();
    assertTrue(actions.containsAll(List.of(Accounts.INVITATION_CREATED, Accounts.INVITATION_ACCEPTED,
        Accounts.ROLE_CHANGED, Accounts.API_KEY_CREATED, Accounts.API_KEY_REVOKED)), actions.toString());
    assertTrue(await(accounts.audit(ownerB, 50)).stream().noneMatch(e -> e.target() != null
        && e.target().equals(key.key().id())));
  }

  @Test
  void theDevelopmentSigningKeyIsCreatedOnceAndShared() throws Exception {
    Identity.SigningKey first = await(accounts.developmentSigningKey());
    Identity.SigningKey second = await(accounts.developmentSigningKey());
    assertEquals(first.kid(), second.kid());
    assertArrayEquals(first.secret(), second.secret());
    assertEquals(32, first.secret().length);
  }
}
