package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.edge.http.internal.AccessLog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** What the edge adds around every route: security headers, CORS, the access log, timeouts as problems. */
class EdgeHygieneTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static ActorTestKit testKit;
  private static ServerBinding binding;
  private static String base;
  private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("EdgeHygieneTest", ConfigFactory.parseString(
        "pekko.http.server.request-timeout = 1s").withFallback(ConfigFactory.load()));
    Route routes = Directives.concat(
        Directives.path("json", () -> Directives.get(() ->
            Directives.extractRequest(request -> {
              AccessLog.identify(request, "acme", "u-1");
              return Directives.complete(
                  org.apache.pekko.http.javadsl.model.HttpResponse.create()
                      .withEntity(ContentTypes.APPLICATION_JSON, "{\"ok\":true}"));
            }))),
        Directives.path("stream", () -> Directives.get(() -> Directives.complete(
            org.apache.pekko.http.javadsl.model.HttpResponse.create().withEntity(HttpEntities.create(
                ContentTypes.TEXT_PLAIN_UTF8,
                Source.from(List.of("a", "bb", "ccc")).map(ByteString::fromString)))))),
        Directives.path("never", () -> Directives.get(() ->
            Directives.onSuccess(new CompletableFuture<String>(), Directives::complete))));
    EdgeSecurity security = new EdgeSecurity(List.of("https://shop.example.com"), Duration.ofMinutes(10), true, true);
    binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0)
        .bind(EdgeRoutes.seal(security, routes)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
    Logger logger = (Logger) LoggerFactory.getLogger("voicehelper.access");
    accessLog.start();
    logger.addAppender(accessLog);
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger("voicehelper.access")).detachAppender(accessLog);
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clearLog() {
    accessLog.list.clear();
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode lastAccessLine(String path) throws Exception {
    return testKit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      for (int i = accessLog.list.size() - 1; i >= 0; i--) {
        JsonNode line = JSON.readTree(accessLog.list.get(i).getFormattedMessage());
        if (line.get("route").asText().startsWith(path)) return line;
      }
      throw new AssertionError("no access log line for " + path + " in " + accessLog.list);
    });
  }

  @Test
  void everyResponseCarriesTheSecurityHeaders() throws Exception {
    for (String path : List.of("/json", "/nowhere")) {
      HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + path)));
      assertEquals("nosniff", response.headers().firstValue("X-Content-Type-Options").orElse(null), path);
      assertEquals("DENY", response.headers().firstValue("X-Frame-Options").orElse(null), path);
      assertEquals("no-referrer", response.headers().firstValue("Referrer-Policy").orElse(null), path);
      assertTrue(response.headers().firstValue("Strict-Transport-Security").isPresent(), path);
      assertTrue(response.headers().firstValue("X-Request-Id").isPresent(), path);
    }
  }

  @Test
  void corsAllowsTheConfiguredOriginAndRefusesOthersAsProblems() throws Exception {
    HttpResponse<String> preflight = send(HttpRequest.newBuilder(URI.create(base + "/json"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", "https://shop.example.com")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization"));
    assertEquals(200, preflight.statusCode());
    assertEquals("https://shop.example.com",
        preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(null));

    HttpResponse<String> simple = send(HttpRequest.newBuilder(URI.create(base + "/json"))
        .header("Origin", "https://shop.example.com"));
    assertEquals(200, simple.statusCode());
    assertTrue(simple.headers().firstValue("Access-Control-Expose-Headers").orElse("").contains("X-Request-Id"));

    HttpResponse<String> foreign = send(HttpRequest.newBuilder(URI.create(base + "/json"))
        .header("Origin", "https://evil.example.net"));
    assertEquals(403, foreign.statusCode());
    assertEquals("application/problem+json", foreign.headers().firstValue("Content-Type").orElse(""));
    assertFalse(foreign.headers().firstValue("Access-Control-Allow-Origin").isPresent());
  }

  @Test
  void accessLogHasOneJsonLinePerRequestWithWhoWhatAndHowLong() throws Exception {
    HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/json"))
        .header("X-Request-Id", "req-42"));
    assertEquals(200, response.statusCode());
    JsonNode line = lastAccessLine("/json");
    assertEquals("req-42", line.get("requestId").asText());
    assertEquals("acme", line.get("tenant").asText());
    assertEquals("u-1", line.get("user").asText());
    assertEquals("GET", line.get("method").asText());
    assertEquals(200, line.get("status").asInt());
    assertEquals(11, line.get("bytes").asLong());
    assertTrue(line.get("latencyMs").isDouble() && line.get("latencyMs").asDouble() > 0, line.toString());
  }

  @Test
  void streamedResponsesAreLoggedWhenTheyEndWithTheBytesSent() throws Exception {
    HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "/stream")));
    assertEquals("abbccc", response.body());
    JsonNode line = lastAccessLine("/stream");
    assertEquals(6, line.get("bytes").asLong());
    // Without an id from the client, the log carries the one the edge assigned and echoed.
    assertEquals(response.headers().firstValue("X-Request-Id").orElseThrow(), line.get("requestId").asText());
  }

  @Test
  void personalDataInThePathAndQueryIsMaskedInTheAccessLog() throws Exception {
    send(HttpRequest.newBuilder(URI.create(base + "/users/john.doe@example.com?phone=13812345678"))
        .header("X-Request-Id", "13912345678"));
    JsonNode line = lastAccessLine("/users/");
    assertEquals("/users/j***@example.com", line.get("route").asText());
    assertEquals("phone=*******5678", line.get("query").asText());
    assertEquals("*******5678", line.get("requestId").asText());
    for (ILoggingEvent event : accessLog.list) {
      assertFalse(event.getFormattedMessage().contains("john.doe"), event.getFormattedMessage());
      assertFalse(event.getFormattedMessage().contains("13812345678"), event.getFormattedMessage());
      assertFalse(event.getFormattedMessage().contains("13912345678"), event.getFormattedMessage());
    }
  }

  @Test
  void aRequestThatTakesTooLongIsAProblemNotPlainText() throws Exception {
    // Its own client: the server closes a connection whose request timed out, which must not hit the other tests.
    HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> response = own.send(HttpRequest.newBuilder(URI.create(base + "/never")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(503, response.statusCode());
    assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
    assertTrue(JSON.readTree(response.body()).get("detail").asText().contains("took too long"));
  }
}
