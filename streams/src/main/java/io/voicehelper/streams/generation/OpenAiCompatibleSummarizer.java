package io.voicehelper.streams.generation;

import dev.langchain4j.model.openai.OpenAiChatModel;
import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.Summarizer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Summarizes older turns with LangChain4j's {@link OpenAiChatModel} over the same OpenAI-compatible endpoint as the
 * replies, through {@link OpenAiCompatibleCompletion} (its blocking dispatcher and retry rules).
 */
public final class OpenAiCompatibleSummarizer implements Summarizer {

  static final String INSTRUCTIONS =
      "You maintain the memory of a customer-service conversation. Fold the new turns into the previous summary "
          + "and write one concise summary (at most about 150 words), in the language the conversation is in. "
          + "Keep every fact that may matter later: names, order, ticket and account numbers, amounts, prices, "
          + "dates, products, what was decided or promised, and the customer's open questions or pending "
          + "requests. Do not invent anything, do not address the customer, and output only the summary text.";

  private final GenerationSettings settings;
  private final OpenAiCompatibleCompletion model;

  /** Runs its blocking calls on {@code voicehelper.llm.blocking-dispatcher} of {@code system}. */
  public OpenAiCompatibleSummarizer(GenerationSettings settings, ActorSystem<?> system) {
    if (settings.baseUrl().isEmpty()) {
      throw new IllegalArgumentException("an OpenAI-compatible summarizer needs voicehelper.llm.base-url");
    }
    this.settings = settings;
    this.model = new OpenAiCompatibleCompletion(settings, system, 0.2);
  }

  @Override
  public CompletionStage<String> summarize(String previousSummary, List<ChatTurn> turns) {
    String previous = previousSummary == null ? "" : previousSummary.strip();
    if (turns.isEmpty()) return CompletableFuture.completedFuture(previous);
    return model.complete("summarizing", INSTRUCTIONS, prompt(previous, turns), settings.summaryMaxOutputTokens());
  }

  static String prompt(String previousSummary, List<ChatTurn> turns) {
    StringBuilder prompt = new StringBuilder("Previous summary:\n")
        .append(previousSummary.isEmpty() ? "(none)" : previousSummary)
        .append("\n\nNew turns:\n");
    for (ChatTurn turn : turns) {
      String role = switch (turn.role()) {
        case SYSTEM -> "System";
        case USER -> "Customer";
        case ASSISTANT -> "Assistant";
      };
      prompt.append(role).append(": ").append(turn.content().strip()).append('\n');
    }
    return prompt.append("\nWrite the updated summary.").toString();
  }
}
