package io.voicehelper.streams.knowledge.embedding;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallzhv15q.BgeSmallZhV15QuantizedEmbeddingModel;
import io.voicehelper.entities.knowledge.Embedder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * {@code bge-small-zh-v1.5} (int8-quantized, 512-d; the weights ship inside the LangChain4j JAR) run in this JVM by
 * ONNX Runtime. Every call runs on the given executor, in batches of {@code batchSize} texts one after another:
 * LangChain4j's own parallel fan-out is turned off, so the model's CPU use is bounded by that executor's threads.
 */
public final class InProcessEmbedder implements Embedder {

  /** The model, its variant and its version; stored with the index and the chunks. */
  public static final String MODEL_ID = "bge-small-zh-v1.5-q";
  public static final int DIMENSION = 512;

  private final EmbeddingModel model;
  private final Executor executor;
  private final int batchSize;

  /**
   * Loads the model (about a second, and some 100 MB of memory), on the calling thread.
   *
   * @param executor where the model runs: a dedicated dispatcher, never the default one
   * @param batchSize texts per model call
   */
  public InProcessEmbedder(Executor executor, int batchSize) {
    if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1");
    // Runnable::run: LangChain4j would otherwise embed a list in parallel on a pool of its own.
    this.model = new BgeSmallZhV15QuantizedEmbeddingModel(Runnable::run);
    this.executor = executor;
    this.batchSize = batchSize;
  }

  /**
   * Passages and queries alike. bge's query instruction ("为这个句子生成表示以用于检索相关文章：") is not used: BAAI
   * says v1.5 works without it, and on the questions of {@code LuceneInProcessEmbedderTest} it changed no ranking.
   */
  @Override
  public CompletionStage<List<float[]>> embedAll(List<String> texts) {
    List<String> copy = List.copyOf(texts);
    if (copy.isEmpty()) return CompletableFuture.completedFuture(List.of());
    return CompletableFuture.supplyAsync(() -> embedNow(copy), executor);
  }

  private List<float[]> embedNow(List<String> texts) {
    List<float[]> vectors = new ArrayList<>(texts.size());
    for (int from = 0; from < texts.size(); from += batchSize) {
      List<TextSegment> segments = new ArrayList<>();
      for (String text : texts.subList(from, Math.min(from + batchSize, texts.size()))) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("cannot embed a blank text");
        segments.add(TextSegment.from(text));
      }
      try {
        for (Embedding embedding : model.embedAll(segments).content()) {
          vectors.add(Vectors.normalise(embedding.vector()));
        }
      } catch (RuntimeException e) {
        throw new EmbeddingFailure("the in-process embedding model failed: " + e.getMessage(), e);
      }
    }
    return vectors;
  }

  @Override
  public int dimension() {
    return DIMENSION;
  }

  @Override
  public String modelId() {
    return MODEL_ID;
  }
}
