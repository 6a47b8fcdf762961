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
import java.util.stream.Stream;
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
 * against a bare Pekko HTTP route that streams the same events from memory in the same JVM; then another tenant's
 * latency during one tenant's flood, with the clients in a {@link FloodGenerator} process on a CPU of their own. Writes
 * its section of {@code docs/benchmarks.md}. Run:
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

  private static final int PACED_RATE = Integer.getInteger("flood.rate", 1000);
  private static final int PACED_CONNECTIONS = 16;
  private static final int SATURATING_CONNECTIONS = 8;
  private static final int PROBE_WARMUP = 300;
  /** B's warm-up requests in the unmeasured first phase: B's own path (the list query, its JSON) warms slowly. */
  private static final int FIRST_PROBE_WARMUP = 3000;
  private static final int PROBE_COUNT = 1000;
  private static final double LEAD_SECONDS = 2;

  /**
   * One phase of the flood part, from the generator's summary: tenant A's flood as its clients saw it (nothing when B
   * is alone), and tenant B's measured latencies at its client and in the node.
   */
  private record Phase(double seconds, long sent, long unsent, java.util.Map<Integer, Long> statuses,
      List<Double> client, List<Double> node) {
    long count(int status) {
      return statuses.getOrDefault(status, 0L);
    }

    double p50VsAlone(Phase alone) {
      return pct(client, 50) / pct(alone.client, 50);
    }

    double p50VsBaseline(Phase baseline) {
      return pct(client, 50) / pct(baseline.client, 50);
    }
  }

  /**
   * Tenant B's latency (one client, one request at a time) is measured alone, then during two floods by tenant A,
   * whose limit is 50 requests/s: a paced flood at {@code flood.rate} (default 1000) requests/s on a fixed schedule,
   * and a saturating flood by {@value #SATURATING_CONNECTIONS} connections sending back to back; each also at a bare
   * 429 route. The clients run in a {@link FloodGenerator} process on a CPU of their own, the node on another.
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
    Phase alone;
    Phase paced;
    Phase pacedBare;
    Phase saturating;
    Phase saturatingBare;
    Phase aloneAfter;
    Pinning pinning = Pinning.apply();
    try (ServerSide serverSide = ServerSide.capture(quietTenant)) {
      Generator generator = new Generator(pinning, serverSide, list, quiet, noisy);
      // Unmeasured: warms (JIT) the refusal path and B's path; without it, the first row is the coldest.
      generator.run("saturating", list, SATURATING_CONNECTIONS, 0, FIRST_PROBE_WARMUP);
      alone = generator.run("none", list, 0, 0, PROBE_WARMUP);
      paced = generator.run("paced", list, PACED_CONNECTIONS, PACED_RATE, PROBE_WARMUP);
      pacedBare = generator.run("paced", bareRefusal, PACED_CONNECTIONS, PACED_RATE, PROBE_WARMUP);
      saturating = generator.run("saturating", list, SATURATING_CONNECTIONS, 0, PROBE_WARMUP);
      saturatingBare = generator.run("saturating", bareRefusal, SATURATING_CONNECTIONS, 0, PROBE_WARMUP);
      aloneAfter = generator.run("none", list, 0, 0, PROBE_WARMUP);
    } finally {
      pinning.restore();
    }

    // The floods run between the two alone phases: pooled, they cancel a drift over the run.
    Phase bothAlone = new Phase(0, 0, 0, java.util.Map.of(),
        Stream.concat(alone.client().stream(), aloneAfter.client().stream()).toList(),
        Stream.concat(alone.node().stream(), aloneAfter.node().stream()).toList());
    StringBuilder table = new StringBuilder();
    tableRow(table, "alone, before the floods", alone, bothAlone, null);
    tableRow(table, "during A's paced flood", paced, bothAlone, pacedBare);
    tableRow(table, "*baseline:* the paced flood at a bare 429 route", pacedBare, bothAlone, null);
    tableRow(table, "during A's saturating flood", saturating, bothAlone, saturatingBare);
    tableRow(table, "*baseline:* the saturating flood at a bare 429 route", saturatingBare, bothAlone, null);
    tableRow(table, "alone, after the floods", aloneAfter, bothAlone, null);
    double drift = pct(aloneAfter.client(), 50) / pct(alone.client(), 50);
    return String.format(Locale.ROOT, """
        ## One tenant's flood, another tenant's latency

        Same run and node. Tenant A's limit is set to 50 requests/s with a burst of 50 \
        (`PATCH /api/v1/admin/limits`). Tenant B sends `GET /api/v1/conversations`, one request at a time on one \
        kept-alive connection, %d times after %d warm-up requests: alone before and after the floods, and during each \
        of two floods of the same request by A, measured from %.0f s after the flood starts until B is done:

        - *paced* (open loop): A's requests leave on a fixed schedule of %d requests/s (%d× A's limit) over %d \
        pipelined connections, whatever the answers take; for %.1f s they sent %.0f/s (%d not sent because a \
        connection had %d unanswered): %d allowed (%.1f/s), %d answered 429;
        - *saturating* (closed loop): %d connections of A each send the next request as soon as the last is \
        answered; for %.1f s they sent %.0f/s: %d allowed (%.1f/s), %d answered 429.

        | tenant B latency (ms) | P50 | P95 | P99 | in the node: P50 | P95 | P99 | P50 vs alone | P50 vs baseline |
        |---|---|---|---|---|---|---|---|---|
        %s
        The first three columns are B's time at its client, from the request written to the last byte of the answer \
        read. *In the node* is the access log's `latencyMs` for the same requests: from the request's arrival at the \
        edge to its response; it leaves out the time a request waits in the socket before the node reads it. B is \
        never refused (the run fails if it is). Before the first row, an unmeasured saturating flood (with %d \
        requests of B) warms the code that all rows share. *P50 vs alone* is against B alone before and after the \
        floods pooled.%s

        The *baseline* rows send the same floods, from the same generator, to a bare Pekko HTTP route in the \
        node's JVM that answers 429 without looking at the request: what a flood costs B on this node whatever the \
        server does. *P50 vs baseline* is what our refusal path costs on top (authentication, the limiter, the \
        problem body, the access log); *P50 vs alone* is what B feels.

        %s

        No queue, actor or lock is shared between tenants on the request path, and a refusal is cheap: a verified \
        token is cached, and a node that was told a bucket is empty refuses locally until the bucket's \
        `Retry-After` (one ask to the limiter per refill, not per request), which keeps the allowed rate exact; \
        the access log masks personal data field by field and its lines are not scanned again by the log layout \
        (that scan was 46%% of the node's CPU under a flood before). Refusals still take the node's CPU, so a flood \
        that keeps it busy delays B's requests behind them. In production, more nodes (the limits are cluster-wide) \
        or the load balancer's per-client connection limits bound that share.
        """, PROBE_COUNT, PROBE_WARMUP, LEAD_SECONDS,
        PACED_RATE, PACED_RATE / 50, PACED_CONNECTIONS, paced.seconds(), paced.sent() / paced.seconds(),
        paced.unsent(), FloodGenerator.MAX_OUTSTANDING, paced.count(200), paced.count(200) / paced.seconds(),
        paced.count(429),
        SATURATING_CONNECTIONS, saturating.seconds(), saturating.sent() / saturating.seconds(),
        saturating.count(200), saturating.count(200) / saturating.seconds(), saturating.count(429),
        table, FIRST_PROBE_WARMUP + PROBE_COUNT, Math.abs(drift - 1) <= 0.2 ? "" : String.format(Locale.ROOT,
            " **B alone drifted from %.2f to %.2f ms (P50) over this run** (warm-up or the machine's other load): "
            + "differences between rows of that size need not be the floods' doing.",
            pct(alone.client(), 50), pct(aloneAfter.client(), 50)),
        pinning.describe());
  }

  private static void tableRow(StringBuilder table, String name, Phase phase, Phase alone, Phase baseline) {
    table.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f× | %s |%n", name,
        pct(phase.client(), 50), pct(phase.client(), 95), pct(phase.client(), 99),
        pct(phase.node(), 50), pct(phase.node(), 95), pct(phase.node(), 99), phase.p50VsAlone(alone),
        baseline == null ? "" : String.format(Locale.ROOT, "%.2f×", phase.p50VsBaseline(baseline))));
  }

  /** Runs {@link FloodGenerator} for one phase and reads its summary and B's lines of the node's access log. */
  private record Generator(Pinning pinning, ServerSide serverSide, String probe, String probeToken,
      String floodToken) {
    Phase run(String mode, String url, int connections, int rate, int warmup) throws Exception {
      List<String> command = new ArrayList<>(pinning.clientPrefix());
      command.addAll(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          // One CPU: the serial collector; the generator needs little memory.
          "-XX:+UseSerialGC", "-Xms64m", "-Xmx256m",
          // Its own classes only (surefire's class path may be a manifest-only jar, and the JDK is all it uses).
          "-cp", java.nio.file.Path.of(FloodGenerator.class.getProtectionDomain().getCodeSource().getLocation()
              .toURI()).toString(),
          FloodGenerator.class.getName(), "mode=" + mode, "url=" + url, "connections=" + connections,
          "rate=" + rate, "probe=" + probe, "warmup=" + warmup, "count=" + PROBE_COUNT,
          "lead=" + LEAD_SECONDS));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      // Tokens go in the environment, not on a command line that `ps` shows.
      builder.environment().put("PROBE_TOKEN", probeToken);
      builder.environment().put("FLOOD_TOKEN", floodToken);
      serverSide.drain();
      Process process = builder.start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new AssertionError("the flood generator failed (" + mode + " " + url + "):\n" + output);
      }
      String summaryLine = output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
          .orElseThrow(() -> new AssertionError("no summary from the flood generator:\n" + output));
      JsonNode summary = JSON.readTree(summaryLine);
      java.util.Map<Integer, Long> probeStatuses = statuses(summary.get("probeStatuses"));
      if (!probeStatuses.keySet().equals(java.util.Set.of(200))) {
        throw new AssertionError("tenant B got answers other than 200: " + probeStatuses);
      }
      List<Double> client = new ArrayList<>();
      summary.get("probeLatenciesMs").forEach(ms -> client.add(ms.asDouble()));
      // B's requests are sequential and logged before their answers leave: all are in by the time the process ends.
      List<Double> node = serverSide.drain();
      if (node.size() != warmup + PROBE_COUNT) {
        throw new AssertionError("expected " + (warmup + PROBE_COUNT) + " access log lines of B, got " + node.size());
      }
      node = node.subList(warmup, node.size());
      if (mode.equals("none")) return new Phase(0, 0, 0, java.util.Map.of(), client, node);
      java.util.Map<Integer, Long> statuses = statuses(summary.get("statuses"));
      long sent = summary.get("sent").asLong();
      long answered = statuses.values().stream().mapToLong(Long::longValue).sum();
      if (answered != sent || answered != statuses.getOrDefault(200, 0L) + statuses.getOrDefault(429, 0L)) {
        throw new AssertionError("the flood sent " + sent + " and got " + statuses);
      }
      return new Phase(summary.get("seconds").asDouble(), sent, summary.get("unsent").asLong(), statuses, client,
          node);
    }

    private static java.util.Map<Integer, Long> statuses(JsonNode counts) {
      java.util.Map<Integer, Long> statuses = new java.util.TreeMap<>();
      counts.fields().forEachRemaining(e -> statuses.put(Integer.valueOf(e.getKey()), e.getValue().asLong()));
      return statuses;
    }
  }

  /**
   * Where the node and the flood's clients run: the node (this JVM, all its threads) on the first CPU this process
   * may use and the generator on the second, with {@code taskset}; unpinned, with the reason, when there is no
   * {@code taskset}, it fails, or there is only one CPU.
   */
  private record Pinning(long pid, String nodeCpu, String clientCpu, String restoreMask, String unpinnedBecause) {
    static Pinning apply() throws InterruptedException {
      long pid = ProcessHandle.current().pid();
      String mask;
      List<String> cpus;
      try {
        mask = afterColon(taskset("-p", String.valueOf(pid)));
        cpus = cpuList(afterColon(taskset("-c", "-p", String.valueOf(pid))));
      } catch (IOException e) {
        return new Pinning(pid, null, null, null, "`taskset` is not available (" + e.getMessage() + ")");
      }
      if (cpus.size() < 2) {
        return new Pinning(pid, null, null, null, "this process may use only CPU " + String.join(",", cpus));
      }
      Pinning pinning = new Pinning(pid, cpus.get(0), cpus.get(1), mask, null);
      try {
        taskset("-a", "-c", "-p", pinning.nodeCpu(), String.valueOf(pid));
      } catch (IOException e) {
        pinning.restore();
        return new Pinning(pid, null, null, null, "`taskset` could not pin the node (" + e.getMessage() + ")");
      }
      return pinning;
    }

    boolean pinned() {
      return unpinnedBecause == null;
    }

    List<String> clientPrefix() {
      return pinned() ? List.of("taskset", "-c", clientCpu) : List.of();
    }

    void restore() throws InterruptedException {
      if (restoreMask == null) return;
      try {
        taskset("-a", "-p", restoreMask, String.valueOf(pid));
      } catch (IOException e) {
        System.err.println("could not restore this JVM's CPU affinity: " + e.getMessage());
      }
    }

    String describe() {
      if (!pinned()) {
        return "**Not pinned in this run:** " + unpinnedBecause + ". The node and the generator share the "
            + "machine's CPUs, so the clients' own work takes CPU from the node, and the rows overstate what a "
            + "flood costs B.";
      }
      return String.format(Locale.ROOT, "Where it runs: the node (the test's JVM, all its threads) on CPU %s only, "
          + "the clients (A's flood and B, one `FloodGenerator` JVM per row, plain sockets) on CPU %s only "
          + "(`taskset`), so the flood's client-side work does not take the node's CPU, and B's client is not "
          + "scheduled behind the node's work. What is still shared: the node's one CPU serves A's refusals and B's "
          + "requests together (that is what the table measures); B's client shares its CPU with A's generator, "
          + "in the baseline rows alike; loopback networking runs in the kernel on either CPU; and the machine's "
          + "other processes are not kept off either CPU.", nodeCpu, clientCpu);
    }

    private static String afterColon(String tasksetOutput) {
      return tasksetOutput.substring(tasksetOutput.lastIndexOf(':') + 1).strip();
    }

    /** The CPUs of a list such as {@code 0-3,6}, in order. */
    private static List<String> cpuList(String list) {
      List<String> cpus = new ArrayList<>();
      for (String part : list.split(",")) {
        String[] range = part.strip().split("-");
        for (int cpu = Integer.parseInt(range[0]); cpu <= Integer.parseInt(range[range.length - 1]); cpu++) {
          cpus.add(String.valueOf(cpu));
        }
      }
      return cpus;
    }

    private static String taskset(String... args) throws IOException, InterruptedException {
      List<String> command = new ArrayList<>(List.of("taskset"));
      command.addAll(List.of(args));
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (process.waitFor() != 0) throw new IOException("taskset " + String.join(" ", args) + ": " + output);
      return output;
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
