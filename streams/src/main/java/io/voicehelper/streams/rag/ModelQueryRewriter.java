package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.ReplyGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Rewrites follow-up questions with the configured language model (through the {@link ReplyGenerator} port): the
 * recent turns and an instruction to answer with a standalone search query only. Only questions the rule takes as
 * elliptical (short, or pointing back with "it", 它 …) are sent, so a standalone question costs no model call; a
 * question without earlier turns is used as it is; a model that fails, times out or answers nothing leaves the
 * {@link RuleQueryRewriter} to it. Retries (a search that found nothing answering) are also asked of the model.
 */
public final class ModelQueryRewriter implements QueryRewriter {

  static final String INSTRUCTION = "Rewrite the user's last question as one standalone search query for a "
      + "knowledge base: resolve pronouns and references to the earlier turns, keep the question's language, and "
      + "answer with the query only, without quotes or explanation.";
  public static final String RETRY_INSTRUCTION = "A search of the company's knowledge base for the user's question did not "
      + "find what answers it. Write one different search query for the same question: other words, synonyms, the "
      + "terms a policy or manual would use, or a broader phrasing. Keep the question's language and answer with the "
      + "query only, without quotes or explanation.";
  private static final int MAX_QUERY_CHARS = 500;

  private final RuleQueryRewriter fallback;
  private final int historyTurns;
  private final ModelCall model;

  public ModelQueryRewriter(ReplyGenerator model, RuleQueryRewriter fallback, int historyTurns, Duration timeout,
      ActorSystem<?> system) {
    this.model = new ModelCall(model, timeout, system);
    this.fallback = fallback;
    this.historyTurns = historyTurns;
  }

  @Override
  public CompletionStage<String> rewrite(String question, List<ChatTurn> history, ModelUsage usage) {
    String byRule = fallback.rewriteNow(question, history);
    List<ChatTurn> recent = GroundedPrompt.lastTurns(history, historyTurns);
    if (recent.isEmpty() || !fallback.isElliptical(question)) {
      return CompletableFuture.completedFuture(question.strip());
    }
    List<ChatTurn> context = new ArrayList<>();
    context.add(ChatTurn.system(INSTRUCTION));
    context.addAll(recent);
    context.add(ChatTurn.user(question));
    return orElse(model.ask("query-rewrite", context, usage), byRule);
  }

  /** The model's other query; none when it fails, answers nothing usable or repeats the failed query. */
  @Override
  public CompletionStage<Optional<String>> retry(String question, String failedQuery, String why, ModelUsage usage) {
    List<ChatTurn> context = List.of(ChatTurn.system(RETRY_INSTRUCTION),
        ChatTurn.user("Question: " + question + "\nQuery that failed: " + failedQuery + "\nWhy: " + why));
    return model.ask("query-retry", context, usage).handle((query, failure) ->
        usable(failure, query) && !query.equalsIgnoreCase(failedQuery.strip()) ? Optional.of(query)
            : Optional.empty());
  }

  private static CompletionStage<String> orElse(CompletionStage<String> asked, String byRule) {
    return asked.handle((query, failure) -> usable(failure, query) ? query : byRule);
  }

  private static boolean usable(Throwable failure, String query) {
    return failure == null && !query.isEmpty() && query.length() <= MAX_QUERY_CHARS;
  }
}
