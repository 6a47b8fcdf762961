package io.voicehelper.streams.generation;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.voicehelper.streams.generation.internal.CallControl;
import io.voicehelper.streams.generation.internal.ProviderErrors;
import io.voicehelper.streams.generation.internal.ProviderErrors.ProviderError;
import io.voicehelper.streams.generation.internal.ProviderHttpClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.pattern.Patterns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One whole (not streamed) answer from the configured OpenAI-compatible model through LangChain4j's
 * {@link OpenAiChatModel}: what summaries, reranking and other background prompts use. The blocking call runs on
 * {@code voicehelper.llm.blocking-dispatcher}; retries follow the replies' rules (429, 5xx, transport errors and
 * timeouts; {@code max-retries} with doubling backoff, honouring {@code Retry-After}) and LangChain4j's own retries are
 * off, so they do not multiply.
 */
public final class OpenAiCompatibleCompletion {

  private static final Logger log = LoggerFactory.getLogger(OpenAiCompatibleCompletion.class);

  private final GenerationSettings settings;
  private final ChatModel model;
  private final Executor blocking;
  private final ActorSystem<?> system;

  /** Runs its blocking calls on {@code voicehelper.llm.blocking-dispatcher} of {@code system}. */
  public OpenAiCompatibleCompletion(GenerationSettings settings, ActorSystem<?> system, Double maxTemperature) {
    if (settings.baseUrl().isEmpty()) {
      throw new IllegalArgumentException("an OpenAI-compatible model needs voicehelper.llm.base-url");
    }
    this.settings = settings;
    this.system = system;
    this.blocking = system.dispatchers()
        .lookup(DispatcherSelector.fromConfig(GenerationSettings.CONFIG_PATH + ".blocking-dispatcher"));
    Double temperature = settings.temperature() == null || maxTemperature == null ? settings.temperature()
        : Double.valueOf(Math.min(settings.temperature(), maxTemperature));
    this.model =
        OpenAiChatModel.builder()
            .httpClientBuilder(
                new ProviderHttpClient(
                        ProviderHttpClient.newJdkClient(settings.connectTimeout()), settings.timeout(), new CallControl())
                    .asBuilder())
            .baseUrl(settings.baseUrl())
            .apiKey(settings.apiKey().isEmpty() ? null : settings.apiKey())
            .modelName(settings.model())
            .temperature(temperature)
            .timeout(settings.timeout())
            .maxRetries(0) // ours below
            .build();
  }

  /** The model's settings (endpoint, model name, timeouts). */
  public GenerationSettings settings() {
    return settings;
  }

  /**
   * The model's answer to {@code prompt} under {@code instructions} (the system message), at most
   * {@code maxOutputTokens} long ({@code null}: the provider's default). Fails with a {@link GenerationFailure} whose
   * message starts with {@code purpose} ("summarizing failed: ...") and names no secret.
   */
  public CompletionStage<String> complete(String purpose, String instructions, String prompt,
      Integer maxOutputTokens) {
    ChatRequest request = ChatRequest.builder()
        .messages(SystemMessage.from(instructions), UserMessage.from(prompt))
        .maxOutputTokens(maxOutputTokens)
        .build();
    return attempt(purpose, request, 0);
  }

  private CompletionStage<String> attempt(String purpose, ChatRequest request, int retriesDone) {
    return CompletableFuture.supplyAsync(() -> model.chat(request), blocking)
        .handle((response, failure) -> failure == null ? text(purpose, response)
            : retryOrFail(purpose, request, retriesDone, failure))
        .thenCompose(next -> next);
  }

  private static CompletionStage<String> text(String purpose, ChatResponse response) {
    String text = response.aiMessage() == null ? null : response.aiMessage().text();
    if (text == null || text.isBlank()) {
      return CompletableFuture.failedFuture(new GenerationFailure(purpose + " failed: the model returned nothing",
          null));
    }
    return CompletableFuture.completedFuture(text.strip());
  }

  private CompletionStage<String> retryOrFail(String purpose, ChatRequest request, int retriesDone,
      Throwable failure) {
    ProviderError error = ProviderErrors.classify(failure, settings.baseUrl(), settings.model(), settings.timeout());
    if (!error.retriable() || retriesDone >= settings.maxRetries()) {
      String message = purpose + " failed: "
          + (error.kind() == ProviderErrors.Kind.TIMEOUT
              ? "the model provider did not answer within " + ProviderErrors.seconds(settings.timeout())
              : error.message())
          + (error.retriable() ? ProviderErrors.afterRetries(retriesDone) : "");
      log.warn("{} ({})", message, error.logDetail());
      return CompletableFuture.failedFuture(new GenerationFailure(message, failure));
    }
    Duration delay = settings.retryDelay(retriesDone, error.retryAfter());
    log.info("{}: {}; retry {} of {} in {} ms", purpose, error.message(), retriesDone + 1, settings.maxRetries(),
        delay.toMillis());
    return Patterns.after(delay, system.classicSystem().scheduler(), system.executionContext(),
        () -> attempt(purpose, request, retriesDone + 1));
  }
}
