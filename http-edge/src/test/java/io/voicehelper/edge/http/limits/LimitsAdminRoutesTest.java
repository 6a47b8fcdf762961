package io.voicehelper.edge.http.limits;

import static io.voicehelper.edge.http.limits.LimitsEdgeTestKit.assertProblem;
import static io.voicehelper.edge.http.limits.LimitsEdgeTestKit.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** An admin reads and sets a tenant's limits and sees its usage; the changes take effect and are audited. */
@Timeout(60)
class LimitsAdminRoutesTest {

  private static final String PATH = "/api/v1/admin/limits";
  private static LimitsEdgeTestKit kit;

  @BeforeAll
  static void start() throws Exception {
    kit = new LimitsEdgeTestKit("LimitsAdminRoutesTest");
  }

  @AfterAll
  static void stop() {
    kit.close();
  }

  private static HttpResponse<String> get(String tenant, String path) throws Exception {
    return kit.send(kit.request(path).header("X-Tenant", tenant).header("X-Manage", "yes").GET().build());
  }

  private static HttpResponse<String> write(String tenant, String method, String json) throws Exception {
    return kit.send(kit.request(PATH).header("X-Tenant", tenant).header("X-Manage", "yes")
        .header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(json)).build());
  }

  @Test
  void readsTheDefaultsWithUsage() throws Exception {
    HttpResponse<String> response = get("fresh", PATH);
    assertEquals(200, response.statusCode(), response.body());
    JsonNode body = read(response.body());
    assertEquals("fresh", body.get("tenant").asText());
    assertEquals(5.0, body.get("requestsPerSecond").asDouble());
    assertEquals(5, body.get("burst").asInt());
    assertEquals(2, body.get("maxConcurrentStreams").asInt());
    assertEquals(10_000, body.get("tokenQuota").asLong());
    assertEquals(0, body.get("overridden").size());
    JsonNode usage = body.get("usage");
    assertEquals(0, usage.get("tokensUsed").asLong());
    assertEquals(10_000, usage.get("tokensRemaining").asLong());
    assertEquals(0, usage.get("activeStreams").asInt());
    assertTrue(usage.get("resetsAt").asText().endsWith("T00:00:00Z"), usage.toString());
  }

  @Test
  void patchSetsSomeLimitsPutReplacesAllAndTheLimiterAppliesThemAtOnce() throws Exception {
    HttpResponse<String> patched = write("acme", "PATCH", "{\"burst\": 1, \"tokenQuota\": 500}");
    assertEquals(200, patched.statusCode(), patched.body());
    JsonNode body = read(patched.body());
    assertEquals(1, body.get("burst").asInt());
    assertEquals(500, body.get("tokenQuota").asLong());
    assertEquals(5.0, body.get("requestsPerSecond").asDouble());
    assertEquals("[\"burst\",\"tokenQuota\"]", body.get("overridden").toString());

    // The limiter was told at once: a burst of one.
    kit.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(1, kit.client.limiterStatus("acme").toCompletableFuture().get(5, TimeUnit.SECONDS)
          .limits().burst());
      return null;
    });
    assertEquals(200, kit.get("/t/acme/ping").statusCode());
    assertProblem(kit.get("/t/acme/ping"), 429, "rate-limited");

    // Merge semantics: null returns a limit to its default, absent members stay.
    JsonNode merged = read(write("acme", "PATCH", "{\"burst\": null, \"maxConcurrentStreams\": 9}").body());
    assertEquals(5, merged.get("burst").asInt());
    assertEquals(9, merged.get("maxConcurrentStreams").asInt());
    assertEquals(500, merged.get("tokenQuota").asLong());

    JsonNode replaced = read(write("acme", "PUT", "{\"userBurst\": 7}").body());
    assertEquals("[\"userBurst\"]", replaced.get("overridden").toString());
    assertEquals(10_000, replaced.get("tokenQuota").asLong());

    // Every change reached the audit hook, with its author.
    assertEquals(3, kit.audited.stream().filter(c -> c.tenantId().equals("acme")).count());
    assertTrue(kit.audited.stream().allMatch(c -> c.changedBy().equals("tester")));
  }

  @Test
  void usageShowsTokensUsedAndReservedAndActiveStreams() throws Exception {
    String tenant = "busy";
    var reservation = kit.client.reserveTokens(tenant, 300).toCompletableFuture().get(5, TimeUnit.SECONDS);
    var settled = kit.client.reserveTokens(tenant, 100).toCompletableFuture().get(5, TimeUnit.SECONDS);
    io.voicehelper.entities.limits.TenantLimitsEntity.settlement(kit.testKit.system(), Duration.ofSeconds(5))
        .settle(tenant, settled.reservationId(), java.util.OptionalInt.of(42)).toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
    try (var stream = kit.new OpenStream("/t/" + tenant + "/stream")) {
      assertEquals(200, stream.status);
      JsonNode usage = read(get(tenant, PATH + "/usage").body());
      assertEquals(42, usage.get("tokensUsed").asLong());
      assertEquals(300, usage.get("tokensReserved").asLong());
      assertEquals(10_000 - 342, usage.get("tokensRemaining").asLong());
      assertEquals(1, usage.get("activeStreams").asInt());
    }
    assertTrue(reservation.granted());
  }

  @Test
  void invalidChangesAre400AndNothingChanges() throws Exception {
    assertProblem(write("strict", "PATCH", "{\"burst\": 0}"), 400, "invalid-limit");
    assertProblem(write("strict", "PATCH", "{\"requestsPerSecond\": \"fast\"}"), 400, "invalid-limit");
    assertProblem(write("strict", "PATCH", "{\"tokenQuota\": 1.5}"), 400, "invalid-limit");
    assertProblem(write("strict", "PATCH", "{\"rps\": 3}"), 400, "unknown-limit");
    assertProblem(write("strict", "PATCH", "[1]"), 400, "invalid-body");
    assertProblem(write("strict", "PATCH", "{"), 400, "malformed-json");
    assertEquals(0, read(get("strict", PATH).body()).get("overridden").size());
  }

  @Test
  void withoutThePermissionEveryRequestIs403() throws Exception {
    assertProblem(kit.send(kit.request(PATH).header("X-Tenant", "acme").GET().build()), 403, "forbidden");
    assertProblem(kit.send(kit.request(PATH).header("X-Tenant", "acme").header("Content-Type", "application/json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"burst\": 100}")).build()), 403, "forbidden");
  }
}
