package io.voicehelper.edge.http.limits;

import static io.voicehelper.edge.http.limits.LimitsEdgeTestKit.assertProblem;
import static io.voicehelper.edge.http.limits.LimitsEdgeTestKit.retryAfter;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.edge.http.EdgeRoutes;
import io.voicehelper.edge.http.EdgeSettings;
import io.voicehelper.edge.http.HttpServer;
import io.voicehelper.entities.limits.LimitOverrides;
import io.voicehelper.entities.limits.LimitSettings;
import io.voicehelper.entities.limits.LimitsClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The limit directives over HTTP: 429 problems with Retry-After, slots freed however a stream ends, quotas. */
@Timeout(60)
class LimitDirectivesTest {

  private static LimitsEdgeTestKit kit;

  @BeforeAll
  static void start() throws Exception {
    kit = new LimitsEdgeTestKit("LimitDirectivesTest");
  }

  @AfterAll
  static void stop() {
    kit.close();
  }

  @Test
  void aFloodingTenantGets429WithRetryAfterWhileAnotherTenantIsServed() throws Exception {
    int ok = 0;
    HttpResponse<String> limited = null;
    for (int i = 0; i < 12; i++) {
      HttpResponse<String> response = kit.get("/t/flood/ping");
      if (response.statusCode() == 200) ok++;
      else limited = response;
    }
    assertTrue(ok >= 5 && ok <= 7, "burst of 5 (and what refilled meanwhile), got " + ok);
    JsonNode problem = assertProblem(limited, 429, "rate-limited");
    assertEquals("tenant", problem.get("limitedBy").asText());
    assertEquals(1, retryAfter(limited)); // a permit every 200 ms
    assertEquals("/t/flood/ping", problem.get("instance").asText());

    HttpResponse<String> other = kit.get("/t/quiet/ping");
    assertEquals(200, other.statusCode());
    assertEquals("pong", other.body());
  }

  @Test
  void aUserOverTheirOwnRateIsLimitedAsAUser() throws Exception {
    kit.client.setLimits("users", new LimitOverrides(null, 100, 1.0, 2, null, null), "test")
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    HttpRequest ann = kit.request("/t/users/ping").header("X-User", "ann").GET().build();
    assertEquals(200, kit.send(ann).statusCode());
    assertEquals(200, kit.send(ann).statusCode());
    HttpResponse<String> limited = kit.send(ann);
    assertEquals("user", assertProblem(limited, 429, "rate-limited").get("limitedBy").asText());
    retryAfter(limited);
    assertEquals(200, kit.send(kit.request("/t/users/ping").header("X-User", "bob").GET().build()).statusCode());
  }

