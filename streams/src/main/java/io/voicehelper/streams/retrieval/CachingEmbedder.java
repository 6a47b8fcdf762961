package io.voicehelper.streams.retrieval;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.voicehelper.entities.knowledge.Embedder;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Remembers the vectors of single texts (search queries): the same question asked again, by anyone of any tenant,
 * is not embedded again. A vector depends only on the text and the model, so nothing invalidates it; the cache is
 * bounded in entries. Calls with several texts (indexing) pass through.
 */
public final class CachingEmbedder implements Embedder {

  private final Embedder embedder;
  private final AsyncCache<String, float[]> cache;

  public CachingEmbedder(Embedder embedder, long maxEntries) {
    this.embedder = embedder;
    this.cache = Caffeine.newBuilder().maximumSize(maxEntries).buildAsync();
  }

  @Override
  public CompletionStage<List<float[]>> embedAll(List<String> texts) {
    if (texts.size() != 1) return embedder.embedAll(texts);
    return cache.get(texts.get(0), (text, executor) -> embedder.embedAll(List.of(text)).toCompletableFuture()
            .thenApply(vectors -> vectors.get(0)))
        .thenApply(vector -> List.of(vector.clone()));
  }

  @Override
  public int dimension() {
    return embedder.dimension();
  }

  @Override
  public String modelId() {
    return embedder.modelId();
  }
}
