package io.voicehelper.streams.retrieval;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.retrieval.Fusion;
import io.voicehelper.entities.retrieval.RetrievalQuery;
import io.voicehelper.entities.retrieval.RetrievalResult;
import io.voicehelper.entities.retrieval.Retriever;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Remembers retrieval results per (tenant, the searched collections' {@link KnowledgeGenerations generations}, query),
 * so that a change to a collection makes its results unreachable at once. Bounded in entries and age; a result that
 * was degraded (a half failed or timed out) or failed is not kept. Concurrent identical queries share one retrieval.
 */
public final class CachingRetriever implements Retriever {

  private final Retriever retriever;
  private final KnowledgeGenerations generations;
  private final AsyncCache<Key, RetrievalResult> cache;

  public CachingRetriever(Retriever retriever, KnowledgeGenerations generations, long maxEntries, Duration ttl) {
    this.retriever = retriever;
    this.generations = generations;
    this.cache = Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(ttl).buildAsync();
  }

  private record Key(SearchFilter filter, String stamp, String text, int candidates, int topK,
      Optional<Fusion> fusion) {}

  @Override
  public CompletionStage<RetrievalResult> retrieve(RetrievalQuery query) {
    // The stamp is read before the search: a change that lands during it moves later queries to a new key.
    Key key = new Key(query.filter(), generations.stamp(query.filter()), query.text(), query.candidates(),
        query.topK(), query.fusion());
    boolean[] computed = new boolean[1];
    CompletableFuture<RetrievalResult> result = cache.get(key, (k, executor) -> {
      computed[0] = true;
      return retriever.retrieve(query).toCompletableFuture();
    });
    if (computed[0]) {
      result.thenAccept(answer -> {
        if (!answer.degraded().isEmpty()) cache.asMap().remove(key, result);
      });
      return result;
    }
    return result.thenApply(RetrievalResult::fromCache);
  }
}
