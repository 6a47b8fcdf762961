package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.TokenEstimator;
import io.voicehelper.streams.generation.internal.Texts;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One helper call to the language model through the {@link ReplyGenerator} port (whatever provider is configured):
 * the whole answer as text, bounded by a timeout, its tokens recorded in the reply's {@link ModelUsage}. The stage
 * fails when the model fails or times out; callers fall back to their rule.
 */
final class ModelCall {

  private final ReplyGenerator model;
  private final Duration timeout;
  private final ActorSystem<?> system;

  ModelCall(ReplyGenerator model, Duration timeout, ActorSystem<?> system) {
    this.model = model;
    this.timeout = timeout;
    this.system = system;
  }

  /** The model's answer to {@code context}, stripped; {@code purpose} names the call in the provider's logs. */
  CompletionStage<String> ask(String purpose, List<ChatTurn> context, ModelUsage usage) {
    Source<ReplyGenerator.Output, NotUsed> answer;
    try {
      answer = model.generate(new ReplyGenerator.Request(purpose, purpose, context));
    } catch (RuntimeException e) {
      answer = Source.failed(e);
    }
    final class Collected {
      final StringBuilder text = new StringBuilder();
      ReplyGenerator.Finished finished;
    }
    return answer
        .completionTimeout(timeout)
        .runWith(Sink.fold(new Collected(), (collected, output) -> {
          if (output instanceof ReplyGenerator.Token token) collected.text.append(token.text());
          if (output instanceof ReplyGenerator.Finished finished) collected.finished = finished;
          return collected;
        }), system)
        .thenApply(collected -> {
          String text = collected.text.toString();
          ReplyGenerator.Finished finished = collected.finished;
          usage.add(finished == null ? null : finished.inputTokens(),
              finished == null ? null : finished.outputTokens(), Texts.contextTokens(context),
              TokenEstimator.HEURISTIC.estimate(text));
          return text.strip();
        });
  }
}
