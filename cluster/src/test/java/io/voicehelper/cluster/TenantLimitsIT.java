package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.cluster.NodeTestSupport.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The per-tenant limits as a node wires them ({@link Node}): the admin API at {@code /api/v1/admin/limits} behind
 * {@code limits:manage}, the request rate and token quota enforced on the conversation routes, and every change in the
 * tenant's audit log. One node, one H2 database; each test signs up its own tenants so that no test's limits touch
 * another's.
 */
class TenantLimitsIT {

  private static final String JSON = "application/json";
  private static final String EVENT_STREAM = "text/event-stream";
  private static final String PROBLEM = "urn:voicehelper:problem:";

  private static ActorSystem<Void> node;
  private static ActorTestKit probes;
  private static String api;

  /** A signed-in user: their access token, user id and tenant. */
  private record User(String token, String id, String tenantId) {
    static User of(Response tokens) {
      JsonNode body = tokens.body();
      return new User(body.get("accessToken").asText(), body.get("user").get("id").asText(),
          body.get("user").get("tenantId").asText());
    }
  }

  @BeforeAll
  static void startNode() {
    int http = NodeTestSupport.freePort();
    api = "http://127.0.0.1:" + http + "/api/v1";
    node = Node.start(Node.loadConfig(NodeTestSupport.singleNode(http,
        "jdbc:h2:mem:limits-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1")));
    probes = ActorTestKit.create("limits-probes");
    // Sign-up needs only the database; the limits are sharded entities and need the node to have joined (itself).
    probes.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      assertEquals(MemberStatus.up(), Cluster.get(node).selfMember().status());
      return null;
    });
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (probes != null) probes.shutdownTestKit();
    if (node != null) {
      node.terminate();
      node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void aTenantOverItsOwnRateIsRefusedWhileAnotherIsNot() throws Exception {
    User a = signUp("Rate A");
    User b = signUp("Rate B");
    Response patched = call("PATCH", "/admin/limits",
        "{\"requestsPerSecond\":5,\"burst\":5,\"userRequestsPerSecond\":5,\"userBurst\":5}", a);
    assertEquals(200, patched.status(), () -> patched.raw().body());
    assertEquals(5.0, patched.body().get("requestsPerSecond").asDouble());
    assertEquals(5, patched.body().get("userBurst").asInt());
    long start = System.nanoTime();

    // A floods sequentially while B makes its usual requests at the same time.
    CompletableFuture<List<Response>> fromB = CompletableFuture.supplyAsync(() -> {
      List<Response> responses = new ArrayList<>();
      for (int i = 0; i < 10; i++) responses.add(unchecked(() -> call("GET", "/conversations", null, b)));
      return responses;
    });
    List<Response> fromA = new ArrayList<>();
    for (int i = 0; i < 40; i++) fromA.add(call("GET", "/conversations", null, a));
    double seconds = (System.nanoTime() - start) / 1e9;

    List<Integer> statuses = fromA.stream().map(Response::status).toList();
    assertTrue(statuses.stream().allMatch(s -> s == 200 || s == 429), () -> "A: " + statuses);
    assertEquals(200, statuses.get(0), () -> "A's first request is within its burst: " + statuses);
    assertTrue(statuses.contains(429), () -> "A went over 5/s with 40 requests in " + seconds + " s: " + statuses);
    long allowed = statuses.stream().filter(s -> s == 200).count();
    // At most the burst plus what 5/s refills: the defaults (burst 20, 10/s per user) would let far more through.
    long bound = 5 + (long) Math.ceil(5 * seconds) + 1;
    assertTrue(allowed <= bound, () -> allowed + " allowed in " + seconds + " s, more than " + bound + ": " + statuses);

    for (Response refused : fromA) {
      if (refused.status() != 429) continue;
      assertProblem(refused, 429, "rate-limited");
      assertTrue(Set.of("tenant", "user").contains(refused.body().get("limitedBy").asText()),
          () -> refused.raw().body());
      assertTrue(refused.body().get("retryAfterMs").asLong() > 0, () -> refused.raw().body());
    }

    List<Response> bResponses = fromB.get(30, TimeUnit.SECONDS);
    for (Response r : bResponses) assertEquals(200, r.status(), () -> "B is not limited by A: " + r.raw().body());
  }

  @Test
  void anExhaustedTokenQuotaRefusesMessagesBeforeTheyAreAccepted() throws Exception {
    User owner = signUp("Quota");
    Response patched = call("PATCH", "/admin/limits", "{\"tokenQuota\":1}", owner);
    assertEquals(200, patched.status(), () -> patched.raw().body());
    assertEquals(1, patched.body().get("tokenQuota").asLong());

    // Creating a conversation costs no tokens; the first message fits (nothing used yet) and is answered.
    Response created = call("POST", "/conversations", "{\"title\":\"Quota\"}", owner);
    assertEquals(201, created.status(), () -> created.raw().body());
    String messages = "/conversations/" + created.body().get("id").asText() + "/messages";
    Response first = call("POST", messages, "{\"content\":\"the first question\"}", owner);
    assertEquals(200, first.status(), () -> first.raw().body());
    assertEquals("completed", first.body().get("status").asText(), () -> first.raw().body());

    // The quota is used up (or held by the first reply until it is settled): JSON and SSE are both refused.
    Response json = call("POST", messages, "{\"content\":\"refused in json mode\"}", owner);
    assertProblem(json, 429, "quota-exhausted");
    assertEquals(1, json.body().get("quota").asLong(), () -> json.raw().body());
    Response sse = NodeTestSupport.send("POST", api + messages, "{\"content\":\"refused in sse mode\"}",
        owner.token(), EVENT_STREAM);
    assertProblem(sse, 429, "quota-exhausted");

    // Neither refused message was accepted: the conversation holds the first question and its reply only.
    Response conversation = call("GET", "/conversations/" + created.body().get("id").asText(), null, owner);
    assertEquals(200, conversation.status(), () -> conversation.raw().body());
    List<String> contents = new ArrayList<>();
    conversation.body().get("messages").forEach(m -> contents.add(m.get("role").asText() + ":"
        + m.get("content").asText()));
    assertEquals(2, contents.size(), () -> contents.toString());
    assertEquals("user:the first question", contents.get(0));
    assertTrue(contents.get(1).startsWith("assistant:"), () -> contents.toString());
    assertFalse(contents.stream().anyMatch(c -> c.contains("refused")), () -> contents.toString());

    // The first reply is charged when it ends; the refusals hold nothing: no tokens, no stream slot.
    probes.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
      Response usage = unchecked(() -> call("GET", "/admin/limits/usage", null, owner));
      assertEquals(200, usage.status(), () -> usage.raw().body());
      assertTrue(usage.body().get("tokensUsed").asLong() > 0, () -> usage.raw().body());
      assertEquals(0, usage.body().get("tokensReserved").asLong(), () -> usage.raw().body());
      assertEquals(0, usage.body().get("tokensRemaining").asLong(), () -> usage.raw().body());
      assertEquals(0, usage.body().get("activeStreams").asInt(), () -> usage.raw().body());
      return null;
    });
  }

  @Test
  void aChangeOfLimitsIsInTheTenantsAuditLog() throws Exception {
    User owner = signUp("Audit");
    User other = signUp("Audit, other tenant");
    Response patched = call("PATCH", "/admin/limits", "{\"burst\":7,\"maxConcurrentStreams\":3}", owner);
    assertEquals(200, patched.status(), () -> patched.raw().body());

    // The auditor runs after the change is persisted, without holding up the answer: the entry follows shortly.
    JsonNode entry = probes.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
      Response audit = unchecked(() -> call("GET", "/admin/audit?limit=500", null, owner));
      assertEquals(200, audit.status(), () -> audit.raw().body());
      List<JsonNode> changes = new ArrayList<>();
      audit.body().get("items").forEach(item -> {
        if ("limits.changed".equals(item.get("action").asText())) changes.add(item);
      });
      assertEquals(1, changes.size(), () -> audit.raw().body());
      return changes.get(0);
    });
    assertEquals(owner.id(), entry.get("actor").asText(), entry::toString);
    assertEquals("limits", entry.get("target").asText(), entry::toString);
    assertTrue(entry.get("detail").asText().contains("burst=7"), entry::toString);
    assertTrue(entry.get("detail").asText().contains("maxConcurrentStreams=3"), entry::toString);

    // Only in that tenant's log.
    Response otherAudit = call("GET", "/admin/audit?limit=500", null, other);
    assertEquals(200, otherAudit.status(), () -> otherAudit.raw().body());
    otherAudit.body().get("items").forEach(item ->
        assertFalse("limits.changed".equals(item.get("action").asText()), otherAudit.raw()::body));
  }

  @Test
  void onlyAdministratorsSeeAndSetTheLimits() throws Exception {
    User owner = signUp("RBAC");
    User member = invite(owner, "member");
    User admin = invite(owner, "admin");
    assertEquals(owner.tenantId(), member.tenantId());

    Response set = call("PATCH", "/admin/limits", "{\"maxConcurrentStreams\":3,\"tokenQuota\":12345}", owner);
    assertEquals(200, set.status(), () -> set.raw().body());

    assertProblem(call("GET", "/admin/limits", null, member), 403, "forbidden");
    assertProblem(call("GET", "/admin/limits/usage", null, member), 403, "forbidden");
    assertProblem(call("PATCH", "/admin/limits", "{\"tokenQuota\":-1,\"maxConcurrentStreams\":100}", member), 403,
        "forbidden");

    // An admin reads the limits in force, which the member's attempt did not change, with the usage of the period.
    Response shown = call("GET", "/admin/limits", null, admin);
    assertEquals(200, shown.status(), () -> shown.raw().body());
    JsonNode limits = shown.body();
    assertEquals(owner.tenantId(), limits.get("tenant").asText());
    assertEquals(3, limits.get("maxConcurrentStreams").asInt(), limits::toString);
    assertEquals(12345, limits.get("tokenQuota").asLong(), limits::toString);
    assertEquals(50.0, limits.get("requestsPerSecond").asDouble(), "a default: " + limits);
    List<String> overridden = new ArrayList<>();
    limits.get("overridden").forEach(n -> overridden.add(n.asText()));
    assertEquals(List.of("maxConcurrentStreams", "tokenQuota"), overridden);
    JsonNode usage = limits.get("usage");
    assertNotNull(usage, limits::toString);
    // The current period (a calendar month by default, "2026-11") and when it started and ends.
    assertFalse(usage.get("period").asText().isBlank(), usage::toString);
    assertTrue(usage.get("periodStart").asText().startsWith(usage.get("period").asText()), usage::toString);
    assertEquals(12345, usage.get("tokenQuota").asLong(), usage::toString);
    assertEquals(0, usage.get("tokensUsed").asLong(), usage::toString);
    assertEquals(12345, usage.get("tokensRemaining").asLong(), usage::toString);
    assertTrue(java.time.Instant.parse(usage.get("resetsAt").asText()).isAfter(
        java.time.Instant.parse(usage.get("periodStart").asText())), usage::toString);

    Response byOwner = call("GET", "/admin/limits", null, owner);
    assertEquals(200, byOwner.status(), () -> byOwner.raw().body());
    assertEquals(limits.get("tokenQuota"), byOwner.body().get("tokenQuota"));
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static Response call(String method, String path, String json, User user) throws Exception {
    return NodeTestSupport.send(method, api + path, json, user.token(), JSON);
  }

  /**
   * Signs up a new tenant, retrying while the node is still starting; answers its owner once the tenant's limits are
   * live: its ledger and its limiter both answer (the first ask of a tenant starts them, which may take longer than
   * the edge's ask timeout; a limiter that does not answer would let requests through unchecked).
   */
  private static User signUp(String tenantName) {
    String body = "{\"tenantName\":\"" + tenantName + "\",\"email\":\"owner-" + UUID.randomUUID()
        + "@example.com\",\"password\":\"a long test password\"}";
    Response registered = Eventually.ok(() -> NodeTestSupport.send("POST", api + "/auth/register", body, null, JSON));
    assertEquals(201, registered.status(), () -> registered.raw().body());
    User owner = User.of(registered);
    probes.createTestProbe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      Response usage = call("GET", "/admin/limits/usage", null, owner);
      assertEquals(200, usage.status(), () -> usage.raw().body());
      assertTrue(usage.body().get("activeStreams").isInt(), () -> "limiter not answering yet: " + usage.raw().body());
      return null;
    });
    return owner;
  }

  /** Invites a new user into the owner's tenant with {@code role}; answers them signed in. */
  private static User invite(User owner, String role) throws Exception {
    Response invitation = call("POST", "/admin/invitations",
        "{\"email\":\"" + role + "-" + UUID.randomUUID() + "@example.com\",\"role\":\"" + role + "\"}", owner);
    assertEquals(201, invitation.status(), () -> invitation.raw().body());
    Response accepted = NodeTestSupport.send("POST", api + "/auth/accept-invitation",
        "{\"token\":\"" + invitation.body().get("token").asText() + "\",\"password\":\"another long password\"}",
        null, JSON);
    assertEquals(201, accepted.status(), () -> accepted.raw().body());
    assertEquals(role, accepted.body().get("user").get("role").asText());
    return User.of(accepted);
  }

  /** An RFC 9457 problem of {@code type}; a 429 also carries {@code Retry-After} in whole seconds, at least 1. */
  private static void assertProblem(Response response, int status, String type) {
    String raw = response.raw().body();
    assertEquals(status, response.status(), raw);
    assertTrue(response.raw().headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"),
        () -> response.raw().headers().map() + " " + raw);
    assertEquals(PROBLEM + type, response.body().get("type").asText(), raw);
    assertEquals(status, response.body().get("status").asInt(), raw);
    if (status == 429) {
      String retryAfter = response.raw().headers().firstValue("Retry-After").orElse(null);
      assertNotNull(retryAfter, () -> "no Retry-After: " + response.raw().headers().map());
      assertTrue(Long.parseLong(retryAfter) >= 1, () -> "Retry-After: " + retryAfter);
    }
  }

  private interface Call<T> {
    T call() throws Exception;
  }

  private static <T> T unchecked(Call<T> call) {
    try {
      return call.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
