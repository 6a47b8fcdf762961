package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/** HTTP and SSE client helpers for tests that drive whole nodes through their public API. */
final class NodeTestSupport {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** The access token every request sends once {@link #signUp} succeeded (the API needs authentication). */
  private static volatile String bearer;
  private static volatile String tenantId;

  private NodeTestSupport() {}

  /**
   * Signs up a new tenant with its owner at {@code api} ({@code http://host:port/api/v1}) and, on success, sends the
   * owner's access token with every later request. Returns the sign-up response (retry it with {@link Eventually}).
   */
  static Response signUp(String api) throws Exception {
    String email = "owner-" + java.util.UUID.randomUUID() + "@example.com";
    bearer = null;
    Response response = post(api + "/auth/register",
        "{\"tenantName\":\"Test tenant\",\"email\":\"" + email + "\",\"password\":\"a long test password\"}");
    if (response.status() == 201) {
      bearer = response.body().get("accessToken").asText();
      tenantId = response.body().get("tenant").get("id").asText();
    }
    return response;
  }

  /** The access token of the owner signed up by {@link #signUp}. */
  static String bearer() {
    return bearer;
  }

  /** The tenant signed up by {@link #signUp}: it scopes the entity ids of its conversations. */
  static String tenant() {
    return tenantId;
  }

  static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static HttpRequest.Builder authorized(HttpRequest.Builder request) {
    String token = bearer;
    return token == null ? request : request.header("Authorization", "Bearer " + token);
  }

  /**
   * HOCON for one in-JVM node that forms a cluster by itself: free remoting and management ports, no language model
   * (unpaced template replies), and stopping it neither leaves the JVM nor runs the JVM's shutdown hook.
   */
  static String singleNode(int httpPort, String dbUrl, String... more) {
    List<String> lines = node(httpPort, dbUrl);
    lines.addAll(List.of(
        "voicehelper.llm.template.tokens-per-second = 0",
        "pekko.remote.artery.canonical.port = " + freePort(),
        "pekko.management.http.port = " + freePort(),
        "pekko.discovery.config.services.voicehelper.endpoints = "
            + "[{ host = \"127.0.0.1\", port = ${pekko.management.http.port} }]",
        "pekko.coordinated-shutdown.exit-jvm = off",
        "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off"));
    lines.addAll(List.of(more));
    return String.join("\n", lines);
  }

  /**
   * HOCON for node {@code index} (from 0) of a cluster of {@code size} nodes in this JVM sharing the database
   * {@code dbUrl}: Cluster Bootstrap tells contact points apart by host, so each node gets its own loopback address
   * (127.0.0.1, .2, ...) with the same management port, and the cluster forms once all of them are up. No language
   * model; a lost node is downed within seconds; stopping a node neither exits the JVM nor runs its shutdown hook.
   */
  static String clusterNode(int index, int size, int managementPort, int httpPort, String dbUrl, String... more) {
    String host = "127.0.0." + (index + 1);
    String endpoints = java.util.stream.IntStream.rangeClosed(1, size)
        .mapToObj(n -> "{ host = \"127.0.0." + n + "\", port = " + managementPort + " }")
        .collect(java.util.stream.Collectors.joining(", "));
    List<String> lines = node(httpPort, dbUrl);
    lines.addAll(List.of(
        "pekko.remote.artery.canonical.hostname = \"" + host + "\"",
        "pekko.remote.artery.canonical.port = " + freePort(),
        "pekko.management.http.hostname = \"" + host + "\"",
        "pekko.management.http.bind-hostname = \"" + host + "\"",
        "pekko.management.http.port = " + managementPort,
        "pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr = " + size,
        "pekko.management.cluster.bootstrap.contact-point-discovery.stable-margin = 1s",
        "pekko.discovery.config.services.voicehelper.endpoints = [" + endpoints + "]",
        "pekko.cluster.split-brain-resolver.stable-after = 3s",
        "pekko.cluster.failure-detector.acceptable-heartbeat-pause = 2s",
        "pekko.coordinated-shutdown.exit-jvm = off",
        "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off"));
    lines.addAll(List.of(more));
    return String.join("\n", lines);
  }

