package io.voicehelper.streams.knowledge.embedding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A loopback OpenAI embeddings server speaking the real wire protocol: {@code POST /v1/embeddings} with
 * {@code input} (a list of strings) answered by a {@code list} of {@code embedding} objects with usage, and
 * OpenAI-style error bodies. Each request is answered by the next scripted step; the last step repeats.
 */
final class FakeEmbeddingServer implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper();

  /** A request as the server saw it. */
  record Recorded(String path, String authorization, JsonNode body) {}

  /** How one request is answered. */
  interface Step {
    void respond(HttpExchange exchange, Recorded request, FakeEmbeddingServer server) throws IOException;
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<Step> script;
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final CountDownLatch released = new CountDownLatch(1);

  private FakeEmbeddingServer(List<Step> script) throws IOException {
    this.script = List.copyOf(script);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  static FakeEmbeddingServer start(Step... script) throws IOException {
    return new FakeEmbeddingServer(List.of(script));
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  List<Recorded> requests() {
    return List.copyOf(requests);
  }

  @Override
  public void close() {
    released.countDown();
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String raw = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Recorded request = new Recorded(exchange.getRequestURI().getPath(),
          exchange.getRequestHeaders().getFirst("Authorization"),
          raw.isEmpty() ? JSON.createObjectNode() : JSON.readTree(raw));
      int index = requests.size();
      requests.add(request);
      if (!request.path().equals("/v1/embeddings")) {
        error(404, "{\"error\":{\"message\":\"Unknown path " + request.path() + "\"}}").respond(exchange, request, this);
        return;
      }
      script.get(Math.min(index, script.size() - 1)).respond(exchange, request, this);
    } catch (IOException clientWentAway) {
      // the client closed the connection (a timeout)
    }
  }

  /**
   * Answers every input with a vector of {@code dimension} values that depends on the text only (not normalised,
   * so the client's normalisation shows), in input order.
   */
  static Step vectors(int dimension) {
    return (exchange, request, server) -> {
      ObjectNode body = JSON.createObjectNode().put("object", "list").put("model", request.body().path("model").asText());
      ArrayNode data = body.putArray("data");
      int i = 0;
      for (JsonNode input : request.body().path("input")) {
        ArrayNode vector = data.addObject().put("object", "embedding").put("index", i++).putArray("embedding");
        for (float v : vectorFor(input.asText(), dimension)) vector.add(v);
      }
      body.putObject("usage").put("prompt_tokens", i * 3).put("total_tokens", i * 3);
      byte[] bytes = JSON.writeValueAsBytes(body);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, bytes.length);
      exchange.getResponseBody().write(bytes);
    };
  }

  /** The raw vector {@link #vectors} sends for {@code text}. */
  static float[] vectorFor(String text, int dimension) {
    float[] vector = new float[dimension];
    for (int d = 0; d < dimension; d++) vector[d] = 3 * (float) Math.sin(text.hashCode() + d * 1.7);
    return vector;
  }

  /** An error status with an OpenAI-style body and extra headers given as name, value pairs. */
  static Step error(int status, String body, String... headers) {
    return (exchange, request, server) -> {
      for (int i = 0; i + 1 < headers.length; i += 2) exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) exchange.getResponseBody().write(bytes);
    };
  }

  /** Never answers (until the test ends). */
  static Step silence() {
    return (exchange, request, server) -> {
      try {
        server.released.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }
}
