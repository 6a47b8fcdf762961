package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.ReplyGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Rewrites follow-up questions with the configured language model (through the {@link ReplyGenerator} port): the
 * recent turns and an instruction to answer with a standalone search query only. Only questions the rule takes as
 * elliptical (short, or pointing back with "it", 它 …) are sent, so a standalone question costs no model call; a
 * question without earlier turns is used as it is; a model that fails, times out or answers nothing leaves the
 * {@link RuleQueryRewriter} to it.
 */
public final class ModelQueryRewriter implements QueryRewriter {

  static final String INSTRUCTION = "Rewrite the user's last question as one standalone search query for a "
      + "knowledge base: resolve pronouns and references to the earlier turns, keep the question's language, and "
      + "answer with the query only, without quotes or explanation.";
  private static final int MAX_QUERY_CHARS = 500;

  private final ReplyGenerator model;
  private final RuleQueryRewriter fallback;
  private final int historyTurns;
  private final Duration timeout;
  private final ActorSystem<?> system;

  public ModelQueryRewriter(ReplyGenerator model, RuleQueryRewriter fallback, int historyTurns, Duration timeout,
      ActorSystem<?> system) {
    this.model = model;
    this.fallback = fallback;
    this.historyTurns = historyTurns;
    this.timeout = timeout;
    this.system = system;
  }

  @Override
  public CompletionStage<String> rewrite(String question, List<ChatTurn> history) {
    String byRule = fallback.rewriteNow(question, history);
    List<ChatTurn> recent = GroundedPrompt.lastTurns(history, historyTurns);
    if (recent.isEmpty() || !fallback.isElliptical(question)) {
      return CompletableFuture.completedFuture(question.strip());
    }
    List<ChatTurn> context = new ArrayList<>();
    context.add(ChatTurn.system(INSTRUCTION));
    context.addAll(recent);
    context.add(ChatTurn.user(question));
    Source<ReplyGenerator.Output, NotUsed> answer;
    try {
      answer = model.generate(new ReplyGenerator.Request("query-rewrite", "query-rewrite", context));
    } catch (RuntimeException e) {
      answer = Source.failed(e);
    }
    return answer
        .completionTimeout(timeout)
        .runWith(Sink.fold(new StringBuilder(), (text, output) -> {
          if (output instanceof ReplyGenerator.Token token) text.append(token.text());
          return text;
        }), system)
        .handle((text, failure) -> {
          String query = failure == null ? text.toString().strip() : "";
          return query.isEmpty() || query.length() > MAX_QUERY_CHARS ? byRule : query;
        });
  }
}
