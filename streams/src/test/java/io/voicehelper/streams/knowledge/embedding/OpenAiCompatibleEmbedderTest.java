package io.voicehelper.streams.knowledge.embedding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.generation.FakeOpenAiServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** {@link OpenAiCompatibleEmbedder} against a loopback server speaking OpenAI's embeddings protocol. */
class OpenAiCompatibleEmbedderTest {

  static final ExecutorService blocking = Executors.newFixedThreadPool(2);
  static final String RATE_LIMITED = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}";
  static final String BROKEN = "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}";

  @AfterAll
  static void stop() {
    blocking.shutdown();
  }

  static OpenAiCompatibleEmbedder embedder(FakeOpenAiServer server, int maxRetries, Duration timeout) {
    return new OpenAiCompatibleEmbedder(new EmbeddingSettings.OpenAi(server.baseUrl(), "sk-test", "embed-small", 8,
        true, timeout, maxRetries, Duration.ofMillis(20)), 2, blocking);
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  @Test
  void embedsInBatchesInOrderAndNormalises() throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start(FakeOpenAiServer.vectors(8))) {
      OpenAiCompatibleEmbedder embedder = embedder(server, 0, Duration.ofSeconds(5));
      List<String> texts = List.of("退货政策", "refund", "shipping", "发货");
      List<float[]> vectors = await(embedder.embedAll(texts));

      assertEquals(4, vectors.size());
      for (int i = 0; i < texts.size(); i++) {
        float[] expected = Vectors.normalise(FakeOpenAiServer.vectorFor(texts.get(i), 8));
        assertArrayEquals(expected, vectors.get(i), 1e-6f);
        assertEquals(1.0, Vectors.dot(vectors.get(i), vectors.get(i)), 1e-5);
      }
      assertEquals(2, server.requests().size(), "batch-size 2");
      FakeOpenAiServer.Recorded first = server.requests().get(0);
      assertEquals("Bearer sk-test", first.authorization());
      assertEquals("embed-small", first.body().path("model").asText());
      assertEquals(8, first.body().path("dimensions").asInt());
      assertEquals(8, embedder.dimension());
      assertEquals("openai:embed-small:8", embedder.modelId());
    }
  }

  @Test
  void aServerErrorIsSurfacedWithItsStatusAfterTheRetries() throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start(FakeOpenAiServer.error(500, BROKEN))) {
      EmbeddingFailure failure = assertThrows(EmbeddingFailure.class,
          () -> await(embedder(server, 2, Duration.ofSeconds(5)).embedAll(List.of("a text"))));
      assertEquals("embedding failed: the model provider returned HTTP 500 after 2 retries", failure.getMessage());
      assertEquals(3, server.requests().size());
    }
  }

  @Test
  void aRateLimitIsRetriedAndThenSucceeds() throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start(
        FakeOpenAiServer.error(429, RATE_LIMITED, "retry-after-ms", "30"), FakeOpenAiServer.vectors(8))) {
      List<float[]> vectors = await(embedder(server, 1, Duration.ofSeconds(5)).embedAll(List.of("a text")));
      assertEquals(1, vectors.size());
      assertEquals(2, server.requests().size());
    }
  }

  @Test
  void aRateLimitWithoutRetriesLeftFailsClearly() throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start(FakeOpenAiServer.error(429, RATE_LIMITED))) {
      EmbeddingFailure failure = assertThrows(EmbeddingFailure.class,
          () -> await(embedder(server, 0, Duration.ofSeconds(5)).embedAll(List.of("a text"))));
      assertEquals("embedding failed: the model provider returned HTTP 429 (rate limited)", failure.getMessage());
    }
  }

  @Test
  void aBadKeyIsNotRetried() throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start(
        FakeOpenAiServer.error(401, "{\"error\":{\"message\":\"Incorrect API key\"}}"))) {
      EmbeddingFailure failure = assertThrows(EmbeddingFailure.class,
          () -> await(embedder(server, 3, Duration.ofSeconds(5)).embedAll(List.of("a text"))));
      assertTrue(failure.getMessage().contains("HTTP 401"), failure.getMessage());
      assertEquals(1, server.requests().size());
    }
  }

  @Test
  void aSilentServerTimesOutWithAClearFailure() throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start(FakeOpenAiServer.silence())) {
      long start = System.nanoTime();
      EmbeddingFailure failure = assertThrows(EmbeddingFailure.class,
          () -> await(embedder(server, 1, Duration.ofMillis(300)).embedAll(List.of("a text"))));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals("embedding failed: the model provider did not respond within 300 ms after 1 retry",
          failure.getMessage());
      assertEquals(2, server.requests().size());
      assertTrue(millis < 5_000, millis + " ms");
    }
  }

  @Test
  void vectorsOfAnotherLengthThanConfiguredFail() throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start(FakeOpenAiServer.vectors(6))) {
      EmbeddingFailure failure = assertThrows(EmbeddingFailure.class,
          () -> await(embedder(server, 0, Duration.ofSeconds(5)).embedAll(List.of("a text"))));
      assertTrue(failure.getMessage().contains("returned 6-d vectors"), failure.getMessage());
      assertFalse(failure.getMessage().contains("sk-test"));
    }
  }
}
