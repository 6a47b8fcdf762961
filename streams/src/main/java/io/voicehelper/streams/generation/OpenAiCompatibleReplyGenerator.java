package io.voicehelper.streams.generation;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.TokenUsage;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.streams.generation.internal.CallControl;
import io.voicehelper.streams.generation.internal.ChatMessages;
import io.voicehelper.streams.generation.internal.ProviderErrors;
import io.voicehelper.streams.generation.internal.ProviderErrors.Kind;
import io.voicehelper.streams.generation.internal.ProviderErrors.ProviderError;
import io.voicehelper.streams.generation.internal.ProviderHttpClient;
import java.io.EOFException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.Graph;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams replies from an OpenAI-compatible chat-completions endpoint (OpenAI, Qwen compatible mode, vLLM, Ollama)
 * through LangChain4j's {@link OpenAiStreamingChatModel}.
 *
 * <p>Each attempt is one HTTP call whose tokens enter the stream through a bounded {@code Source.queue}; the body is
 * read only as fast as the queue takes them. Cancelling the stream, or a timeout, aborts the HTTP call at any
 * point. No token for {@code timeout} (first or next) fails the attempt. Attempts that fail before their first
 * token with HTTP 429, 5xx, a transport error or a timeout are retried {@code max-retries} times with doubling
 * backoff (longer if the provider sends {@code Retry-After}); once a token went downstream, a failure fails the
 * stream. LangChain4j's streaming model does not retry by itself, so retries do not multiply.
 */
public final class OpenAiCompatibleReplyGenerator implements ReplyGenerator {

  private static final Logger log = LoggerFactory.getLogger(OpenAiCompatibleReplyGenerator.class);

  private final GenerationSettings settings;
  private final java.net.http.HttpClient http;

  public OpenAiCompatibleReplyGenerator(GenerationSettings settings) {
    if (settings.baseUrl().isEmpty()) {
      throw new IllegalArgumentException("an OpenAI-compatible generator needs voicehelper.llm.base-url");
    }
    this.settings = settings;
    this.http = ProviderHttpClient.newJdkClient(settings.connectTimeout());
  }

  @Override
  public Source<Output, NotUsed> generate(Request request) {
    List<ChatMessage> messages = ChatMessages.of(settings.systemPrompt(), request.context());
    return attempt(request, messages, 0);
  }

