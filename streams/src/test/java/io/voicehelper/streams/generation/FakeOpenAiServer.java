package io.voicehelper.streams.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A loopback OpenAI server speaking the real wire protocol: {@code POST /v1/chat/completions} with
 * {@code stream: true} answered as SSE {@code chat.completion.chunk}s (the usage chunk when
 * {@code stream_options.include_usage} is set, then {@code data: [DONE]}), non-streaming JSON otherwise;
 * {@code POST /v1/embeddings} answered with {@link #vectors}; OpenAI-style error bodies. Each request is answered by
 * the next scripted step; the last step repeats. Public for the embedding adapter's tests in another package.
 */
public final class FakeOpenAiServer implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper();

  /** A request as the server saw it. */
  public record Recorded(String path, String authorization, JsonNode body, long receivedNanos) {}

  /** How one request is answered. */
  public interface Step {
    void respond(HttpExchange exchange, Recorded request, FakeOpenAiServer server) throws IOException;
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<Step> script;
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  /** Frees handlers that stall on purpose, when the test ends. */
  private final CountDownLatch released = new CountDownLatch(1);
  /** Completes when a stalling or endless step has sent its response headers. */
  final CompletableFuture<Void> headersSent = new CompletableFuture<>();
  /** Completes with true when a write of an endless step failed because the client closed the connection. */
  final CompletableFuture<Boolean> clientGone = new CompletableFuture<>();

  private FakeOpenAiServer(List<Step> script) throws IOException {
    this.script = List.copyOf(script);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  public static FakeOpenAiServer start(Step... script) throws IOException {
    return new FakeOpenAiServer(List.of(script));
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  public List<Recorded> requests() {
    return List.copyOf(requests);
  }

  int requestCount() {
    return requests.size();
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
          raw.isEmpty() ? JSON.createObjectNode() : JSON.readTree(raw), System.nanoTime());
      int index = requests.size();
      requests.add(request);
      if (!request.path().equals("/v1/chat/completions") && !request.path().equals("/v1/embeddings")) {
        error(404, "{\"error\":{\"message\":\"Unknown path " + request.path() + "\"}}").respond(exchange, request, this);
        return;
      }
      script.get(Math.min(index, script.size() - 1)).respond(exchange, request, this);
    } catch (IOException clientWentAway) {
      // the client closed the connection; endless steps report it themselves
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Steps

  /** Closes the connection without answering, as a server does with a kept-alive connection it timed out. */
  static Step hangUpWithoutAnswer() {
    return (exchange, request, server) -> {
      // The exchange closes with nothing sent: the server drops the connection.
    };
  }

  /** A complete streamed reply: role chunk, one chunk per token, the finish chunk, usage if asked, [DONE]. */
  public static Step stream(String model, List<String> tokens, Integer promptTokens, Integer completionTokens) {
    return (exchange, request, server) -> {
      OutputStream out = startSse(exchange);
      send(out, chunk(model, delta("role", "assistant"), null));
      for (String token : tokens) send(out, chunk(model, delta("content", token), null));
      send(out, chunk(model, JSON.createObjectNode(), "stop"));
      if (request.body().path("stream_options").path("include_usage").asBoolean(false) && promptTokens != null) {
        ObjectNode usage = chunkBase(model);
        usage.putArray("choices");
        usage.putObject("usage")
            .put("prompt_tokens", promptTokens)
            .put("completion_tokens", completionTokens)
            .put("total_tokens", promptTokens + completionTokens);
        send(out, usage);
      }
      sendRaw(out, "data: [DONE]\n\n");
    };
  }

  /** An error status with an OpenAI-style body and extra headers given as name, value pairs. */
  public static Step error(int status, String body, String... headers) {
    return (exchange, request, server) -> {
      for (int i = 0; i + 1 < headers.length; i += 2) exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) exchange.getResponseBody().write(bytes);
    };
  }

  /**
   * Embeddings: answers every input with a vector of {@code dimension} values that depends on the text only (not
   * normalised, so the client's normalisation shows), in input order.
   */
  public static Step vectors(int dimension) {
    return (exchange, request, server) -> {
      ObjectNode body = JSON.createObjectNode().put("object", "list")
          .put("model", request.body().path("model").asText());
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
  public static float[] vectorFor(String text, int dimension) {
    float[] vector = new float[dimension];
    for (int d = 0; d < dimension; d++) vector[d] = 3 * (float) Math.sin(text.hashCode() + d * 1.7);
    return vector;
  }

  /** Never answers (until the test ends). */
  public static Step silence() {
    return (exchange, request, server) -> server.awaitRelease();
  }

  /** Sends the headers and the role chunk, then nothing until the test ends. */
  static Step stallAfterHeaders(String model) {
    return (exchange, request, server) -> {
      OutputStream out = startSse(exchange);
      send(out, chunk(model, delta("role", "assistant"), null));
      server.headersSent.complete(null);
      server.awaitRelease();
    };
  }

  /** Streams some tokens, then nothing until the test ends. */
  static Step tokensThenStall(String model, List<String> tokens) {
    return (exchange, request, server) -> {
      OutputStream out = startSse(exchange);
      for (String token : tokens) send(out, chunk(model, delta("content", token), null));
      server.awaitRelease();
    };
  }

  /** Streams some tokens, then ends the response cleanly but without a finish reason or [DONE]. */
  static Step tokensThenHangUp(String model, List<String> tokens) {
    return (exchange, request, server) -> {
      OutputStream out = startSse(exchange);
      for (String token : tokens) send(out, chunk(model, delta("content", token), null));
    };
  }

  /**
   * Streams tokens as fast as the client reads them until a write fails because the client closed the connection
   * ({@link #clientGone} true), or gives up after many tokens (false).
   */
  static Step endlessTokens(String model) {
    return (exchange, request, server) -> {
      try {
        OutputStream out = startSse(exchange);
        server.headersSent.complete(null);
        for (int i = 0; i < 500_000; i++) send(out, chunk(model, delta("content", "t" + i + " "), null));
        server.clientGone.complete(false);
      } catch (IOException closedByClient) {
        server.clientGone.complete(true);
      }
    };
  }

  /**
   * Sends headers, then only SSE comments (keep-alives, no token) every 20 ms until a write fails because the
   * client closed the connection ({@link #clientGone} true), or for at most 15 s (false).
   */
  static Step keepAlivesWithoutTokens() {
    return (exchange, request, server) -> {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      try {
        OutputStream out = startSse(exchange);
        server.headersSent.complete(null);
        while (System.nanoTime() < deadline) {
          sendRaw(out, ": keep-alive\n\n");
          if (server.released.await(20, TimeUnit.MILLISECONDS)) break;
        }
        server.clientGone.complete(false);
      } catch (IOException closedByClient) {
        server.clientGone.complete(true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  /** A non-streaming {@code chat.completion}. */
  public static Step completion(String model, String content, int promptTokens, int completionTokens) {
    return (exchange, request, server) -> {
      ObjectNode body = JSON.createObjectNode()
          .put("id", "chatcmpl-fake")
          .put("object", "chat.completion")
          .put("created", 1_700_000_000)
          .put("model", model);
      ObjectNode choice = body.putArray("choices").addObject();
      choice.put("index", 0).put("finish_reason", "stop");
      choice.putObject("message").put("role", "assistant").put("content", content);
      body.putObject("usage")
          .put("prompt_tokens", promptTokens)
          .put("completion_tokens", completionTokens)
          .put("total_tokens", promptTokens + completionTokens);
      byte[] bytes = JSON.writeValueAsBytes(body);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, bytes.length);
      exchange.getResponseBody().write(bytes);
    };
  }

  // -------------------------------------------------------------------------------------------------------------

  private void awaitRelease() {
    try {
      released.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static OutputStream startSse(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().add("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0); // chunked
    return exchange.getResponseBody();
  }

  private static ObjectNode chunkBase(String model) {
    return JSON.createObjectNode()
        .put("id", "chatcmpl-fake")
        .put("object", "chat.completion.chunk")
        .put("created", 1_700_000_000)
        .put("model", model);
  }

  private static ObjectNode delta(String field, String value) {
    return JSON.createObjectNode().put(field, value);
  }

  private static ObjectNode chunk(String model, ObjectNode delta, String finishReason) {
    ObjectNode chunk = chunkBase(model);
    ArrayNode choices = chunk.putArray("choices");
    ObjectNode choice = choices.addObject().put("index", 0);
    choice.set("delta", delta);
    if (finishReason == null) choice.putNull("finish_reason");
    else choice.put("finish_reason", finishReason);
    return chunk;
  }

  private static void send(OutputStream out, ObjectNode event) throws IOException {
    sendRaw(out, "data: " + JSON.writeValueAsString(event) + "\n\n");
  }

  private static void sendRaw(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
