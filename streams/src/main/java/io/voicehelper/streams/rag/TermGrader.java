package io.voicehelper.streams.rag;

import io.voicehelper.entities.retrieval.RetrievedPassage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Grades passages without a model: a passage (heading path and text) is relevant when it contains at least
 * {@code minTermCoverage} of the key terms of the question or of its search query, or when its vector similarity
 * to the query is at least {@code minSimilarity}.
 */
public final class TermGrader implements PassageGrader {

  private final double minTermCoverage;
  private final double minSimilarity;

  public TermGrader(double minTermCoverage, double minSimilarity) {
    this.minTermCoverage = minTermCoverage;
    this.minSimilarity = minSimilarity;
  }

  @Override
  public CompletionStage<Graded> grade(String question, String query, List<RetrievedPassage> passages, int limit,
      ModelUsage usage) {
    return CompletableFuture.completedFuture(new Graded(gradeNow(question, query, passages, limit), "key terms"));
  }

  List<RetrievedPassage> gradeNow(String question, String query, List<RetrievedPassage> passages, int limit) {
    Set<String> asked = QueryTerms.terms(question);
    Set<String> searched = QueryTerms.terms(query);
    List<RetrievedPassage> relevant = new ArrayList<>();
    for (RetrievedPassage p : passages) {
      if (relevant.size() == limit) break;
      String text = String.join(" ", p.chunk().headingPath()) + "\n" + p.chunk().text();
      double coverage = Math.max(QueryTerms.coverage(asked, text), QueryTerms.coverage(searched, text));
      boolean shared = coverage > 0 && coverage >= minTermCoverage;
      boolean similar = p.vectorScore().isPresent() && p.vectorScore().getAsDouble() >= minSimilarity;
      if (shared || similar) relevant.add(p);
    }
    return relevant;
  }
}