  /** What every test node has: the shared database, a fresh data directory, no sample knowledge, no model. */
  private static List<String> node(int httpPort, String dbUrl) {
    return new ArrayList<>(List.of(
        "voicehelper.db.url = \"" + dbUrl + "\"",
        "voicehelper.db.pool-size = 4",
        "voicehelper.data-dir = \"" + tempDataDir() + "\"",
        "voicehelper.knowledge.sample.enabled = off",
        "voicehelper.http.port = " + httpPort,
        "voicehelper.llm.provider = none"));
  }

  /**
   * Starts {@code size} nodes of one cluster in this JVM (see {@link #clusterNode}), each with {@code more}, and adds
   * their HTTP ports to {@code httpPorts}, in the nodes' order.
   */
  static List<ActorSystem<Void>> startCluster(int size, String dbUrl, List<Integer> httpPorts, String... more) {
    int management = freePort();
    List<ActorSystem<Void>> nodes = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      int http = freePort();
      httpPorts.add(http);
      nodes.add(Node.start(Node.loadConfig(clusterNode(i, size, management, http, dbUrl, more))));
    }
    return nodes;
  }

  /** Waits until every node sees every node up. */
  static void awaitAllUp(ActorTestKit probes, List<ActorSystem<Void>> nodes, Duration within) {
    probes.createTestProbe().awaitAssert(within, Duration.ofMillis(500), () -> {
      for (ActorSystem<Void> node : nodes) {
        long up = java.util.stream.StreamSupport.stream(Cluster.get(node).state().getMembers().spliterator(), false)
            .filter(m -> m.status() == MemberStatus.up()).count();
        assertEquals(nodes.size(), up, "members up as seen by " + Cluster.get(node).selfMember().address());
      }
      return null;
    });
  }

