package io.voicehelper.cluster.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.voicehelper.cluster.Node;
import io.voicehelper.entities.bench.BenchmarkReport;
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
 * against a bare Pekko HTTP route that streams the same events from memory in the same JVM. Writes its section of
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
        "voicehelper.data-dir = \"" + java.nio.file.Files.createTempDirectory("voicehelper-bench-").toString()
            .replace('\\', '/') + "\"",
        "voicehelper.knowledge.sample.enabled = off",
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
      String flood = floodIsolation("http://127.0.0.1:" + nodePort + "/api/v1",
          "http://127.0.0.1:" + bare.localAddress().getPort() + "/refuse");
      write(ours, baseline, tokens.size(), flood);
      bare.unbind();
    } finally {
      node.terminate();
      node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static Route bareRoute(List<String> tokens) {
    // The flood baseline: a refusal that costs nothing but HTTP itself.
    Route refuse = Directives.path("refuse", () -> Directives.complete(
        org.apache.pekko.http.javadsl.model.HttpResponse.create().withStatus(429).withEntity(
            org.apache.pekko.http.javadsl.model.ContentTypes.APPLICATION_JSON,
            "{\"status\":429,\"title\":\"Too many requests\"}")));
    return Directives.concat(refuse, Directives.path("sse", () -> Directives.get(() -> Directives.completeOK(
        Source.single(ServerSentEvent.create("{\"messageId\":\"m\",\"replyId\":\"r\"}", "accepted"))
            .concat(Source.from(IntStream.range(0, tokens.size()).boxed().toList())
                .map(i -> ServerSentEvent.create(
                    JSON.writeValueAsString(JSON.createObjectNode().put("seq", i + 1).put("text", tokens.get(i))),
                    "delta", String.valueOf(i + 1))))
            .concat(Source.single(ServerSentEvent.create("{\"status\":\"completed\"}", "done"))),
        EventStreamMarshalling.toEventStream()))));
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

  /** Tenant A's flood for the isolation benchmark: what its clients sent and how the node answered. */
  private record FloodResult(double seconds, java.util.Map<Integer, Long> statuses) {
    long count(int status) {
      return statuses.getOrDefault(status, 0L);
    }

    long sent() {
      return statuses.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private static final int PACED_RATE = Integer.getInteger("flood.rate", 1000);
  private static final int PACED_CLIENTS = 16;

  /**
   * Tenant B's latency (one client, one request at a time) is measured alone, then during two floods by tenant A,
   * whose limit is 50 requests/s: a paced flood at {@code flood.rate} (default 1000) requests/s by {@value #PACED_CLIENTS} clients on a
   * fixed schedule, and a saturating flood by 8 clients sending back to back.
   */
  private static String floodIsolation(String api, String bareRefusal) throws Exception {
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
    latencies(list, quiet, 300); // warm-up
    serverSide.drain();
    List<Double> alone = latencies(list, quiet, 1000);
    List<Double> aloneServer = serverSide.drain();

    Flood paced = Flood.start(list, noisy, PACED_CLIENTS, PACED_RATE);
    List<Double> duringPaced = latencies(list, quiet, 1000);
    List<Double> duringPacedServer = serverSide.drain();
    FloodResult pacedResult = paced.stop();

    Flood pacedBare = Flood.start(bareRefusal, noisy, PACED_CLIENTS, PACED_RATE);
    List<Double> duringPacedBare = latencies(list, quiet, 1000);
    List<Double> duringPacedBareServer = serverSide.drain();
    FloodResult pacedBareResult = pacedBare.stop();

    Flood saturating = Flood.start(list, noisy, 8, 0);
    List<Double> duringSaturating = latencies(list, quiet, 1000);
    List<Double> duringSaturatingServer = serverSide.drain();
    FloodResult saturatingResult = saturating.stop();

    Flood saturatingBare = Flood.start(bareRefusal, noisy, 8, 0);
    List<Double> duringSaturatingBare = latencies(list, quiet, 1000);
    List<Double> duringSaturatingBareServer = serverSide.drain();
    FloodResult saturatingBareResult = saturatingBare.stop();
    serverSide.close();
    for (FloodResult flood : List.of(pacedResult, pacedBareResult, saturatingResult, saturatingBareResult)) {
      if (flood.count(200) + flood.count(429) != flood.sent()) {
        throw new AssertionError("the flood got answers other than 200 and 429: " + flood.statuses());
      }
    }

    return String.format(Locale.ROOT, """
        ## One tenant's flood, another tenant's latency

        Same run and node. Tenant A's limit is set to 50 requests/s with a burst of 50 \
        (`PATCH /api/v1/admin/limits`). Tenant B sends `GET /api/v1/conversations`, one request at a time, 1000 \
        times: alone, then during each of two floods of the same request by A:

        - *paced*: %d clients of A keep a fixed schedule of %d requests/s in all (%d× A's limit), whatever the \
        answers take; for %.1f s they sent %.0f/s: %d allowed (%.1f/s), %d answered 429;
        - *saturating*: 8 clients of A send back to back, as fast as the machine lets them; for %.1f s they sent \
        %.0f/s: %d allowed (%.1f/s), %d answered 429.

        | tenant B latency (ms) | P50 | P95 | P99 | in the node: P50 | P95 | P99 | P50 vs alone |
        |---|---|---|---|---|---|---|---|
        | alone | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | 1.00× |
        | during A's paced flood | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f× |
        | *baseline:* the paced flood at a bare 429 route | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f× |
        | during A's saturating flood | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f× |
        | *baseline:* the saturating flood at a bare 429 route | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f× |

        *In the node* is the access log's `latencyMs` for B's requests: from the request's arrival at the edge to \
        its response, without the client's share of the machine. B is never refused (the run fails if it is).

        The *baseline* rows send the same floods, from the same clients, to a bare Pekko HTTP route in the same JVM \
        that answers 429 without looking at the request: what a flood costs B on this machine whatever the server \
        does. The difference between a flood's row and its baseline is what our refusal path costs (authentication, \
        the limiter, the problem body, the access log).

        No queue, actor or lock is shared between tenants on the request path, and a refusal is cheap: a verified \
        token is cached, and a node that was told a bucket is empty refuses locally until the bucket's \
        `Retry-After` (one ask to the limiter per refill, not per request), which keeps the allowed rate exact; \
        the access log masks personal data field by field and its lines are not scanned again by the log layout \
        (that scan was 46% of the node's CPU under a flood before). B's latency is still not flat on this machine: \
        the flooding clients and the node share 2 cores, so B's requests wait for CPU, and even the bare route's \
        flood slows them. In production, more nodes (the limits are cluster-wide) or the load balancer's per-client \
        connection limits bound that share.
        """, PACED_CLIENTS, PACED_RATE, PACED_RATE / 50, pacedResult.seconds(),
        pacedResult.sent() / pacedResult.seconds(), pacedResult.count(200),
        pacedResult.count(200) / pacedResult.seconds(), pacedResult.count(429),
        saturatingResult.seconds(), saturatingResult.sent() / saturatingResult.seconds(), saturatingResult.count(200),
        saturatingResult.count(200) / saturatingResult.seconds(), saturatingResult.count(429),
        pct(alone, 50), pct(alone, 95), pct(alone, 99),
        pct(aloneServer, 50), pct(aloneServer, 95), pct(aloneServer, 99),
        pct(duringPaced, 50), pct(duringPaced, 95), pct(duringPaced, 99),
        pct(duringPacedServer, 50), pct(duringPacedServer, 95), pct(duringPacedServer, 99),
        pct(duringPaced, 50) / pct(alone, 50),
        pct(duringPacedBare, 50), pct(duringPacedBare, 95), pct(duringPacedBare, 99),
        pct(duringPacedBareServer, 50), pct(duringPacedBareServer, 95), pct(duringPacedBareServer, 99),
        pct(duringPacedBare, 50) / pct(alone, 50),
        pct(duringSaturating, 50), pct(duringSaturating, 95), pct(duringSaturating, 99),
        pct(duringSaturatingServer, 50), pct(duringSaturatingServer, 95), pct(duringSaturatingServer, 99),
        pct(duringSaturating, 50) / pct(alone, 50),
        pct(duringSaturatingBare, 50), pct(duringSaturatingBare, 95), pct(duringSaturatingBare, 99),
        pct(duringSaturatingBareServer, 50), pct(duringSaturatingBareServer, 95), pct(duringSaturatingBareServer, 99),
        pct(duringSaturatingBare, 50) / pct(alone, 50));
  }

  /**
   * Clients of one tenant sending the same request over kept-alive connections, each on its own thread: back to back
   * when {@code rate} is 0, else each on a fixed schedule of {@code rate / clients} requests/s (a client that falls
   * behind sends at once until it has caught up).
   */
  private static final class Flood {
    private final java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
    private final java.util.concurrent.ConcurrentHashMap<Integer, java.util.concurrent.atomic.LongAdder> statuses =
        new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ExecutorService pool;
    private final long start = System.nanoTime();

    private Flood(int clients) {
      pool = java.util.concurrent.Executors.newFixedThreadPool(clients);
    }

    static Flood start(String url, String token, int clients, int rate) {
      Flood flood = new Flood(clients);
      HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
          .build();
      long interval = rate == 0 ? 0 : TimeUnit.SECONDS.toNanos(1) * clients / rate;
      for (int c = 0; c < clients; c++) {
        long offset = interval * c / clients;
        flood.pool.submit(() -> {
          HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
          long next = flood.start + offset;
          while (flood.running.get()) {
            if (interval > 0) {
              long wait = next - System.nanoTime();
              if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
              next += interval;
            }
            int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            flood.statuses.computeIfAbsent(status, s -> new java.util.concurrent.atomic.LongAdder()).increment();
          }
          return null;
        });
      }
      return flood;
    }

    FloodResult stop() throws InterruptedException {
      running.set(false);
      double seconds = (System.nanoTime() - start) / 1e9;
      pool.shutdown();
      if (!pool.awaitTermination(30, TimeUnit.SECONDS)) throw new IllegalStateException("the flood did not stop");
      java.util.Map<Integer, Long> counts = new java.util.TreeMap<>();
      statuses.forEach((status, count) -> counts.put(status, count.sum()));
      return new FloodResult(seconds, counts);
    }
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
    md.append("## Streaming a reply over SSE (edge overhead)\n\n")
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
    BenchmarkReport.writeSection("sse-latency", md.toString());
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
