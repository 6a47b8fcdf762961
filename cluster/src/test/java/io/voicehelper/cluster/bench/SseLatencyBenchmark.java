package io.voicehelper.cluster.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.voicehelper.cluster.Node;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measures what the edge adds to a streamed reply: time to the first SSE byte and to the first token, and the time per
 * token, on a whole node (HTTP edge → sharding → event-sourced conversation → generation stream → StreamRef → SSE),
 * against a bare Pekko HTTP route that streams the same events from memory in the same JVM. Writes
 * {@code docs/benchmarks.md}. Run:
 *
 * <pre>mvn -o -B -pl cluster test -Dtest=SseLatencyBenchmark -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class SseLatencyBenchmark {

  private static final int WARMUP = 50;
  private static final int MEASURED = 200;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** One streamed reply as the client saw it. */
  record Sample(double firstByteMs, double firstTokenMs, double perTokenMs, int tokens) {}

  @Test
  void measure() throws Exception {
    // The access log stays on (building its lines is part of the edge's cost), but its lines go nowhere here, as
    // they go through an asynchronous appender in production: console I/O of the test is not what we measure.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("voicehelper.access")).setAdditive(false);
    int nodePort = freePort();
    ActorSystem<Void> node = Node.start(Node.loadConfig(String.join("\n",
        "voicehelper.db.url = \"jdbc:h2:mem:bench-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1\"",
        "voicehelper.http.port = " + nodePort,
        "voicehelper.auth.tokens.access-token-ttl = 1h",
        // Limits stay on (their cost is part of the edge's) but high enough for one client's sequential requests.
        "voicehelper.limits.requests.per-second = 100000",
        "voicehelper.limits.requests.burst = 100000",
        "voicehelper.limits.requests.per-user-per-second = 100000",
        "voicehelper.limits.requests.per-user-burst = 100000",
        "voicehelper.llm.provider = none",
        // The template model emits as fast as it is asked: what remains is our overhead.
        "voicehelper.llm.template.tokens-per-second = 0",
        "pekko.loglevel = WARNING",
        "pekko.remote.artery.canonical.port = " + freePort(),
        "pekko.management.http.port = " + freePort(),
        "pekko.discovery.config.services.voicehelper.endpoints = "
            + "[{ host = \"127.0.0.1\", port = ${pekko.management.http.port} }]",
        "pekko.coordinated-shutdown.exit-jvm = off",
        "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off")));
    try {
      // Sign-up needs only the database; conversations and limits are sharded and need the node to be Up.
      org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit probes =
          org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit.create("bench-probes");
      probes.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
        if (org.apache.pekko.cluster.typed.Cluster.get(node).selfMember().status()
            != org.apache.pekko.cluster.MemberStatus.up()) {
          throw new AssertionError("the node has not joined its cluster yet");
        }
        return null;
      });
      probes.shutdownTestKit();
      token = signUp("http://127.0.0.1:" + nodePort + "/api/v1/auth/register");
      String api = "http://127.0.0.1:" + nodePort + "/api/v1/conversations";
      String conversation = create(api);
      List<String> tokens = firstReplyTokens(api + "/" + conversation + "/messages");

      ServerBinding bare = Http.get(node).newServerAt("127.0.0.1", 0).bind(bareRoute(tokens))
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      String bareUrl = "http://127.0.0.1:" + bare.localAddress().getPort() + "/sse";

      // Alternate the two so that machine noise hits both alike.
      List<Sample> ours = new ArrayList<>();
      List<Sample> baseline = new ArrayList<>();
      for (int i = 0; i < WARMUP + MEASURED; i++) {
        String messages = api + "/" + create(api) + "/messages";
        Sample o = stream(HttpRequest.newBuilder(URI.create(messages))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"How do I return an order?\"}")));
        Sample b = stream(HttpRequest.newBuilder(URI.create(bareUrl)).GET());
        if (i >= WARMUP) {
          ours.add(o);
          baseline.add(b);
        }
      }
      String flood = floodIsolation("http://127.0.0.1:" + nodePort + "/api/v1");
      write(ours, baseline, tokens.size(), flood);
      bare.unbind();
    } finally {
      node.terminate();
      node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static Route bareRoute(List<String> tokens) {
    return Directives.path("sse", () -> Directives.get(() -> Directives.completeOK(
        Source.single(ServerSentEvent.create("{\"messageId\":\"m\",\"replyId\":\"r\"}", "accepted"))
            .concat(Source.from(IntStream.range(0, tokens.size()).boxed().toList())
                .map(i -> ServerSentEvent.create(
                    JSON.writeValueAsString(JSON.createObjectNode().put("seq", i + 1).put("text", tokens.get(i))),
                    "delta", String.valueOf(i + 1))))
            .concat(Source.single(ServerSentEvent.create("{\"status\":\"completed\"}", "done"))),
        EventStreamMarshalling.toEventStream())));
  }

  private static String token;

  private static String signUp(String register) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      String outcome;
      try {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(register))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"tenantName\":\"Bench\",\"email\":\"bench-"
                    + UUID.randomUUID() + "@example.com\",\"password\":\"a long bench password\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 201) return JSON.readTree(response.body()).get("accessToken").asText();
        outcome = response.body();
      } catch (IOException notListeningYet) {
        outcome = notListeningYet.toString();
      }
      if (System.nanoTime() > deadline) throw new AssertionError("cannot sign up: " + outcome);
      // The node is still binding or joining its cluster: wait for it on its readiness endpoint's pace.
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }

  private static String create(String api) throws Exception {
    HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(api))
            .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    if (created.statusCode() != 201) throw new AssertionError("cannot create a conversation: " + created.body());
    return JSON.readTree(created.body()).get("id").asText();
  }

  private static List<String> firstReplyTokens(String messages) throws Exception {
    HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create(messages))
            .header("Content-Type", "application/json").header("Accept", "text/event-stream")
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"How do I return an order?\"}")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    List<String> tokens = new ArrayList<>();
    for (String[] event : events(response.body())) {
      if (event[0].equals("delta")) tokens.add(JSON.readTree(event[1]).get("text").asText());
    }
    return tokens;
  }

  private static Sample stream(HttpRequest.Builder request) throws Exception {
    long start = System.nanoTime();
    HttpResponse<InputStream> response =
        HTTP.send(request.header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
    BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    long firstByte = 0;
    long firstToken = 0;
    long last = 0;
    int tokens = 0;
    String line;
    while ((line = reader.readLine()) != null) {
      long now = System.nanoTime();
      if (firstByte == 0) firstByte = now;
      if (line.startsWith("event: delta") || line.startsWith("event:delta")) {
        tokens++;
        if (firstToken == 0) firstToken = now;
        last = now;
      }
      if (line.startsWith("event: done") || line.startsWith("event:done")) break;
    }
    reader.close();
    double perToken = tokens > 1 ? (last - firstToken) / 1e6 / (tokens - 1) : 0;
    return new Sample((firstByte - start) / 1e6, (firstToken - start) / 1e6, perToken, tokens);
  }

  private static List<String[]> events(InputStream body) throws IOException {
    List<String[]> events = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String event = null;
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith("event:")) event = line.substring(6).strip();
        else if (line.startsWith("data:") && event != null) events.add(new String[] {event, line.substring(5).strip()});
        if ("done".equals(event)) break;
      }
    }
    return events;
  }

  private static double percentile(List<Sample> samples, java.util.function.ToDoubleFunction<Sample> metric,
      double p) {
    double[] values = samples.stream().mapToDouble(metric).sorted().toArray();
    return values[(int) Math.min(values.length - 1, Math.ceil(p / 100 * values.length) - 1)];
  }

  /**
   * Tenant A floods with 8 concurrent clients against a limit of 50 requests/s while tenant B lists its conversations
   * one request at a time; B's latency is measured alone first, then during the flood.
   */
  private static String floodIsolation(String api) throws Exception {
    String quiet = signUp(api + "/auth/register");
    String noisy = signUp(api + "/auth/register");
    HttpResponse<String> limited = HTTP.send(HttpRequest.newBuilder(URI.create(api + "/admin/limits"))
            .header("Authorization", "Bearer " + noisy).header("Content-Type", "application/json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString(
                "{\"requestsPerSecond\":50,\"burst\":50,\"userRequestsPerSecond\":50,\"userBurst\":50}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    if (limited.statusCode() != 200) throw new AssertionError("cannot set limits: " + limited.body());
    String list = api + "/conversations?limit=5";
    String quietTenant = JSON.readTree(java.util.Base64.getUrlDecoder().decode(quiet.split("\\.")[1])).get("tid")
        .asText();
    ServerSide serverSide = ServerSide.capture(quietTenant);
    List<Double> alone = latencies(list, quiet, 1000);
    List<Double> aloneServer = serverSide.drain();

    java.util.concurrent.atomic.AtomicBoolean flooding = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicLong allowed = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    long floodStart = System.nanoTime();
    for (int t = 0; t < 8; t++) {
      pool.submit(() -> {
        while (flooding.get()) {
          try {
            int status = HTTP.send(HttpRequest.newBuilder(URI.create(list))
                .header("Authorization", "Bearer " + noisy).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
            if (status == 429) refused.incrementAndGet();
            else allowed.incrementAndGet();
          } catch (Exception e) {
            return null;
          }
        }
        return null;
      });
    }
    List<Double> during = latencies(list, quiet, 1000);
    List<Double> duringServer = serverSide.drain();
    serverSide.close();
    flooding.set(false);
    pool.shutdown();
    pool.awaitTermination(30, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - floodStart) / 1e9;

    return String.format(Locale.ROOT, """
        ## One tenant's flood, another tenant's latency

        Same run and node. Tenant A's limit is set to 50 requests/s (`PATCH /api/v1/admin/limits`); 8 clients of A \
        send `GET /api/v1/conversations` back to back for %.1f s: %d allowed (%.1f/s: the burst of 50, then 50/s), \
        %d answered 429. Meanwhile one client of tenant B sends the same request, one at a time, 1000 times; before \
        the flood it did the same alone.

        | tenant B latency (ms) | P50 | P95 | P99 | in the node: P50 | P95 | P99 |
        |---|---|---|---|---|---|---|
        | alone | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |
        | during A's flood | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |

        *In the node* is the access log's `latencyMs` for B's requests: from the request's arrival at the edge to \
        its response, without the client's share of the machine.

        B is never refused, and no queue or lock is shared between tenants, but B's latency is not flat here: the node \
        answering %.0f refusals/s, the 8 flooding clients and B's client share 2 cores, so B's requests wait for CPU \
        inside the node too. Refusals are already cheap: a node that was told a bucket is empty refuses locally until \
        the bucket's `Retry-After` (one ask to the limiter per refill, not per request), which leaves the allowed rate \
        exact. What remains is the CPU the flood itself takes; a run with the load generator off the node's cores \
        would separate the two.
        """, seconds, allowed.get(), allowed.get() / seconds, refused.get(),
        pct(alone, 50), pct(alone, 95), pct(alone, 99),
        pct(aloneServer, 50), pct(aloneServer, 95), pct(aloneServer, 99),
        pct(during, 50), pct(during, 95), pct(during, 99),
        pct(duringServer, 50), pct(duringServer, 95), pct(duringServer, 99),
        refused.get() / seconds);
  }

  /** The access log's latency of one tenant's requests, as the node measured them. */
  private static final class ServerSide extends ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent>
      implements AutoCloseable {
    private final String tenant;
    private final List<Double> latencies = new java.util.concurrent.CopyOnWriteArrayList<>();

    private ServerSide(String tenant) {
      this.tenant = tenant;
    }

    static ServerSide capture(String tenant) {
      ServerSide appender = new ServerSide(tenant);
      appender.start();
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("voicehelper.access")).addAppender(appender);
      return appender;
    }

    @Override
    protected void append(ch.qos.logback.classic.spi.ILoggingEvent event) {
      try {
        JsonNode line = JSON.readTree(event.getFormattedMessage());
        if (tenant.equals(line.path("tenant").asText())) latencies.add(line.get("latencyMs").asDouble());
      } catch (IOException ignored) {
        // not an access log line
      }
    }

    List<Double> drain() {
      List<Double> all = new ArrayList<>(latencies);
      latencies.clear();
      return all;
    }

    @Override
    public void close() {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("voicehelper.access")).detachAppender(this);
      stop();
    }
  }

  private static List<Double> latencies(String url, String token, int count) throws Exception {
    List<Double> latencies = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      int status = HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
          .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      if (status != 200) throw new AssertionError("tenant B got " + status);
      latencies.add((System.nanoTime() - start) / 1e6);
    }
    return latencies;
  }

  private static double pct(List<Double> values, double p) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
  }

  private static void write(List<Sample> ours, List<Sample> baseline, int tokens, String flood) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Benchmarks\n\n")
        .append("Numbers from one run on the development machine (2 cores, shared, noisy): compare the ratios, not ")
        .append("the absolute values. Each benchmark measures a baseline in the same run.\n\n")
        .append("## Streaming a reply over SSE (edge overhead)\n\n")
        .append("`cluster/src/test/java/io/voicehelper/cluster/bench/SseLatencyBenchmark.java`, run on ")
        .append(LocalDate.now()).append(":\n\n")
        .append("```\nmvn -o -B -pl cluster test -Dtest=SseLatencyBenchmark -Dbench=true ")
        .append("-Dsurefire.failIfNoSpecifiedTests=false\n```\n\n")
        .append("One node with the embedded H2 journal; a new conversation per request; the template model set to ")
        .append("emit its ").append(tokens).append(" tokens as fast as they are taken, so the time measured is ours, ")
        .append("not a model's. *Ours*: `POST /api/v1/conversations/{id}/messages` with `Accept: text/event-stream` ")
        .append("(JWT verification, the tenant's rate limit and stream slot, the token-quota reservation, ")
        .append("validation, sharding ask, the user message persisted before it is acknowledged, the reply ")
        .append("started, chunks pulled from the entity through a StreamRef, SSE framing). *Baseline*: a bare Pekko ")
        .append("HTTP route in the same JVM streaming the same events from memory. One client, sequential, ")
        .append(WARMUP).append(" warm-up and ").append(MEASURED).append(" measured requests of each, interleaved.\n\n")
        .append("| metric | ours P50 | ours P95 | ours P99 | baseline P50 | baseline P95 | P95 ratio | target |\n")
        .append("|---|---|---|---|---|---|---|---|\n");
    row(md, "first SSE byte (ms)", ours, baseline, Sample::firstByteMs, "P95 < 50 ms");
    row(md, "first token (ms)", ours, baseline, Sample::firstTokenMs, "—");
    row(md, "per token (ms)", ours, baseline, Sample::perTokenMs, "P95 < 5 ms");
    md.append("\nFirst SSE byte is the `accepted` event: the user message is durable in the journal by then. ")
        .append("Per token is the time between consecutive `delta` events at the client; deltas that arrive in one ")
        .append("network read count as 0 ms apart, so the baseline, which writes all of them at once, shows 0.\n");
    md.append("\n").append(flood);
    Path docs = Path.of(System.getProperty("user.dir")).resolveSibling("docs").resolve("benchmarks.md");
    Files.writeString(docs, md.toString());
    System.out.println(md);
  }

  private static void row(StringBuilder md, String name, List<Sample> ours, List<Sample> baseline,
      java.util.function.ToDoubleFunction<Sample> metric, String target) {
    double o95 = percentile(ours, metric, 95);
    double b95 = percentile(baseline, metric, 95);
    md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f× | %s |%n", name,
        percentile(ours, metric, 50), o95, percentile(ours, metric, 99), percentile(baseline, metric, 50), b95,
        b95 > 0 ? o95 / b95 : Double.NaN, target));
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