  /** Shuts the probes' test kit down (if started), then terminates every node and waits for it. */
  static void stopAll(ActorTestKit probes, List<ActorSystem<Void>> nodes) throws Exception {
    if (probes != null) probes.shutdownTestKit();
    for (ActorSystem<Void> node : nodes) {
      node.terminate();
      node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** A fresh directory for a node's files (index, originals), removed when the JVM exits. */
  static String tempDataDir() {
    try {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("voicehelper-node-");
      dir.toFile().deleteOnExit();
      return dir.toString().replace('\\', '/');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  record Response(int status, JsonNode body, HttpResponse<String> raw) {}

  static Response post(String url, String json) throws Exception {
    HttpResponse<String> response = HTTP.send(
        authorized(HttpRequest.newBuilder(URI.create(url)))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    return new Response(response.statusCode(), parse(response.body()), response);
  }

  static Response get(String url) throws Exception {
    HttpResponse<String> response = HTTP.send(
        authorized(HttpRequest.newBuilder(URI.create(url))).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return new Response(response.statusCode(), parse(response.body()), response);
  }

  /**
   * A request as one given user: {@code token} (may be null) is sent instead of the one {@link #signUp} keeps, for
   * tests that act as several users or tenants. {@code json} null sends no body; {@code accept} is the Accept header.
   */
  static Response send(String method, String url, String json, String token, String accept) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(60))
        .header("Accept", accept)
        .method(method, json == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) request.header("Content-Type", "application/json");
    if (token != null) request.header("Authorization", "Bearer " + token);
    HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body;
    try {
      body = parse(response.body());
    } catch (IOException notJson) {
      body = JSON.nullNode(); // an event stream, say: the raw body is in the response
    }
    return new Response(response.statusCode(), body, response);
  }

  /**
   * Uploads {@code content} as the multipart {@code file} part named {@code fileName}, as {@code token} (null: the
   * token {@link #signUp} keeps). {@code chunked}: without Content-Length, so a limit is found while the body streams.
   */
  static Response upload(String url, String token, String fileName, byte[] content, boolean chunked)
      throws Exception {
    return upload(url, token, fileName, content, chunked, Map.of("note", "ignored"), Map.of());
  }

  /** As above, with text parts {@code before} and {@code after} the file (e.g. {@code metadata}). */
  static Response upload(String url, String token, String fileName, byte[] content, boolean chunked,
      Map<String, String> before, Map<String, String> after) throws Exception {
    String boundary = "----vh" + java.util.UUID.randomUUID();
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    for (Map.Entry<String, String> part : before.entrySet()) body.write(textPart(boundary, part));
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName
        + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.write(content);
    body.write("\r\n".getBytes(StandardCharsets.UTF_8));
    for (Map.Entry<String, String> part : after.entrySet()) body.write(textPart(boundary, part));
    body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(chunked
            ? HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body.toByteArray()))
            : HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    if (token != null) request.header("Authorization", "Bearer " + token);
    HttpResponse<String> response = HTTP.send((token == null ? authorized(request) : request).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Response(response.statusCode(), parse(response.body()), response);
  }

  private static byte[] textPart(String boundary, Map.Entry<String, String> part) {
    return ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.getKey() + "\"\r\n\r\n"
        + part.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  private static JsonNode parse(String body) throws IOException {
    return body == null || body.isBlank() ? JSON.nullNode() : JSON.readTree(body);
  }

  /** One server-sent event. */
  record SseEvent(String event, String id, JsonNode data) {}

  /** An SSE stream read on its own thread; the test takes events with a timeout. */
  static final class SseStream implements AutoCloseable {
    private static final SseEvent END = new SseEvent("__end__", null, null);
    private final BlockingQueue<SseEvent> events = new LinkedBlockingQueue<>();
    private final InputStream body;
    final HttpResponse<InputStream> response;

    private SseStream(HttpResponse<InputStream> response) {
      this.response = response;
      this.body = response.body();
      Thread reader = new Thread(this::read, "sse-reader");
      reader.setDaemon(true);
      reader.start();
    }

    static SseStream open(HttpRequest.Builder request) throws Exception {
      HttpResponse<InputStream> response = HTTP.send(
          authorized(request).header("Accept", "text/event-stream").build(),
          HttpResponse.BodyHandlers.ofInputStream());
      return new SseStream(response);
    }

    static SseStream post(String url, String json) throws Exception {
      return open(HttpRequest.newBuilder(URI.create(url))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private void read() {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        String event = "message";
        String id = null;
        StringBuilder data = new StringBuilder();
        String line;
        while ((line = reader.readLine()) != null) {
          if (line.isEmpty()) {
            if (data.length() > 0) events.add(new SseEvent(event, id, JSON.readTree(data.toString())));
            event = "message";
            id = null;
            data.setLength(0);
          } else if (line.startsWith("event:")) {
            event = line.substring(6).strip();
          } else if (line.startsWith("id:")) {
            id = line.substring(3).strip();
          } else if (line.startsWith("data:")) {
            if (data.length() > 0) data.append('\n');
            data.append(line.substring(5).stripLeading());
          }
        }
      } catch (IOException e) {
        // The connection broke: the stream simply ends, like a client sees it.
      } finally {
        events.add(END);
      }
    }

    /** The next event, or null when the stream ended. */
    SseEvent next(Duration timeout) throws InterruptedException {
      SseEvent event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (event == null) throw new AssertionError("no SSE event within " + timeout);
      return event == END ? null : event;
    }

    /** Every event until the stream ends. */
    List<SseEvent> rest(Duration timeout) throws InterruptedException {
      List<SseEvent> all = new ArrayList<>();
      SseEvent event;
      while ((event = next(timeout)) != null) all.add(event);
      return all;
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }
}
