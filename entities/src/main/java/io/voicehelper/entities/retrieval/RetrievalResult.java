package io.voicehelper.entities.retrieval;

import java.util.List;

/**
 * The passages found, and how they were found.
 *
 * @param passages best first, at most the query's top K
 * @param mode which halves answered
 * @param degraded why a half that should have answered did not (a failure or a timeout), empty when none
 * @param reranker the reranker that ordered the passages ({@code "fusion"} when they are in fusion order)
 * @param timings milliseconds spent per stage (when it was retrieved, for a cached result)
 * @param cached whether the result came from the retrieval cache
 */
public record RetrievalResult(
    List<RetrievedPassage> passages, Mode mode, List<String> degraded, String reranker, Timings timings,
    boolean cached) {

  public RetrievalResult {
    passages = List.copyOf(passages);
    degraded = List.copyOf(degraded);
  }

  /** A result just retrieved. */
  public RetrievalResult(List<RetrievedPassage> passages, Mode mode, List<String> degraded, String reranker,
      Timings timings) {
    this(passages, mode, degraded, reranker, timings, false);
  }

  /** The same result, served from the cache. */
  public RetrievalResult fromCache() {
    return new RetrievalResult(passages, mode, degraded, reranker, timings, true);
  }

  /** Which halves of the search answered. */
  public enum Mode { HYBRID, VECTOR_ONLY, KEYWORD_ONLY }

  /** Milliseconds per stage; a stage that did not run is 0. */
  public record Timings(double embedMs, double vectorMs, double keywordMs, double rerankMs, double totalMs) {}
}
