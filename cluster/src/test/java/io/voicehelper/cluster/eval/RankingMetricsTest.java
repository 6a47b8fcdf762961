package io.voicehelper.cluster.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The metrics against values worked out by hand. */
class RankingMetricsTest {

  private static final double EPS = 1e-9;
  private static final boolean Y = true;
  private static final boolean N = false;

  @Test
  void recallCountsAHitInTheFirstK() {
    assertEquals(1, RankingMetrics.recallAt(5, List.of(N, N, N, N, Y, Y)), EPS);
    assertEquals(0, RankingMetrics.recallAt(5, List.of(N, N, N, N, N, Y)), EPS);
    assertEquals(1, RankingMetrics.recallAt(5, List.of(Y, Y, Y)), EPS); // one question: 1, not 3
    assertEquals(0, RankingMetrics.recallAt(5, List.of()), EPS);
  }

  @Test
  void reciprocalRankIsThatOfTheFirstRelevantWithinK() {
    assertEquals(1.0, RankingMetrics.reciprocalRankAt(10, List.of(Y, N, Y)), EPS);
    assertEquals(1.0 / 3, RankingMetrics.reciprocalRankAt(10, List.of(N, N, Y, Y)), EPS);
    assertEquals(0.1, RankingMetrics.reciprocalRankAt(10, List.of(N, N, N, N, N, N, N, N, N, Y)), EPS);
    assertEquals(0, RankingMetrics.reciprocalRankAt(10, List.of(N, N, N, N, N, N, N, N, N, N, Y)), EPS);
  }

  @Test
  void ndcgWithBinaryGains() {
    // One relevant chunk in the collection, found at rank 3: (1/log2 4) / (1/log2 2) = 0.5.
    assertEquals(0.5, RankingMetrics.ndcgAt(10, List.of(N, N, Y), 1), EPS);
    // Two relevant, found at ranks 1 and 3: (1 + 0.5) / (1 + 1/log2 3) = 1.5 / 1.6309297535714575.
    assertEquals(1.5 / (1 + 1 / (Math.log(3) / Math.log(2))), RankingMetrics.ndcgAt(10, List.of(Y, N, Y), 2), EPS);
    assertEquals(0.919720789, RankingMetrics.ndcgAt(10, List.of(Y, N, Y), 2), 1e-9);
    // The ideal is capped at k: 12 relevant, all of the top 10 relevant, is perfect.
    List<Boolean> allRelevant = List.of(Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y);
    assertEquals(1.0, RankingMetrics.ndcgAt(10, allRelevant, 12), EPS);
    // Relevant items ranked below k do not count.
    assertEquals(0, RankingMetrics.ndcgAt(2, List.of(N, N, Y), 1), EPS);
    assertThrows(IllegalArgumentException.class, () -> RankingMetrics.ndcgAt(10, List.of(N), 0));
  }
}
