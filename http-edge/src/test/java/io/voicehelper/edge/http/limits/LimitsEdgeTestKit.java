package io.voicehelper.edge.http.limits;

import io.voicehelper.edge.http.OneNodeCluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.edge.http.EdgeRoutes;
import io.voicehelper.edge.http.EdgeSettings;
import io.voicehelper.edge.http.HttpServer;
import io.voicehelper.edge.http.internal.Sse;
import io.voicehelper.entities.limits.LimitSettings;
import io.voicehelper.entities.limits.LimitsAuditor;
import io.voicehelper.entities.limits.LimitsClient;
import io.voicehelper.entities.limits.TenantLimiterEntity;
import io.voicehelper.entities.limits.TenantLimitsEntity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A one-node cluster running the limits entities, the edge's limit directives around small test routes, and the
 * admin routes, bound to a free loopback port. Defaults: 5 requests/s (burst 5) per tenant, 2 concurrent streams,
 * 10 000 tokens a month, 100 tokens reserved per message, stream leases of 3 s.
 *
 * <p>Test routes: {@code GET /t/{tenant}/ping} (rate-limited; user from {@code X-User}), {@code GET
 * /t/{tenant}/stream?frames=n} (a stream slot; n frames then the end, or endless without {@code frames}),
 * {@code GET /t/{tenant}/broken-stream} (a slot, then a 404), {@code POST /t/{tenant}/message} (reserves tokens for
 * the body, answers the reservation id). The admin routes take the tenant from {@code X-Tenant} and manage only
 * with {@code X-Manage}.
 */
final class LimitsEdgeTestKit implements AutoCloseable {

  static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = "127.0.0.1"
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      pekko.loglevel = INFO
      pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
      pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
      voicehelper.http.host = "127.0.0.1"
      voicehelper.http.port = 0
      voicehelper.limits {
        requests { per-second = 5, burst = 5, per-user-per-second = 100, per-user-burst = 100 }
        streams { max-concurrent = 2, lease-ttl = 3s }
        tokens.quota = 10000
        edge { ask-timeout = 2s, reserve-tokens = 100 }
      }
      """);

  private static final ObjectMapper MAPPER = new ObjectMapper();

  final ActorTestKit testKit;
  final LimitsClient client;
  final LimitDirectives limits;
  final List<LimitsAuditor.Change> audited = new CopyOnWriteArrayList<>();
  final ServerBinding binding;
  final String baseUrl;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  LimitsEdgeTestKit(String name) throws Exception {
    testKit = OneNodeCluster.start(name, CONFIG);
    ActorSystem<Void> system = testKit.system();
    LimitSettings limitSettings = LimitSettings.fromConfig(system.settings().config().getConfig("voicehelper.limits"));
    LimitEdgeSettings edgeSettings =
        LimitEdgeSettings.fromConfig(system.settings().config().getConfig("voicehelper.limits.edge"));
    TenantLimitsEntity.init(system, limitSettings, audited::add);
    TenantLimiterEntity.init(system, limitSettings);
    client = new LimitsClient(system, limitSettings, edgeSettings.askTimeout(), edgeSettings.quotaAskTimeout());
    limits = new LimitDirectives(client, edgeSettings);
    EdgeSettings settings = EdgeSettings.fromConfig(system.settings().config().getConfig("voicehelper.http"));
    binding = HttpServer.start(system, EdgeRoutes.seal(testRoutes(limits), adminRoutes(new LimitsAdminRoutes(client))),
            settings)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    baseUrl = "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  static Route testRoutes(LimitDirectives limits) {
    return Directives.pathPrefix(PathMatchers.segment("t").slash(PathMatchers.segment()), tenant -> Directives.concat(
        Directives.path("ping", () -> Directives.optionalHeaderValueByName("X-User", user ->
            limits.rateLimited(tenant, user.orElse(null), () -> Directives.complete("pong")))),
        Directives.path("stream", () -> Directives.parameterOptional("frames", frames ->
            limits.concurrentStream(tenant, () -> Directives.complete(stream(frames.map(Integer::parseInt)))))),
        Directives.path("broken-stream", () -> limits.concurrentStream(tenant, () -> {
          throw io.voicehelper.edge.http.internal.ProblemException.notFound("stream", "broken");
        })),
        Directives.path("message", () -> Directives.post(() -> Directives.entity(
            org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller.entityToString(), body ->
                Directives.onSuccess(limits.withTokenReservation(tenant, body,
                        reservation -> CompletableFuture.completedFuture(String.valueOf(reservation)),
                        reservation -> false),
                    reservation -> Directives.complete(reservation)))))));
  }

  private static org.apache.pekko.http.javadsl.model.HttpResponse stream(Optional<Integer> frames) {
    Source<ByteString, ?> events = Source.repeat(Sse.frame("tick", null, "{}")).throttle(10, Duration.ofSeconds(1));
    if (frames.isPresent()) events = events.take(frames.get());
    return org.apache.pekko.http.javadsl.model.HttpResponse.create().withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.createChunked(Sse.EVENT_STREAM, events));
  }

  static Route adminRoutes(LimitsAdminRoutes admin) {
    return Directives.headerValueByName("X-Tenant", tenant -> Directives.optionalHeaderValueByName("X-Manage",
        manage -> admin.route(tenant, "tester", manage.isPresent())));
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(20));
  }

  HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws Exception {
    return send(request(path).GET().build());
  }

  int activeStreams(String tenant) throws Exception {
    return client.limiterStatus(tenant).toCompletableFuture().get(5, TimeUnit.SECONDS).activeStreams();
  }

  @Override
  public void close() {
    binding.unbind();
    testKit.shutdownTestKit();
  }

  // ---------------------------------------------------------------------------------------------------------------

  static JsonNode read(String json) throws IOException {
    return MAPPER.readTree(json);
  }

  /** Asserts an RFC 9457 problem of {@code status} and slug, and returns its body. */
  static JsonNode assertProblem(HttpResponse<String> response, int status, String slug) throws IOException {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/problem+json",
        response.headers().firstValue("Content-Type").orElse("").split(";")[0].trim());
    JsonNode problem = read(response.body());
    assertEquals(status, problem.get("status").asInt());
    assertEquals("urn:voicehelper:problem:" + slug, problem.get("type").asText());
    for (String member : new String[] {"title", "detail", "instance"}) {
      assertTrue(problem.hasNonNull(member) && !problem.get(member).asText().isBlank(), member);
    }
    assertFalse(Pattern.compile("(?i)exception|java\\.|org\\.apache").matcher(response.body()).find(),
        response.body());
    return problem;
  }

  /** {@code Retry-After} in whole seconds, asserting it is there and positive. */
  static long retryAfter(HttpResponse<String> response) {
    String value = response.headers().firstValue("Retry-After").orElseThrow(() ->
        new AssertionError("no Retry-After on " + response.statusCode()));
    long seconds = Long.parseLong(value);
    assertTrue(seconds >= 1, value);
    return seconds;
  }

  /** A streaming GET on a plain socket, so that the test decides when the client goes away. */
  final class OpenStream implements AutoCloseable {
    private final Socket socket = new Socket();
    final int status;

    OpenStream(String path) throws IOException {
      socket.setSoTimeout(10_000);
      socket.connect(new InetSocketAddress("127.0.0.1", binding.localAddress().getPort()), 5_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String statusLine = line(socket.getInputStream());
      status = Integer.parseInt(statusLine.split(" ")[1]);
    }

    private static String line(InputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) if (c != '\r') line.append((char) c);
      return line.toString();
    }

    /** The client goes away: the connection is closed without reading the rest. */
    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
