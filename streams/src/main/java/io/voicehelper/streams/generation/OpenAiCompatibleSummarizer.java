package io.voicehelper.streams.generation;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.Summarizer;
import io.voicehelper.streams.generation.internal.CallControl;
import io.voicehelper.streams.generation.internal.ProviderErrors;
import io.voicehelper.streams.generation.internal.ProviderErrors.ProviderError;
import io.voicehelper.streams.generation.internal.ProviderHttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Summarizes older turns with LangChain4j's {@link OpenAiChatModel} over the same OpenAI-compatible endpoint as the
 * replies. The blocking call runs on {@code voicehelper.llm.blocking-dispatcher}; retries follow the same rules as
 * the replies' (429, 5xx, transport errors and timeouts; {@code max-retries} with doubling backoff) and LangChain4j's
 * own retries are off, so they do not multiply.
 */
public final class OpenAiCompatibleSummarizer implements Summarizer {

  private static final Logger log = LoggerFactory.getLogger(OpenAiCompatibleSummarizer.class);

  static final String INSTRUCTIONS =
      "You maintain the memory of a customer-service conversation. Fold the new turns into the previous summary "
          + "and write one concise summary (at most about 150 words), in the language the conversation is in. "
          + "Keep every fact that may matter later: names, order, ticket and account numbers, amounts, prices, "
          + "dates, products, what was decided or promised, and the customer's open questions or pending "
          + "requests. Do not invent anything, do not address the customer, and output only the summary text.";

  private final GenerationSettings settings;
  private final ChatModel model;
  private final Executor blocking;
  private final ActorSystem<?> system;

  /** Runs its blocking calls on {@code voicehelper.llm.blocking-dispatcher} of {@code system}. */
  public OpenAiCompatibleSummarizer(GenerationSettings settings, ActorSystem<?> system) {
    if (settings.baseUrl().isEmpty()) {
      throw new IllegalArgumentException("an OpenAI-compatible summarizer needs voicehelper.llm.base-url");
    }
    this.settings = settings;
    this.system = system;
    this.blocking =
        system.dispatchers().lookup(DispatcherSelector.fromConfig(GenerationSettings.CONFIG_PATH + ".blocking-dispatcher"));
    this.model =
        OpenAiChatModel.builder()
            .httpClientBuilder(
                new ProviderHttpClient(
                        ProviderHttpClient.newJdkClient(settings.connectTimeout()), settings.timeout(), new CallControl())
                    .asBuilder())
            .baseUrl(settings.baseUrl())
            .apiKey(settings.apiKey().isEmpty() ? null : settings.apiKey())
            .modelName(settings.model())
            .temperature(settings.temperature() == null ? null : Math.min(settings.temperature(), 0.2))
            .maxTokens(settings.summaryMaxOutputTokens())
            .timeout(settings.timeout())
            .maxRetries(0) // ours below
            .build();
  }

  @Override
  public CompletionStage<String> summarize(String previousSummary, List<ChatTurn> turns) {
    String previous = previousSummary == null ? "" : previousSummary.strip();
    if (turns.isEmpty()) return CompletableFuture.completedFuture(previous);
    ChatRequest request =
        ChatRequest.builder()
            .messages(SystemMessage.from(INSTRUCTIONS), UserMessage.from(prompt(previous, turns)))
            .build();
    return attempt(request, 0);
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

  private CompletionStage<String> attempt(ChatRequest request, int retriesDone) {
    return CompletableFuture.supplyAsync(() -> model.chat(request), blocking)
        .handle((response, failure) -> failure == null ? text(response) : retryOrFail(request, retriesDone, failure))
        .thenCompose(next -> next);
  }

  private CompletionStage<String> text(ChatResponse response) {
    String text = response.aiMessage() == null ? null : response.aiMessage().text();
    if (text == null || text.isBlank()) {
      return CompletableFuture.failedFuture(new GenerationFailure("the model returned an empty summary", null));
    }
    return CompletableFuture.completedFuture(text.strip());
  }

  private CompletionStage<String> retryOrFail(ChatRequest request, int retriesDone, Throwable failure) {
    ProviderError error = ProviderErrors.classify(failure, settings.baseUrl(), settings.model(), settings.timeout());
    if (!error.retriable() || retriesDone >= settings.maxRetries()) {
      String message = "summarizing failed: "
          + (error.kind() == ProviderErrors.Kind.TIMEOUT
              ? "the model provider did not answer within " + ProviderErrors.seconds(settings.timeout())
              : error.message())
          + (error.retriable() ? ProviderErrors.afterRetries(retriesDone) : "");
      log.warn("{} ({})", message, error.logDetail());
      return CompletableFuture.failedFuture(new GenerationFailure(message, failure));
    }
    Duration delay = settings.retryDelay(retriesDone, error.retryAfter());
    log.info("Summarizing: {}; retry {} of {} in {} ms", error.message(), retriesDone + 1, settings.maxRetries(),
        delay.toMillis());
    return Patterns.after(delay, system.classicSystem().scheduler(), system.executionContext(),
        () -> attempt(request, retriesDone + 1));
  }
}
