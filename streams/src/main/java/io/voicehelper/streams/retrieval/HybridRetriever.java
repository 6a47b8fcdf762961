package io.voicehelper.streams.retrieval;

import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.KnowledgeIndex;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.entities.retrieval.Fusion;
import io.voicehelper.entities.retrieval.RetrievalSettings;
import io.voicehelper.entities.retrieval.RetrievalUnavailableException;
import io.voicehelper.entities.retrieval.RetrievalQuery;
import io.voicehelper.entities.retrieval.RetrievalResult;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import io.voicehelper.entities.retrieval.Retriever;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vector top-N and BM25 top-N in parallel, each bounded by the stage timeout; then fusion, rerank of the best
 * {@code rerank-window}, and the top K. A half that fails or times out leaves the other to answer alone, and the
 * result names it in {@link RetrievalResult#degraded()}; a reranker that fails leaves the fusion order.
 */
public final class HybridRetriever implements Retriever {

  private static final Logger log = LoggerFactory.getLogger(HybridRetriever.class);

  private final KnowledgeIndex index;
  private final Embedder embedder;
  private final Reranker reranker;
  private final RetrievalSettings settings;

  public HybridRetriever(KnowledgeIndex index, Embedder embedder, Reranker reranker, RetrievalSettings settings) {
    this.index = index;
    this.embedder = embedder;
    this.reranker = reranker;
    this.settings = settings;
  }

  public RetrievalSettings settings() {
    return settings;
  }

  @Override
  public CompletionStage<RetrievalResult> retrieve(RetrievalQuery query) {
    long start = System.nanoTime();
    Fusion fusion = query.fusion().orElse(settings.fusion());
    boolean wantVector = !(fusion instanceof Fusion.KeywordOnly);
    boolean wantKeyword = !(fusion instanceof Fusion.VectorOnly);
    CompletableFuture<Half> vector = wantVector ? vectorHalf(query) : CompletableFuture.completedFuture(Half.SKIPPED);
    CompletableFuture<Half> keyword = wantKeyword ? keywordHalf(query) : CompletableFuture.completedFuture(Half.SKIPPED);
    return vector.thenCombine(keyword, (v, k) -> new Halves(v, k))
        .thenCompose(halves -> fuseAndRerank(query, fusion, halves, start));
  }

  private record Halves(Half vector, Half keyword) {}

  private CompletionStage<RetrievalResult> fuseAndRerank(RetrievalQuery query, Fusion fusion, Halves halves,
      long start) {
    List<String> degraded = new ArrayList<>();
    halves.vector.failure.ifPresent(degraded::add);
    halves.keyword.failure.ifPresent(degraded::add);
    boolean vectorAnswered = halves.vector.answered();
    boolean keywordAnswered = halves.keyword.answered();
    if (!vectorAnswered && !keywordAnswered) {
      throw new RetrievalUnavailableException("no search could answer: " + String.join("; ", degraded));
    }
    RetrievalResult.Mode mode = vectorAnswered && keywordAnswered ? RetrievalResult.Mode.HYBRID
        : vectorAnswered ? RetrievalResult.Mode.VECTOR_ONLY : RetrievalResult.Mode.KEYWORD_ONLY;
    // One half alone is ranked by its own scores, whatever fusion was asked for.
    Fusion effective = mode == RetrievalResult.Mode.HYBRID ? fusion
        : mode == RetrievalResult.Mode.VECTOR_ONLY ? new Fusion.VectorOnly() : new Fusion.KeywordOnly();
    List<RetrievedPassage> fused = Fusions.fuse(effective, halves.vector.hits, halves.keyword.hits);
    int window = Math.min(fused.size(), Math.max(query.topK(), settings.rerankWindow()));
    List<RetrievedPassage> candidates = fused.subList(0, window);
    long rerankStart = System.nanoTime();
    return rerank(query.text(), candidates, degraded).thenApply(ranked -> {
      long end = System.nanoTime();
      List<RetrievedPassage> top = ranked.passages.subList(0, Math.min(query.topK(), ranked.passages.size()));
      return new RetrievalResult(top, mode, degraded, ranked.reranker,
          new RetrievalResult.Timings(halves.vector.embedMs, halves.vector.searchMs, halves.keyword.searchMs,
              millis(rerankStart, end), millis(start, end)));
    });
  }

  private record Ranked(List<RetrievedPassage> passages, String reranker) {}

  private CompletionStage<Ranked> rerank(String query, List<RetrievedPassage> candidates, List<String> degraded) {
    if (reranker == Reranker.FUSION_ORDER || candidates.size() < 2) {
      return CompletableFuture.completedFuture(new Ranked(candidates, Reranker.FUSION_ORDER.name()));
    }
    CompletableFuture<List<RetrievedPassage>> reranked;
    try {
      reranked = bounded(reranker.rerank(query, candidates));
    } catch (RuntimeException e) {
      reranked = CompletableFuture.failedFuture(e);
    }
    return reranked.handle((passages, failure) -> {
      if (failure == null && passages.size() == candidates.size()) return new Ranked(passages, reranker.name());
      String reason = failure == null ? "returned " + passages.size() + " of " + candidates.size() + " passages"
          : describe(failure);
      log.warn("Rerank by {} failed, keeping the fusion order: {}", reranker.name(), reason);
      degraded.add("rerank " + reason);
      return new Ranked(candidates, Reranker.FUSION_ORDER.name());
    });
  }

  private CompletableFuture<Half> vectorHalf(RetrievalQuery query) {
    long start = System.nanoTime();
    long[] embedded = new long[1];
    CompletionStage<List<SearchHit>> hits;
    try {
      hits = embedder.embedAll(List.of(query.text())).thenCompose(vectors -> {
        embedded[0] = System.nanoTime();
        return index.searchVector(query.filter(), vectors.get(0), query.candidates());
      });
    } catch (RuntimeException e) {
      hits = CompletableFuture.failedFuture(e);
    }
    return bounded(hits).handle((found, failure) -> {
      long end = System.nanoTime();
      double embedMs = embedded[0] == 0 ? millis(start, end) : millis(start, embedded[0]);
      double searchMs = embedded[0] == 0 ? 0 : millis(embedded[0], end);
      if (failure != null) return Half.failed("vector", failure, embedMs, searchMs);
      return new Half(found, Optional.empty(), embedMs, searchMs, true);
    });
  }

  private CompletableFuture<Half> keywordHalf(RetrievalQuery query) {
    long start = System.nanoTime();
    CompletionStage<List<SearchHit>> hits;
    try {
      hits = index.searchKeyword(query.filter(), query.text(), query.candidates());
    } catch (RuntimeException e) {
      hits = CompletableFuture.failedFuture(e);
    }
    return bounded(hits).handle((found, failure) -> {
      double ms = millis(start, System.nanoTime());
      if (failure != null) return Half.failed("keyword", failure, 0, ms);
      return new Half(found, Optional.empty(), 0, ms, true);
    });
  }

  private <T> CompletableFuture<T> bounded(CompletionStage<T> stage) {
    // A copy: the timeout completes ours, not the store's own future.
    return stage.toCompletableFuture().copy().orTimeout(settings.stageTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** What one half found, or why it found nothing. */
  private record Half(List<SearchHit> hits, Optional<String> failure, double embedMs, double searchMs,
      boolean answered) {
    static final Half SKIPPED = new Half(List.of(), Optional.empty(), 0, 0, false);

    static Half failed(String which, Throwable failure, double embedMs, double searchMs) {
      String reason = describe(failure);
      log.warn("The {} search failed, the other half answers alone: {}", which, reason, unwrap(failure));
      return new Half(List.of(), Optional.of(which + " search " + reason), embedMs, searchMs, false);
    }
  }

  // Says what happened without the exception's message, which may name internals the client must not see.
  private static String describe(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof TimeoutException) return "timed out";
    return "failed (" + cause.getClass().getSimpleName() + ")";
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) cause = cause.getCause();
    return cause;
  }

  private static double millis(long fromNanos, long toNanos) {
    return Math.round((toNanos - fromNanos) / 1_000.0) / 1_000.0;
  }
}
