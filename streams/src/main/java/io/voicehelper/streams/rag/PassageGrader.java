package io.voicehelper.streams.rag;

import io.voicehelper.entities.retrieval.RetrievedPassage;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Self-RAG's first check: which of the retrieved passages are relevant to the question, before any answer is written
 * from them. {@link TermGrader} without a model, {@link ModelGrader} with one.
 */
public interface PassageGrader {

  /**
   * The verdict on one round's passages.
   *
   * @param relevant the relevant passages, in retrieval order
   * @param method how they were graded, for the reply's record
   */
  record Graded(List<RetrievedPassage> relevant, String method) {

    public Graded {
      relevant = List.copyOf(relevant);
    }
  }

  /**
   * Grades {@code passages} (best first) for {@code question}, searched as {@code query}; keeps at most
   * {@code limit}. Never fails: a grader that cannot answer falls back to a rule. Model calls go to {@code usage}.
   */
  CompletionStage<Graded> grade(String question, String query, List<RetrievedPassage> passages, int limit,
      ModelUsage usage);
}
