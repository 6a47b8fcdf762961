package io.voicehelper.entities.retrieval;

import io.voicehelper.entities.knowledge.SearchFilter;
import java.util.Optional;

/**
 * What to retrieve.
 *
 * @param filter whose chunks may be returned (always one tenant)
 * @param text the query as the user wrote it (or as rewritten)
 * @param candidates how many hits each half (vector, keyword) contributes to fusion: N
 * @param topK how many passages the result holds after fusion and rerank: K
 * @param fusion how the halves' rankings are combined; empty: the configured default
 */
public record RetrievalQuery(SearchFilter filter, String text, int candidates, int topK, Optional<Fusion> fusion) {

  public RetrievalQuery {
    if (text == null || text.isBlank()) throw new IllegalArgumentException("the query is empty");
    if (candidates < 1) throw new IllegalArgumentException("candidates must be >= 1");
    if (topK < 1) throw new IllegalArgumentException("topK must be >= 1");
  }
}
