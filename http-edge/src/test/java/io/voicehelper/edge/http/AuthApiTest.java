package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.voicehelper.edge.http.EdgeTestKit.Login;
import io.voicehelper.edge.http.auth.AuthSettings;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.ScriptedReplyGenerator;
import io.voicehelper.entities.identity.Accounts;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Authentication, authorization and tenant isolation at the edge, end to end over HTTP: every bad credential gets a
 * 401 problem with no backend work, roles without a permission get 403, another tenant's resources are 404 on every
 * route, refresh tokens rotate and a reused one revokes its family, logout and API-key revocation take effect within
 * the revocation delay, repeated failed logins lock an account, and an invited member cannot administer.
 */
class AuthApiTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger generated = new AtomicInteger();
  private static EdgeTestKit kit;

  @BeforeAll
  static void start() throws Exception {
    ReplyGenerator echo = ScriptedReplyGenerator.echo();
    ReplyGenerator counting = request -> {
      generated.incrementAndGet();
      return echo.generate(request);
    };
    kit = EdgeTestKit.start("AuthApiTest", "", counting);
  }

  @AfterAll
  static void stop() {
    kit.close();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 401: every kind of bad credential, with no backend work

  @Test
  void everyKindOfBadCredentialIsRefusedWith401AndNoBackendWork() throws Exception {
    Login user = kit.register("Bad Credentials", "bad-credentials@example.com");
    String conversation = kit.createConversation(user);
    String valid = user.accessToken();

    String tamperedClaims = tamperClaims(valid);
    String none = algNone(user);
    String hs512 = mint(user, "test-2", JWSAlgorithm.HS512, "voicehelper", "voicehelper-api", Duration.ofMinutes(5));
    String unknownKid = mint(user, "nobody", JWSAlgorithm.HS256, "voicehelper", "voicehelper-api",
        Duration.ofMinutes(5));
    String expired = mint(user, "test-2", JWSAlgorithm.HS256, "voicehelper", "voicehelper-api",
        Duration.ofMinutes(-5));
    String wrongAudience = mint(user, "test-2", JWSAlgorithm.HS256, "voicehelper", "someone-else",
        Duration.ofMinutes(5));
    String wrongIssuer = mint(user, "test-2", JWSAlgorithm.HS256, "evil", "voicehelper-api", Duration.ofMinutes(5));
    // The same minting with the right values is accepted: the cases above fail for their one defect.
    String good = mint(user, "test-2", JWSAlgorithm.HS256, "voicehelper", "voicehelper-api", Duration.ofMinutes(5));
    assertEquals(200, kit.send(kit.anonymous("/api/v1/conversations").header("Authorization", "Bearer " + good)
        .GET().build()).statusCode());
    String oldKey = mint(user, "test-1", JWSAlgorithm.HS256, "voicehelper", "voicehelper-api", Duration.ofMinutes(5));
    assertEquals(200, kit.send(kit.anonymous("/api/v1/conversations").header("Authorization", "Bearer " + oldKey)
        .GET().build()).statusCode(), "an older key still verifies (rotation)");

    Map<String, Function<HttpRequest.Builder, HttpRequest.Builder>> cases = new LinkedHashMap<>();
    cases.put("missing", r -> r);
    cases.put("not bearer", r -> r.header("Authorization", "Basic dXNlcjpwYXNz"));
    cases.put("malformed", r -> r.header("Authorization", "Bearer not-a-jwt"));
    cases.put("empty bearer", r -> r.header("Authorization", "Bearer "));
    cases.put("tampered signature", r -> r.header("Authorization", "Bearer " + tamperSignature(valid)));
    cases.put("tampered claims", r -> r.header("Authorization", "Bearer " + tamperedClaims));
    cases.put("alg none", r -> r.header("Authorization", "Bearer " + none));
    cases.put("alg HS512 (confusion)", r -> r.header("Authorization", "Bearer " + hs512));
    cases.put("unknown kid", r -> r.header("Authorization", "Bearer " + unknownKid));
    cases.put("expired", r -> r.header("Authorization", "Bearer " + expired));
    cases.put("wrong audience", r -> r.header("Authorization", "Bearer " + wrongAudience));
    cases.put("wrong issuer", r -> r.header("Authorization", "Bearer " + wrongIssuer));
    cases.put("unknown API key", r -> r.header("X-API-Key", Accounts.API_KEY_PREFIX + "unknown0000000000000000"));
    cases.put("unknown API key as bearer",
        r -> r.header("Authorization", "Bearer " + Accounts.API_KEY_PREFIX + "unknown0000000000000000"));
    cases.put("malformed API key", r -> r.header("X-API-Key", "hello"));

    for (Map.Entry<String, Function<HttpRequest.Builder, HttpRequest.Builder>> c : cases.entrySet()) {
      int directoryCalls = kit.directory.calls.get();
      int conversationsBefore = generated.get();
      for (HttpRequest request : List.of(
          c.getValue().apply(kit.anonymous("/api/v1/conversations")).GET().build(),
          c.getValue().apply(kit.anonymous("/api/v1/conversations/" + conversation)).GET().build(),
          c.getValue().apply(kit.anonymous("/api/v1/conversations/" + conversation + "/messages"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"should never arrive\"}")).build(),
          c.getValue().apply(kit.anonymous("/api/v1/admin/users")).GET().build(),
          c.getValue().apply(kit.anonymous("/api/v1/auth/me")).GET().build())) {
        HttpResponse<String> response = kit.send(request);
        JsonNode problem = TestJson.assertProblem(response, 401);
        assertTrue(response.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer realm="),
            c.getKey() + ": WWW-Authenticate");
        assertTrue(problem.get("type").asText().startsWith("urn:voicehelper:problem:"), c.getKey());
      }
      assertEquals(directoryCalls, kit.directory.calls.get(), c.getKey() + ": the directory was not asked");
      assertEquals(conversationsBefore, generated.get(), c.getKey() + ": no reply was generated");
    }
    // Nothing reached the conversation: it still holds no message.
    JsonNode detail = TestJson.read(kit.send(kit.as(user, "/api/v1/conversations/" + conversation).GET()
        .build()).body());
    assertEquals(0, detail.get("messages").size());
  }

  @Test
  void aRevokedOrReusedRefreshTokenIsRefusedAndReuseRevokesTheFamily() throws Exception {
    Login user = kit.register("Refresh", "refresh@example.com");
    // Rotation: each use answers a new refresh token; the old one is spent.
    Login second = EdgeTestKit.login(kit.anonymousPost("/api/v1/auth/refresh",
        "{\"refreshToken\":\"" + user.refreshToken() + "\"}"), 200);
    assertNotEquals(user.refreshToken(), second.refreshToken());
    Login third = EdgeTestKit.login(kit.anonymousPost("/api/v1/auth/refresh",
        "{\"refreshToken\":\"" + second.refreshToken() + "\"}"), 200);

    // Reusing a spent one is refused, and revokes the whole family: the newest token stops working too.
    TestJson.assertProblem(kit.anonymousPost("/api/v1/auth/refresh",
        "{\"refreshToken\":\"" + user.refreshToken() + "\"}"), 401);
    TestJson.assertProblem(kit.anonymousPost("/api/v1/auth/refresh",
        "{\"refreshToken\":\"" + third.refreshToken() + "\"}"), 401);
    assertTrue(kit.identityStore.allAudit().stream().anyMatch(e -> e.action().equals(Accounts.REFRESH_REUSED)
        && user.userId().equals(e.actor())));
    // Unknown and garbage tokens.
    TestJson.assertProblem(kit.anonymousPost("/api/v1/auth/refresh", "{\"refreshToken\":\"nope\"}"), 401);
    TestJson.assertProblem(kit.anonymousPost("/api/v1/auth/refresh", "{}"), 401);
    // Another login is a new family, unaffected.
    Login fresh = kit.signIn("refresh@example.com");
    EdgeTestKit.login(kit.anonymousPost("/api/v1/auth/refresh",
        "{\"refreshToken\":\"" + fresh.refreshToken() + "\"}"), 200);
  }

  @Test
  void logoutRevokesTheRefreshTokenAndTheAccessTokens() throws Exception {
    Login user = kit.register("Logout", "logout@example.com");
    assertEquals(200, kit.send(kit.as(user, "/api/v1/auth/me").GET().build()).statusCode());
    HttpResponse<String> logout = kit.send(kit.as(user, "/api/v1/auth/logout")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"refreshToken\":\"" + user.refreshToken() + "\"}")).build());
    assertEquals(204, logout.statusCode(), logout.body());
    // On the node that logged out: at once.
    TestJson.assertProblem(kit.send(kit.as(user, "/api/v1/auth/me").GET().build()), 401);
    TestJson.assertProblem(kit.send(kit.as(user, "/api/v1/conversations").GET().build()), 401);
    TestJson.assertProblem(kit.anonymousPost("/api/v1/auth/refresh",
        "{\"refreshToken\":\"" + user.refreshToken() + "\"}"), 401);
    // Signing in again works.
    Login again = kit.signIn("logout@example.com");
    assertEquals(200, kit.send(kit.as(again, "/api/v1/auth/me").GET().build()).statusCode());
  }

  @Test
  void aRevocationMadeElsewhereReachesThisNodeWithinTheRefreshInterval() throws Exception {
    Login user = kit.register("Elsewhere", "elsewhere@example.com");
    assertEquals(200, kit.send(kit.as(user, "/api/v1/conversations").GET().build()).statusCode());
    // Another node disables the user: only the shared store knows; this node learns it by polling.
    kit.identityStore.revokeAccessTokens(user.userId(), Instant.now()).toCompletableFuture().get();
    kit.testKit.createTestProbe().awaitAssert(kit.authSettings.revocationRefreshInterval().multipliedBy(4), () -> {
      try {
        assertEquals(401, kit.send(kit.as(user, "/api/v1/conversations").GET().build()).statusCode());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
  }

  @Test
  void repeatedFailedLoginsLockTheAccountWithTheSameAnswerAsAnUnknownEmail() throws Exception {
    kit.register("Lockout", "lockout@example.com");
    String wrong = "{\"email\":\"lockout@example.com\",\"password\":\"wrong password 123\"}";
    String unknown = "{\"email\":\"nobody-at-all@example.com\",\"password\":\"wrong password 123\"}";
    JsonNode unknownProblem = TestJson.assertProblem(kit.anonymousPost("/api/v1/auth/login", unknown), 401);
    for (int i = 0; i < 5; i++) {
      JsonNode problem = TestJson.assertProblem(kit.anonymousPost("/api/v1/auth/login", wrong), 401);
      assertEquals(unknownProblem.get("type"), problem.get("type"));
      assertEquals(unknownProblem.get("detail"), problem.get("detail"), "no hint whether the email exists");
    }
    // Locked now: even the right password is refused, with the same answer.
    JsonNode locked = TestJson.assertProblem(kit.anonymousPost("/api/v1/auth/login",
        "{\"email\":\"lockout@example.com\",\"password\":\"" + EdgeTestKit.PASSWORD + "\"}"), 401);
    assertEquals(unknownProblem.get("detail"), locked.get("detail"));
    assertTrue(kit.identityStore.allAudit().stream().anyMatch(e -> e.action().equals(Accounts.LOGIN_FAILED)
        && e.detail() != null && e.detail().startsWith("account locked")));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // API keys

  @Test
  void anApiKeyWorksThenStopsWorkingOnceRevoked() throws Exception {
    Login admin = kit.register("Keys", "keys@example.com");
    HttpResponse<String> created = kit.send(kit.as(admin, "/api/v1/admin/api-keys")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"name\":\"CRM\",\"permissions\":[\"conversations:read\",\"conversations:write\"]}")).build());
    assertEquals(201, created.statusCode(), created.body());
    JsonNode key = TestJson.read(created.body());
    String secret = key.get("key").asText();
    assertTrue(secret.startsWith("vh_"));

    // Works as X-API-Key and as a bearer token, for the key's own tenant.
    HttpResponse<String> create = kit.send(kit.anonymous("/api/v1/conversations").header("X-API-Key", secret)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
    assertEquals(201, create.statusCode(), create.body());
    String conversation = TestJson.read(create.body()).get("id").asText();
    assertEquals(200, kit.send(kit.anonymous("/api/v1/conversations/" + conversation)
        .header("Authorization", "Bearer " + secret).GET().build()).statusCode());
    assertEquals(200, kit.send(kit.as(admin, "/api/v1/conversations/" + conversation).GET().build()).statusCode());
    // Listed without the secret; the key cannot administer.
    String listed = kit.send(kit.as(admin, "/api/v1/admin/api-keys").GET().build()).body();
    assertTrue(listed.contains(key.get("id").asText()) && !listed.contains(secret), listed);
    TestJson.assertProblem(kit.send(kit.anonymous("/api/v1/admin/api-keys").header("X-API-Key", secret).GET()
        .build()), 403);

    HttpResponse<String> revoked = kit.send(kit.as(admin, "/api/v1/admin/api-keys/" + key.get("id").asText())
        .DELETE().build());
    assertEquals(204, revoked.statusCode(), revoked.body());
    kit.testKit.createTestProbe().awaitAssert(kit.authSettings.revocationRefreshInterval().multipliedBy(4), () -> {
      try {
        int calls = kit.directory.calls.get();
        TestJson.assertProblem(kit.send(kit.anonymous("/api/v1/conversations").header("X-API-Key", secret).GET()
            .build()), 401);
        assertEquals(calls, kit.directory.calls.get(), "no backend work for a revoked key");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
    assertTrue(kit.send(kit.as(admin, "/api/v1/admin/api-keys").GET().build()).body().contains("\"revoked\""));
  }

  @Test
  void aKeyRevokedOnAnotherNodeStopsWorkingWithinTheRefreshInterval() throws Exception {
    Login admin = kit.register("Remote keys", "remote-keys@example.com");
    JsonNode key = TestJson.read(kit.send(kit.as(admin, "/api/v1/admin/api-keys")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Bot\",\"permissions\":[\"conversations:read\"]}"))
        .build()).body());
    String secret = key.get("key").asText();
    assertEquals(200, kit.send(kit.anonymous("/api/v1/conversations").header("X-API-Key", secret).GET().build())
        .statusCode());
    // A read-only key cannot write.
    TestJson.assertProblem(kit.send(kit.anonymous("/api/v1/conversations").header("X-API-Key", secret)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build()), 403);
    // Revoked straight in the shared store, as another node would: this node finds out by polling.
    kit.identityStore.revokeApiKey(admin.tenantId(), key.get("id").asText(), Instant.now()).toCompletableFuture()
        .get();
    Duration delay = kit.authSettings.revocationRefreshInterval();
    kit.testKit.createTestProbe().awaitAssert(delay.multipliedBy(4), () -> {
      try {
        assertEquals(401, kit.send(kit.anonymous("/api/v1/conversations").header("X-API-Key", secret).GET()
            .build()).statusCode());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
  }

  @Test
  void anExpiredApiKeyIsRefused() throws Exception {
    Login admin = kit.register("Expiring", "expiring@example.com");
    String expiresAt = Instant.now().plusSeconds(1).toString();
    JsonNode key = TestJson.read(kit.send(kit.as(admin, "/api/v1/admin/api-keys")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Short\",\"permissions\":[\"conversations:read\"],"
            + "\"expiresAt\":\"" + expiresAt + "\"}")).build()).body());
    String secret = key.get("key").asText();
    kit.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      try {
        assertEquals(401, kit.send(kit.anonymous("/api/v1/conversations").header("X-API-Key", secret).GET()
            .build()).statusCode());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 403 and invitations

  @Test
  void anInvitedMemberJoinsChatsAndCannotAdminister() throws Exception {
    Login owner = kit.register("Invites", "invites-owner@example.com");
    HttpResponse<String> invited = kit.send(kit.as(owner, "/api/v1/admin/invitations")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"colleague@example.com\",\"role\":\"member\"}"))
        .build());
    assertEquals(201, invited.statusCode(), invited.body());
    String token = TestJson.read(invited.body()).get("token").asText();

    Login member = EdgeTestKit.login(kit.anonymousPost("/api/v1/auth/accept-invitation",
        "{\"token\":\"" + token + "\",\"password\":\"" + EdgeTestKit.PASSWORD + "\"}"), 201);
    assertEquals(owner.tenantId(), member.tenantId());
    JsonNode me = TestJson.read(kit.send(kit.as(member, "/api/v1/auth/me").GET().build()).body());
    assertEquals("member", me.get("user").get("role").asText());
    // An invitation works once.
    TestJson.assertProblem(kit.anonymousPost("/api/v1/auth/accept-invitation",
        "{\"token\":\"" + token + "\",\"password\":\"" + EdgeTestKit.PASSWORD + "\"}"), 401);

    // The member chats in the tenant...
    String conversation = kit.createConversation(member);
    assertEquals(200, kit.send(kit.as(owner, "/api/v1/conversations/" + conversation).GET().build()).statusCode());
    // ...and every admin action is 403.
    for (HttpRequest request : adminRequests(member, owner.userId(), "some-key")) {
      TestJson.assertProblem(kit.send(request), 403);
    }
    // The owner sees the member, and the audit log tells the story.
    String users = kit.send(kit.as(owner, "/api/v1/admin/users").GET().build()).body();
    assertTrue(users.contains("colleague@example.com"), users);
    String audit = kit.send(kit.as(owner, "/api/v1/admin/audit?limit=20").GET().build()).body();
    for (String action : List.of(Accounts.INVITATION_CREATED, Accounts.INVITATION_ACCEPTED, Accounts.REGISTERED)) {
      assertTrue(audit.contains(action), action + " in " + audit);
    }
  }

  @Test
  void adminsManageTheirTenantButCannotGrantOrTouchOwner() throws Exception {
    Login owner = kit.register("Roles", "roles-owner@example.com");
    Login admin = kit.invite(owner, "roles-admin@example.com", "admin");
    Login operator = kit.invite(owner, "roles-operator@example.com", "operator");

    // An admin promotes the operator to member-level... and cannot make anyone owner, nor change the owner.
    TestJson.assertProblem(kit.patch(admin, "/api/v1/admin/users/" + operator.userId(), "{\"role\":\"owner\"}"),
        403);
    TestJson.assertProblem(kit.patch(admin, "/api/v1/admin/users/" + owner.userId(), "{\"disabled\":true}"), 403);
    HttpResponse<String> changed = kit.patch(admin, "/api/v1/admin/users/" + operator.userId(),
        "{\"role\":\"member\"}");
    assertEquals(200, changed.statusCode(), changed.body());
    assertEquals("member", TestJson.read(changed.body()).get("role").asText());
    // The role change revokes the operator's tokens with the old role at once; a refresh carries the new role.
    TestJson.assertProblem(kit.send(kit.as(operator, "/api/v1/auth/me").GET().build()), 401);
    Login refreshed = EdgeTestKit.login(kit.anonymousPost("/api/v1/auth/refresh",
        "{\"refreshToken\":\"" + operator.refreshToken() + "\"}"), 200);
    assertEquals("member", TestJson.read(kit.send(kit.as(refreshed, "/api/v1/auth/me").GET().build()).body())
        .get("user").get("role").asText());
    // Disabling signs the user out everywhere.
    assertEquals(200, kit.patch(admin, "/api/v1/admin/users/" + operator.userId(), "{\"disabled\":true}")
        .statusCode());
    TestJson.assertProblem(kit.send(kit.as(refreshed, "/api/v1/conversations").GET().build()), 401);
    TestJson.assertProblem(kit.anonymousPost("/api/v1/auth/login",
        "{\"email\":\"roles-operator@example.com\",\"password\":\"" + EdgeTestKit.PASSWORD + "\"}"), 401);
    // The audit log records the role change with who and from where.
    JsonNode audit = TestJson.read(kit.send(kit.as(owner, "/api/v1/admin/audit").GET().build()).body());
    boolean found = false;
    for (JsonNode e : audit.get("items")) {
      if (e.get("action").asText().equals(Accounts.ROLE_CHANGED)) {
        found = true;
        assertEquals(admin.userId(), e.get("actor").asText());
        assertEquals(operator.userId(), e.get("target").asText());
        assertEquals("127.0.0.1", e.get("ip").asText());
        assertEquals("operator -> member", e.get("detail").asText());
      }
    }
    assertTrue(found, audit.toString());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // 404 across tenants, on every route

  @Test
  void aUserOfAnotherTenantGets404ForEveryResourceOnEveryRoute() throws Exception {
    Login a = kit.register("Tenant A", "tenant-a@example.com");
    Login b = kit.register("Tenant B", "tenant-b@example.com");
    String conversation = kit.createConversation(a);
    HttpResponse<String> posted = kit.send(kit.as(a, "/api/v1/conversations/" + conversation + "/messages")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"hello from A\"}")).build());
    assertEquals(200, posted.statusCode(), posted.body());
    String replyId = TestJson.read(posted.body()).get("replyId").asText();
    kit.directory.add(a.tenantId(), new io.voicehelper.entities.conversation.ConversationDirectory.Entry(
        conversation, "A's", Instant.now(), Instant.now(), 2, "hello from A"));
    Login aMember = kit.invite(a, "tenant-a-member@example.com", "member");
    JsonNode aKey = TestJson.read(kit.send(kit.as(a, "/api/v1/admin/api-keys")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"A\",\"permissions\":[\"conversations:read\"]}"))
        .build()).body());

    // Every route that names a resource: B gets 404 for A's ids.
    String c = "/api/v1/conversations/" + conversation;
    List<HttpRequest> byId = List.of(
        kit.as(b, c).GET().build(),
        kit.as(b, c + "/messages").header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"hi\"}")).build(),
        kit.as(b, c + "/replies/" + replyId + "/stream").header("Accept", "text/event-stream").GET().build(),
        kit.as(b, "/api/v1/admin/users/" + aMember.userId()).header("Content-Type", "application/json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"disabled\":true}")).build(),
        kit.as(b, "/api/v1/admin/api-keys/" + aKey.get("id").asText()).DELETE().build());
    for (HttpRequest request : byId) {
      HttpResponse<String> response = kit.send(request);
      TestJson.assertProblem(response, 404);
      assertFalse(response.body().contains("hello from A"), response.body());
    }
    // Every route that lists: nothing of A's.
    for (String list : List.of("/api/v1/conversations", "/api/v1/admin/users", "/api/v1/admin/api-keys",
        "/api/v1/admin/audit")) {
      HttpResponse<String> response = kit.send(kit.as(b, list).GET().build());
      assertEquals(200, response.statusCode(), list + ": " + response.body());
      for (String foreign : List.of(conversation, a.userId(), aMember.userId(), aKey.get("id").asText(),
          "tenant-a")) {
        assertFalse(response.body().contains(foreign), list + " shows " + foreign + ": " + response.body());
      }
    }
    // A's things are untouched: the member is enabled and the key still works.
    assertEquals(200, kit.send(kit.as(aMember, "/api/v1/auth/me").GET().build()).statusCode());
    assertEquals(200, kit.send(kit.anonymous(c).header("X-API-Key", aKey.get("key").asText()).GET().build())
        .statusCode());
    // And the other way round, through B's API key.
    JsonNode bKey = TestJson.read(kit.send(kit.as(b, "/api/v1/admin/api-keys")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"B\",\"permissions\":[\"conversations:read\","
            + "\"conversations:write\"]}")).build()).body());
    TestJson.assertProblem(kit.send(kit.anonymous(c).header("X-API-Key", bKey.get("key").asText()).GET()
        .build()), 404);
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static List<HttpRequest> adminRequests(Login as, String userId, String keyId) {
    return List.of(
        kit.as(as, "/api/v1/admin/users").GET().build(),
        kit.as(as, "/api/v1/admin/users/" + userId).header("Content-Type", "application/json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"role\":\"member\"}")).build(),
        kit.as(as, "/api/v1/admin/invitations").header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"x@example.com\",\"role\":\"admin\"}")).build(),
        kit.as(as, "/api/v1/admin/api-keys").GET().build(),
        kit.as(as, "/api/v1/admin/api-keys").header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"k\",\"permissions\":[\"conversations:read\"]}"))
            .build(),
        kit.as(as, "/api/v1/admin/api-keys/" + keyId).DELETE().build(),
        kit.as(as, "/api/v1/admin/audit").GET().build());
  }

  private static String tamperSignature(String jwt) {
    int dot = jwt.lastIndexOf('.');
    char last = jwt.charAt(dot + 1);
    return jwt.substring(0, dot + 1) + (last == 'A' ? 'B' : 'A') + jwt.substring(dot + 2);
  }

  private static String tamperClaims(String jwt) throws Exception {
    String[] parts = jwt.split("\\.");
    JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    ((com.fasterxml.jackson.databind.node.ObjectNode) claims).put("role", "owner");
    ((com.fasterxml.jackson.databind.node.ObjectNode) claims).put("tid", UUID.randomUUID().toString());
    String payload = Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(claims));
    return parts[0] + "." + payload + "." + parts[2];
  }

  private static String algNone(Login user) throws Exception {
    String header = Base64.getUrlEncoder().withoutPadding().encodeToString(
        "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"test-2\"}".getBytes(StandardCharsets.UTF_8));
    long now = Instant.now().getEpochSecond();
    String claims = Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(Map.of(
        "iss", "voicehelper", "aud", "voicehelper-api", "sub", user.userId(), "tid", user.tenantId(),
        "role", "owner", "ver", 0, "iat", now, "exp", now + 300)));
    return header + "." + claims + ".";
  }

  /** A token signed with the test key {@code kid} (whatever it says), as an attacker or a buggy issuer might. */
  private static String mint(Login user, String kid, JWSAlgorithm alg, String issuer, String audience,
      Duration lifetime) throws Exception {
    byte[] secret = AuthSettings.parseKeys(EdgeTestKit.TEST_KEYS).stream().filter(k -> k.kid().equals(kid))
        .findFirst().orElse(AuthSettings.parseKeys(EdgeTestKit.TEST_KEYS).get(0)).secret();
    if (alg.equals(JWSAlgorithm.HS512)) secret = (new String(secret, StandardCharsets.ISO_8859_1).repeat(2))
        .getBytes(StandardCharsets.ISO_8859_1);
    Instant now = Instant.now();
    Instant issued = lifetime.isNegative() ? now.plus(lifetime).minusSeconds(600) : now;
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).audience(audience).subject(user.userId())
        .issueTime(Date.from(issued)).expirationTime(Date.from(now.plus(lifetime)))
        .claim("tid", user.tenantId()).claim("role", "owner").claim("ver", 0).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(new MACSigner(secret));
    return jwt.serialize();
  }
}