  /** Attempt number {@code retriesDone + 1}, falling back to the next one while a retry may help. */
  private Source<Output, NotUsed> attempt(Request request, List<ChatMessage> messages, int retriesDone) {
    return Source.lazySource(
            () -> {
              AtomicInteger tokens = new AtomicInteger();
              return call(messages)
                  .map(
                      output -> {
                        if (output instanceof Token) tokens.incrementAndGet();
                        return output;
                      })
                  .recoverWithRetries(
                      1,
                      new PFBuilder<Throwable, Graph<SourceShape<Output>, NotUsed>>()
                          .matchAny(failure -> afterFailure(request, messages, retriesDone, tokens.get(), failure))
                          .build());
            })
        .mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  private Source<Output, NotUsed> afterFailure(
      Request request, List<ChatMessage> messages, int retriesDone, int tokens, Throwable failure) {
    ProviderError error =
        ProviderErrors.classify(failure, settings.baseUrl(), settings.model(), settings.timeout());
    String timeout = ProviderErrors.seconds(settings.timeout());
    if (tokens > 0) {
      String afterTokens = " after " + tokens + (tokens == 1 ? " token" : " tokens");
      String message =
          error.kind() == Kind.TIMEOUT
              ? "the model stream stalled: no token for " + timeout + afterTokens
              : "the model stream broke off" + afterTokens + ": " + error.message();
      log.warn("Reply {} of {} failed: {} ({})", request.replyId(), request.conversationKey(), message,
          error.logDetail());
      return Source.failed(new GenerationFailure(message, failure));
    }
    if (!error.retriable() || retriesDone >= settings.maxRetries()) {
      String message =
          (error.kind() == Kind.TIMEOUT ? "the model provider sent no token within " + timeout : error.message())
              + (error.retriable() ? ProviderErrors.afterRetries(retriesDone) : "");
      log.warn("Reply {} of {} failed: {} ({})", request.replyId(), request.conversationKey(), message,
          error.logDetail());
      return Source.failed(new GenerationFailure(message, failure));
    }
    Duration delay = settings.retryDelay(retriesDone, error.retryAfter());
    log.info("Reply {} of {}: {}; retry {} of {} in {} ms", request.replyId(), request.conversationKey(),
        error.message(), retriesDone + 1, settings.maxRetries(), delay.toMillis());
    return Source.single(NotUsed.getInstance())
        .initialDelay(delay)
        .flatMapConcat(ignored -> attempt(request, messages, retriesDone + 1));
  }

  /** One HTTP call: its tokens, then {@link Finished}; aborted when this source is cancelled or times out. */
  private Source<Output, NotUsed> call(List<ChatMessage> messages) {
    return Source.<Signal>queue(settings.streamBuffer(), OverflowStrategy.backpressure())
        .mapMaterializedValue(queue -> start(messages, queue))
        .watchTermination(
            (control, termination) -> {
              // Completion, failure and cancellation alike end the HTTP exchange (a no-op once it finished).
              termination.whenComplete((done, failure) -> control.cancel());
              return NotUsed.getInstance();
            })
        .idleTimeout(settings.timeout())
        .map(Signal::outputOrThrow);
  }

  private CallControl start(List<ChatMessage> messages, SourceQueueWithComplete<Signal> queue) {
    CallControl control = new CallControl();
    StreamHandler handler = new StreamHandler(queue, control, settings.model());
    try {
      // A model per call binds LangChain4j's HTTP client to this call's control; the JDK client is shared. The
      // builder is created directly: OpenAiStreamingChatModel.builder() would scan for SPI factories on each call.
      StreamingChatModel model =
          new OpenAiStreamingChatModel.OpenAiStreamingChatModelBuilder()
              .httpClientBuilder(new ProviderHttpClient(http, settings.timeout(), control).asBuilder())
              .baseUrl(settings.baseUrl())
              .apiKey(settings.apiKey().isEmpty() ? null : settings.apiKey())
              .modelName(settings.model())
              .temperature(settings.temperature())
              .maxTokens(settings.maxOutputTokens())
              .timeout(settings.timeout())
              .build();
      model.chat(ChatRequest.builder().messages(messages).build(), handler);
    } catch (RuntimeException e) {
      handler.onError(e);
    }
    return control;
  }

  /** An element of one call's queue: an output, or the failure that ends the call after what came before. */
  private record Signal(Output output, Throwable failure) {
    static Signal of(Output output) {
      return new Signal(output, null);
    }

    static Signal failed(Throwable failure) {
      return new Signal(null, failure);
    }

    Output outputOrThrow() throws Exception {
      if (failure == null) return output;
      throw failure instanceof Exception e ? e : new IllegalStateException(failure);
    }
  }

  /**
   * LangChain4j's callbacks into the queue. Offers are chained, so at most one is pending, and the body's next line
   * is read only once it went through.
   */
  private static final class StreamHandler implements StreamingChatResponseHandler {

    private final SourceQueueWithComplete<Signal> queue;
    private final CallControl control;
    private final String configuredModel;
    private CompletionStage<?> tail = CompletableFuture.completedFuture(null);
    private boolean ended;
    private boolean handleRegistered;

    StreamHandler(SourceQueueWithComplete<Signal> queue, CallControl control, String configuredModel) {
      this.queue = queue;
      this.control = control;
      this.configuredModel = configuredModel;
    }

    @Override
    public void onPartialResponse(String text) {
      emit(Signal.of(new Token(text)));
    }

    @Override
    public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
      synchronized (this) {
        if (!handleRegistered && context != null && context.streamingHandle() != null) {
          handleRegistered = true;
          // LangChain4j's own cancel handle, available from the first token on; ours covers the time before.
          control.onCancel(context.streamingHandle()::cancel);
        }
      }
      emit(Signal.of(new Token(partial.text())));
    }

    @Override
    public void onCompleteResponse(ChatResponse response) {
      if (!control.sawDone() && response.finishReason() == null) {
        // LangChain4j completes a stream the server cut off; without [DONE] or a finish reason it is unfinished.
        end(Signal.failed(new ProviderHttpClient.ProviderIoException(
            new EOFException("the stream ended before the model finished its reply"))));
        return;
      }
      TokenUsage usage = response.tokenUsage();
      String model =
          response.modelName() == null || response.modelName().isBlank() ? configuredModel : response.modelName();
      end(Signal.of(new Finished(model,
          usage == null ? null : usage.inputTokenCount(),
          usage == null ? null : usage.outputTokenCount())));
    }

    @Override
    public void onError(Throwable error) {
      end(Signal.failed(error));
    }

    private synchronized void emit(Signal signal) {
      if (ended || control.isCancelled()) return;
      tail = tail.thenCompose(ignored -> offer(signal));
      control.holdDemandUntil(tail);
    }

    private synchronized void end(Signal last) {
      if (ended || control.isCancelled()) return;
      ended = true;
      tail = tail.thenCompose(ignored -> offer(last)).whenComplete((result, failure) -> queue.complete());
    }

    private CompletionStage<QueueOfferResult> offer(Signal signal) {
      return queue.offer(signal).thenApply(result -> {
        if (!QueueOfferResult.enqueued().equals(result)) control.cancel(); // the stream is gone
        return result;
      });
    }
  }
}
