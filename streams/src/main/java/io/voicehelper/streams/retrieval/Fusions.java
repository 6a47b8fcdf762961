package io.voicehelper.streams.retrieval;

import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.entities.retrieval.Fusion;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/** Combines the vector and keyword rankings into one, keeping every half's rank and score. */
final class Fusions {

  private Fusions() {}

  /** The union of both halves, best fused score first; ties go to the better single-half rank, then the chunk id. */
  static List<RetrievedPassage> fuse(Fusion fusion, List<SearchHit> vector, List<SearchHit> keyword) {
    Map<String, Candidate> byChunk = new LinkedHashMap<>();
    for (int i = 0; i < vector.size(); i++) {
      SearchHit hit = vector.get(i);
      byChunk.computeIfAbsent(hit.chunk().chunkId(), id -> new Candidate(hit.chunk())).vector(i + 1, hit.score());
    }
    for (int i = 0; i < keyword.size(); i++) {
      SearchHit hit = keyword.get(i);
      byChunk.computeIfAbsent(hit.chunk().chunkId(), id -> new Candidate(hit.chunk())).keyword(i + 1, hit.score());
    }
    Range vectorRange = Range.of(vector);
    Range keywordRange = Range.of(keyword);
    List<RetrievedPassage> fused = new ArrayList<>(byChunk.size());
    for (Candidate c : byChunk.values()) {
      double score = score(fusion, c, vectorRange, keywordRange);
      fused.add(new RetrievedPassage(c.chunk,
          c.vectorRank > 0 ? OptionalInt.of(c.vectorRank) : OptionalInt.empty(),
          c.vectorRank > 0 ? OptionalDouble.of(c.vectorScore) : OptionalDouble.empty(),
          c.keywordRank > 0 ? OptionalInt.of(c.keywordRank) : OptionalInt.empty(),
          c.keywordRank > 0 ? OptionalDouble.of(c.keywordScore) : OptionalDouble.empty(),
          score, OptionalDouble.empty()));
    }
    fused.sort(Comparator.comparingDouble(RetrievedPassage::fusedScore).reversed()
        .thenComparingInt(Fusions::bestRank)
        .thenComparing(p -> p.chunk().chunkId()));
    return fused;
  }

  // Java 17 has no pattern matching for switch; Fusion is sealed, so this covers every case.
  private static double score(Fusion fusion, Candidate c, Range vectorRange, Range keywordRange) {
    if (fusion instanceof Fusion.ReciprocalRank rrf) return c.reciprocalRank(rrf.k());
    if (fusion instanceof Fusion.Weighted weighted) {
      double v = c.vectorRank > 0 ? vectorRange.normalise(c.vectorScore) : 0;
      double k = c.keywordRank > 0 ? keywordRange.normalise(c.keywordScore) : 0;
      return weighted.vectorWeight() * v + (1 - weighted.vectorWeight()) * k;
    }
    if (fusion instanceof Fusion.VectorOnly) return c.vectorRank > 0 ? c.vectorScore : 0;
    return c.keywordRank > 0 ? c.keywordScore : 0;
  }

  private static int bestRank(RetrievedPassage p) {
    return Math.min(p.vectorRank().orElse(Integer.MAX_VALUE), p.keywordRank().orElse(Integer.MAX_VALUE));
  }

  private static final class Candidate {
    final Chunk chunk;
    int vectorRank;
    double vectorScore;
    int keywordRank;
    double keywordScore;

    Candidate(Chunk chunk) {
      this.chunk = chunk;
    }

    // A store may list a chunk twice (it should not); the better rank counts.
    void vector(int rank, double score) {
      if (vectorRank == 0) {
        vectorRank = rank;
        vectorScore = score;
      }
    }

    void keyword(int rank, double score) {
      if (keywordRank == 0) {
        keywordRank = rank;
        keywordScore = score;
      }
    }

    double reciprocalRank(int k) {
      return (vectorRank > 0 ? 1.0 / (k + vectorRank) : 0) + (keywordRank > 0 ? 1.0 / (k + keywordRank) : 0);
    }
  }

  /** Min-max normalisation over one half's hits. */
  private record Range(double min, double max) {
    static Range of(List<SearchHit> hits) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (SearchHit hit : hits) {
        min = Math.min(min, hit.score());
        max = Math.max(max, hit.score());
      }
      return new Range(min, max);
    }

    double normalise(double score) {
      if (max == min) return 1;
      return (score - min) / (max - min);
    }
  }
}
