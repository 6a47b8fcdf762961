package io.voicehelper.cluster.eval;

import java.util.List;

/**
 * Ranking metrics of one question, from the relevance of its ranked results (best first) and the number of relevant
 * items in the whole collection. Binary relevance throughout; averaging over questions is the caller's.
 */
final class RankingMetrics {

  private RankingMetrics() {}

  /**
   * 1 when a relevant item is among the first {@code k}, else 0: recall of the answer's section at {@code k}, also
   * called hit rate or success@k. Each question has one answering section, so this is the recall that matters; the
   * fraction of that section's chunks found would punish a section for being long.
   */
  static double recallAt(int k, List<Boolean> relevant) {
    return firstRelevant(k, relevant) > 0 ? 1 : 0;
  }

  /** {@code 1 / rank} of the first relevant item among the first {@code k} (ranks from 1), 0 if none is there. */
  static double reciprocalRankAt(int k, List<Boolean> relevant) {
    int rank = firstRelevant(k, relevant);
    return rank > 0 ? 1.0 / rank : 0;
  }

  /**
   * DCG of the first {@code k} over the ideal DCG, with gain 1 for a relevant item and 0 otherwise, discounted by
   * {@code log2(rank + 1)}; the ideal ranking puts {@code min(relevantInCollection, k)} relevant items first.
   */
  static double ndcgAt(int k, List<Boolean> relevant, int relevantInCollection) {
    if (relevantInCollection < 1) throw new IllegalArgumentException("a question without a relevant item has no nDCG");
    double dcg = 0;
    for (int i = 0; i < Math.min(k, relevant.size()); i++) {
      if (relevant.get(i)) dcg += discount(i + 1);
    }
    double ideal = 0;
    for (int rank = 1; rank <= Math.min(k, relevantInCollection); rank++) ideal += discount(rank);
    return dcg / ideal;
  }

  private static double discount(int rank) {
    return 1 / (Math.log(rank + 1) / Math.log(2));
  }

  /** The rank (from 1) of the first relevant item among the first {@code k}, 0 if none. */
  private static int firstRelevant(int k, List<Boolean> relevant) {
    for (int i = 0; i < Math.min(k, relevant.size()); i++) {
      if (relevant.get(i)) return i + 1;
    }
    return 0;
  }
}