  @Test
  void theStreamOverTheLimitGets429AndSlotsAreFreedOnCancellationCompletionAndFailure() throws Exception {
    String tenant = "streamer";
    try (var first = kit.new OpenStream("/t/" + tenant + "/stream");
        var second = kit.new OpenStream("/t/" + tenant + "/stream")) {
      assertEquals(200, first.status);
      assertEquals(200, second.status);
      HttpResponse<String> third = kit.get("/t/" + tenant + "/stream?frames=1");
      JsonNode problem = assertProblem(third, 429, "too-many-streams");
      assertEquals(2, problem.get("maxConcurrentStreams").asInt());
      assertEquals(5, retryAfter(third));
      // Another tenant's streams are not affected.
      assertEquals(200, kit.get("/t/other-streamer/stream?frames=2").statusCode());

      // The client of the first stream goes away: its slot is freed.
      first.close();
      kit.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
        assertEquals(1, kit.activeStreams(tenant));
        return null;
      });
    }
    kit.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(0, kit.activeStreams(tenant));
      return null;
    });

    // A stream that completes frees its slot, and so does one that fails before it starts.
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> done = kit.get("/t/" + tenant + "/stream?frames=3");
      assertEquals(200, done.statusCode());
      assertEquals(3, done.body().split("event: tick").length - 1);
      assertProblem(kit.get("/t/" + tenant + "/broken-stream"), 404, "stream-not-found");
    }
    kit.testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(0, kit.activeStreams(tenant));
      return null;
    });
  }

  @Test
  void anExhaustedQuotaIs429WithAClearProblemAndReservationsNeverOvershootByMoreThanOne() throws Exception {
    String tenant = "spender";
    // Each message reserves 100 tokens + its own (the 2-character body: 1) + 4 overhead = 105.
    kit.client.setLimits(tenant, new LimitOverrides(10_000.0, 10_000, 10_000.0, 10_000, null, 2_000L), "test")
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    List<CompletableFuture<HttpResponse<String>>> posts = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      posts.add(kit.http.sendAsync(kit.request("/t/" + tenant + "/message")
          .POST(HttpRequest.BodyPublishers.ofString("hi")).build(), HttpResponse.BodyHandlers.ofString()));
    }
    CompletableFuture.allOf(posts.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    long granted = posts.stream().filter(p -> p.join().statusCode() == 200).count();
    assertEquals(20, granted, "2000 tokens at 105 a message: 19 fit, the 20th crosses, no 21st");

    HttpResponse<String> refused = posts.stream().map(CompletableFuture::join)
        .filter(r -> r.statusCode() != 200).findFirst().orElseThrow();
    JsonNode problem = assertProblem(refused, 429, "quota-exhausted");
    assertEquals(2000, problem.get("quota").asLong());
    assertTrue(problem.get("detail").asText().contains("2000 model tokens"), problem.toString());
    assertTrue(problem.hasNonNull("resetsAt"));
    assertTrue(retryAfter(refused) > 0);
  }

  @Test
  void anUnreachableLimiterFailsOpenForRequestsAndClosedForTheQuota() throws Exception {
    // A node that never joins a cluster: sharding cannot place any limiter, every ask times out.
    ActorTestKit alone = ActorTestKit.create("LimitDirectivesTestAlone", com.typesafe.config.ConfigFactory
        .parseString("pekko.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 100ms")
        .withFallback(LimitsEdgeTestKit.CONFIG).withFallback(com.typesafe.config.ConfigFactory.load()).resolve());
    try {
      var config = alone.system().settings().config();
      LimitSettings settings = LimitSettings.fromConfig(config.getConfig("voicehelper.limits"));
      io.voicehelper.entities.limits.TenantLimiterEntity.init(alone.system(), settings);
      io.voicehelper.entities.limits.TenantLimitsEntity.init(alone.system(), settings,
          io.voicehelper.entities.limits.LimitsAuditor.NONE);
      LimitEdgeSettings edge = new LimitEdgeSettings(Duration.ofMillis(300), Duration.ofMillis(300), true, false, 100,
          Duration.ofSeconds(5), Duration.ofSeconds(1));
      LimitDirectives directives = new LimitDirectives(
          new LimitsClient(alone.system(), settings, edge.askTimeout(), edge.quotaAskTimeout()), edge);
      ServerBinding binding = HttpServer.start(alone.system(), EdgeRoutes.seal(LimitsEdgeTestKit.testRoutes(directives)),
          EdgeSettings.fromConfig(config.getConfig("voicehelper.http"))).toCompletableFuture().get(10, TimeUnit.SECONDS);
      String base = "http://127.0.0.1:" + binding.localAddress().getPort();
      HttpResponse<String> ping = kit.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(base + "/t/any/ping")).GET().build());
      assertEquals(200, ping.statusCode(), "fails open");
      HttpResponse<String> message = kit.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(base + "/t/any/message")).POST(HttpRequest.BodyPublishers.ofString("hi")).build());
      assertProblem(message, 503, "limits-unavailable");
      retryAfter(message);
    } finally {
      alone.shutdownTestKit();
    }
  }
}
