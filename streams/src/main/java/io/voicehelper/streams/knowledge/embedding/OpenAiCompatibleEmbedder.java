package io.voicehelper.streams.knowledge.embedding;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.streams.generation.internal.CallControl;
import io.voicehelper.streams.generation.internal.ProviderErrors;
import io.voicehelper.streams.generation.internal.ProviderErrors.ProviderError;
import io.voicehelper.streams.generation.internal.ProviderHttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds through any OpenAI-compatible {@code POST /v1/embeddings} (OpenAI, DashScope compatible mode, vLLM,
 * Ollama) with LangChain4j's {@link OpenAiEmbeddingModel}, {@code batchSize} texts per request. The blocking call
 * runs on the given executor and is bounded by {@code timeout} as a whole; calls that fail with HTTP 429, 5xx, a
 * transport error or a timeout are retried {@code max-retries} times with doubling backoff (LangChain4j's own
 * retries are off). Vectors of another length than {@code dimensions} fail the call; the others are normalised.
 */
public final class OpenAiCompatibleEmbedder implements Embedder {

  private static final Logger log = LoggerFactory.getLogger(OpenAiCompatibleEmbedder.class);

  private final EmbeddingSettings.OpenAi settings;
  private final EmbeddingModel model;
  private final Executor executor;

  /** @param executor where the blocking HTTP calls run: a dispatcher for blocking work, never the default one */
  public OpenAiCompatibleEmbedder(EmbeddingSettings.OpenAi settings, int batchSize, Executor executor) {
    if (settings.baseUrl().isEmpty()) {
      throw new IllegalArgumentException("an OpenAI-compatible embedder needs " + EmbeddingSettings.CONFIG_PATH
          + ".openai.base-url");
    }
    this.settings = settings;
    this.executor = executor;
    Duration connectTimeout = settings.timeout().compareTo(Duration.ofSeconds(10)) < 0
        ? settings.timeout() : Duration.ofSeconds(10);
    this.model = OpenAiEmbeddingModel.builder()
        .httpClientBuilder(new ProviderHttpClient(ProviderHttpClient.newJdkClient(connectTimeout),
            settings.timeout(), new CallControl()).asBuilder())
        .baseUrl(settings.baseUrl())
        .apiKey(settings.apiKey().isEmpty() ? null : settings.apiKey())
        .modelName(settings.model())
        .dimensions(settings.sendDimensions() ? settings.dimensions() : null)
        .maxSegmentsPerBatch(batchSize)
        .timeout(settings.timeout())
        .maxRetries(0) // ours below
        .build();
  }

  @Override
  public CompletionStage<List<float[]>> embedAll(List<String> texts) {
    List<TextSegment> segments = new ArrayList<>(texts.size());
    for (String text : texts) {
      if (text == null || text.isBlank()) {
        return CompletableFuture.failedFuture(new IllegalArgumentException("cannot embed a blank text"));
      }
      segments.add(TextSegment.from(text));
    }
    if (segments.isEmpty()) return CompletableFuture.completedFuture(List.of());
    return attempt(segments, 0);
  }

  private CompletionStage<List<float[]>> attempt(List<TextSegment> segments, int retriesDone) {
    return CompletableFuture.supplyAsync(() -> model.embedAll(segments).content(), executor)
        .handle((embeddings, failure) -> failure == null
            ? CompletableFuture.completedFuture(vectors(embeddings, segments.size()))
            : retryOrFail(segments, retriesDone, failure))
        .thenCompose(next -> next);
  }

  private List<float[]> vectors(List<Embedding> embeddings, int expected) {
    if (embeddings.size() != expected) {
      throw new EmbeddingFailure("the embedding model returned " + embeddings.size() + " vectors for " + expected
          + " texts", null);
    }
    List<float[]> vectors = new ArrayList<>(expected);
    for (Embedding embedding : embeddings) {
      if (embedding.dimension() != settings.dimensions()) {
        throw new EmbeddingFailure("the embedding model '" + settings.model() + "' returned " + embedding.dimension()
            + "-d vectors, but " + EmbeddingSettings.CONFIG_PATH + ".openai.dimensions is " + settings.dimensions(),
            null);
      }
      vectors.add(Vectors.normalise(embedding.vector()));
    }
    return vectors;
  }

  private CompletionStage<List<float[]>> retryOrFail(List<TextSegment> segments, int retriesDone, Throwable failure) {
    ProviderError error = ProviderErrors.classify(failure, settings.baseUrl(), settings.model(), settings.timeout());
    if (!error.retriable() || retriesDone >= settings.maxRetries()) {
      String message = "embedding failed: " + error.message()
          + (error.retriable() ? ProviderErrors.afterRetries(retriesDone) : "");
      log.warn("{} ({})", message, error.logDetail());
      return CompletableFuture.failedFuture(new EmbeddingFailure(message, failure));
    }
    Duration delay = settings.backoff(retriesDone);
    if (error.retryAfter() != null && error.retryAfter().compareTo(delay) > 0) delay = error.retryAfter();
    log.info("Embedding: {}; retry {} of {} in {} ms", error.message(), retriesDone + 1, settings.maxRetries(),
        delay.toMillis());
    Executor later = CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS, executor);
    return CompletableFuture.supplyAsync(() -> attempt(segments, retriesDone + 1), later).thenCompose(next -> next);
  }

  @Override
  public int dimension() {
    return settings.dimensions();
  }

  /** The endpoint's model name and dimension: another model, or another length, forces a rebuild. */
  @Override
  public String modelId() {
    return "openai:" + settings.model() + ":" + settings.dimensions();
  }
}
