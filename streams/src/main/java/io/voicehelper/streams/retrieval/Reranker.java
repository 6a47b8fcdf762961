package io.voicehelper.streams.retrieval;

import io.voicehelper.entities.retrieval.RetrievedPassage;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Port to a reranker: reorders the fused candidates by how well each answers the query. Adapters: an LLM listwise
 * rerank through the model port, a cross-encoder scored in process; {@link #FUSION_ORDER} when neither is configured.
 */
public interface Reranker {

  /** Names the reranker in results ({@code "fusion"}, {@code "cross-encoder:<model>"}, ...). */
  String name();

  /**
   * The same passages, best first, each with its {@link RetrievedPassage#rerankScore()} set (a reranker may drop
   * none and add none).
   */
  CompletionStage<List<RetrievedPassage>> rerank(String query, List<RetrievedPassage> passages);

  /** Keeps the fusion's order: what retrieval does without a reranker. */
  Reranker FUSION_ORDER = new Reranker() {
    @Override
    public String name() {
      return "fusion";
    }

    @Override
    public CompletionStage<List<RetrievedPassage>> rerank(String query, List<RetrievedPassage> passages) {
      return java.util.concurrent.CompletableFuture.completedFuture(passages);
    }
  };
}
