package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ChatTurn;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The deterministic rewrite used without a model: when the question is short or refers back ("it", 它, 这个), the
 * key phrases of the previous user question that it lacks are appended to it.
 */
public final class RuleQueryRewriter implements QueryRewriter {

  private final int shortQuestionTerms;

  /** @param shortQuestionTerms a question with at most this many key phrases counts as elliptical */
  public RuleQueryRewriter(int shortQuestionTerms) {
    this.shortQuestionTerms = shortQuestionTerms;
  }

  @Override
  public CompletionStage<String> rewrite(String question, List<ChatTurn> history, ModelUsage usage) {
    return CompletableFuture.completedFuture(rewriteNow(question, history));
  }

  /**
   * Without a model there is no other query worth a round: the question's own key phrases with a wider net were
   * measured on the sample set (AnswerEvaluation) and turned more declined questions into answers citing the wrong
   * section than into right ones.
   */
  @Override
  public CompletionStage<Optional<String>> retry(String question, String failedQuery, String why, ModelUsage usage) {
    return CompletableFuture.completedFuture(Optional.empty());
  }

  /** The rewrite, computed at once. */
  public String rewriteNow(String question, List<ChatTurn> history) {
    if (!isElliptical(question)) return question.strip();
    String previous = previousQuestion(history);
    if (previous == null) return question.strip();
    Set<String> own = new LinkedHashSet<>(QueryTerms.phrases(question));
    List<String> added = new ArrayList<>();
    for (String phrase : QueryTerms.phrases(previous)) if (!own.contains(phrase)) added.add(phrase);
    return added.isEmpty() ? question.strip() : question.strip() + " " + String.join(" ", added);
  }

  /** Short, or pointing back at an earlier turn. */
  boolean isElliptical(String question) {
    return QueryTerms.phrases(question).size() <= shortQuestionTerms || QueryTerms.refersBack(question);
  }

  private static String previousQuestion(List<ChatTurn> history) {
    for (int i = history.size() - 1; i >= 0; i--) {
      if (history.get(i).role() == ChatTurn.Role.USER) return history.get(i).content();
    }
    return null;
  }
}
