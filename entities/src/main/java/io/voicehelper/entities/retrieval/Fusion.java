package io.voicehelper.entities.retrieval;

/**
 * How the vector and keyword rankings are combined into one.
 */
public sealed interface Fusion {

  /**
   * Reciprocal rank fusion: each half adds {@code 1 / (k + rank)} (rank from 1). Needs no score calibration, but gives
   * a weak half as much say as a strong one.
   */
  record ReciprocalRank(int k) implements Fusion {
    public ReciprocalRank {
      if (k < 1) throw new IllegalArgumentException("the RRF constant k must be >= 1");
    }
  }

  /**
   * A weighted sum of the halves' scores, each min-max normalised over its own candidates (a half that did not find a
   * chunk adds 0): {@code vectorWeight * vector + (1 - vectorWeight) * keyword}. The default, at a weight measured for
   * the bundled embedding model.
   */
  record Weighted(double vectorWeight) implements Fusion {
    public Weighted {
      if (!(vectorWeight >= 0 && vectorWeight <= 1)) {
        throw new IllegalArgumentException("the vector weight must be between 0 and 1");
      }
    }
  }

  /** The vector half only (the keyword search is not run). */
  record VectorOnly() implements Fusion {}

  /** The keyword half only (no query embedding, no vector search). */
  record KeywordOnly() implements Fusion {}
}
