package io.voicehelper.streams.generation.internal;

import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.ServerSentEvent;
import dev.langchain4j.http.client.sse.ServerSentEventContext;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import dev.langchain4j.http.client.sse.ServerSentEventParsingHandle;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * LangChain4j's {@link HttpClient} over the JDK client, for the OpenAI adapters.
 *
 * <p>Unlike LangChain4j's own JDK client it (1) can be cancelled through its {@link CallControl} at any point,
 * also before the first token, when LangChain4j's streaming handle does not exist yet; (2) reads the SSE body line
 * by line only as fast as the consumer takes tokens, without holding a thread per stream; (3) keeps the status and
 * {@code Retry-After} of error responses; (4) bounds a blocking call by the timeout as a whole.
 */
public final class ProviderHttpClient implements HttpClient {

  private final java.net.http.HttpClient jdk;
  private final Duration timeout;
  private final CallControl control;

  /**
   * @param jdk the shared JDK client
   * @param timeout until the response headers for streams; for the whole response for blocking calls
   * @param control cancels this client's streaming call and paces its body
   */
  public ProviderHttpClient(java.net.http.HttpClient jdk, Duration timeout, CallControl control) {
    this.jdk = jdk;
    this.timeout = timeout;
    this.control = control;
  }

  /** The JDK client the adapters share: HTTP/1.1, so that an abandoned stream closes its connection. */
  public static java.net.http.HttpClient newJdkClient(Duration connectTimeout) {
    return java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .followRedirects(java.net.http.HttpClient.Redirect.NORMAL)
        .build();
  }

  /** A builder that hands LangChain4j this very client (LangChain4j's timeouts are applied by us). */
  public HttpClientBuilder asBuilder() {
    ProviderHttpClient client = this;
    return new HttpClientBuilder() {
      private Duration connectTimeout;
      private Duration readTimeout;

      @Override
      public Duration connectTimeout() {
        return connectTimeout;
      }

      @Override
      public HttpClientBuilder connectTimeout(Duration timeout) {
        this.connectTimeout = timeout;
        return this;
      }

      @Override
      public Duration readTimeout() {
        return readTimeout;
      }

      @Override
      public HttpClientBuilder readTimeout(Duration timeout) {
        this.readTimeout = timeout;
        return this;
      }

      @Override
      public HttpClient build() {
        return client;
      }
    };
  }

  @Override
  public SuccessfulHttpResponse execute(HttpRequest request) {
    try {
      return executeOnce(request);
    } catch (ProviderIoException e) {
      if (!isStaleConnection(e)) throw e;
      return executeOnce(request); // a kept-alive connection the server had closed: once more, on a new one
    }
  }

  private SuccessfulHttpResponse executeOnce(HttpRequest request) {
    CompletableFuture<HttpResponse<String>> response =
        jdk.sendAsync(toJdk(request), BodyHandlers.ofString(StandardCharsets.UTF_8));
    try {
      HttpResponse<String> r = response.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!isSuccessful(r.statusCode())) throw ProviderHttpException.of(r.statusCode(), r.headers(), r.body());
      return SuccessfulHttpResponse.builder()
          .statusCode(r.statusCode())
          .headers(r.headers().map())
          .body(r.body())
          .build();
    } catch (java.util.concurrent.TimeoutException e) {
      response.cancel(true);
      throw new TimeoutException("no complete response within " + timeout.toMillis() + " ms", e);
    } catch (InterruptedException e) {
      response.cancel(true);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the model provider", e);
    } catch (ExecutionException e) {
      throw asRuntime(e.getCause());
    }
  }

  @Override
  public void execute(HttpRequest request, ServerSentEventParser ignored, ServerSentEventListener listener) {
    stream(request, listener, 1);
  }

  /**
   * One streaming exchange. A failure before any response byte on a connection the server had closed while it was
   * kept alive (the JDK reports "header parser received no bytes") is not the provider's answer: the request is sent
   * again on a new connection, {@code staleRetries} times at most, whatever the call's own retry policy.
   */
  private void stream(HttpRequest request, ServerSentEventListener listener, int staleRetries) {
    // The SSE parsing is ours (line subscriber with demand), so that no thread blocks on the body.
    SseLineSubscriber lines = new SseLineSubscriber(listener, control);
    AtomicReference<ProviderHttpException> refused = new AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
    CompletableFuture<HttpResponse<Void>> exchange =
        jdk.<Void>sendAsync(
            toJdk(request),
            info -> {
              answered.set(true);
              if (isSuccessful(info.statusCode())) {
                SuccessfulHttpResponse opened =
                    SuccessfulHttpResponse.builder()
                        .statusCode(info.statusCode())
                        .headers(info.headers().map())
                        .build();
                if (!control.isCancelled()) listener.onOpen(opened);
                return BodySubscribers.fromLineSubscriber(lines);
              }
              return BodySubscribers.mapping(
                  BodySubscribers.ofString(StandardCharsets.UTF_8),
                  body -> {
                    refused.set(ProviderHttpException.of(info.statusCode(), info.headers(), body));
                    return null;
                  });
            });
    // Cancelling the future aborts the exchange whether it waits for headers or streams the body (JDK 16+).
    control.onCancel(() -> exchange.cancel(true));
    // The body's end is reported by the line subscriber once every line went through; the future reports what
    // happens before the body (transport errors, timeouts, error statuses). Whichever comes first is reported.
    exchange.whenComplete(
        (done, failure) -> {
          if (failure != null && !answered.get() && staleRetries > 0 && !control.isCancelled()
              && isStaleConnection(asRuntime(failure))) {
            stream(request, listener, staleRetries - 1);
          } else if (failure != null) {
            lines.terminate(() -> listener.onError(asRuntime(failure)));
          } else if (refused.get() != null) {
            lines.terminate(() -> listener.onError(refused.get()));
          }
        });
  }

  private java.net.http.HttpRequest toJdk(HttpRequest request) {
    if (!request.formDataFields().isEmpty() || !request.formDataFiles().isEmpty()) {
      throw new UnsupportedOperationException("multipart requests are not used by the chat adapters");
    }
    java.net.http.HttpRequest.Builder builder =
        java.net.http.HttpRequest.newBuilder(URI.create(request.url())).timeout(timeout);
    request.headers().forEach((name, values) -> {
      if (values != null) values.forEach(value -> builder.header(name, value));
    });
    builder.method(
        request.method().name(),
        request.body() == null
            ? java.net.http.HttpRequest.BodyPublishers.noBody()
            : java.net.http.HttpRequest.BodyPublishers.ofString(request.body(), StandardCharsets.UTF_8));
    return builder.build();
  }

  /** Whether {@code failure} is a kept-alive connection that was closed before any byte of a response came. */
  static boolean isStaleConnection(RuntimeException failure) {
    return failure instanceof ProviderIoException && failure.getCause() instanceof java.io.IOException
        && String.valueOf(failure.getCause().getMessage()).contains("received no bytes");
  }

  private static boolean isSuccessful(int status) {
    return status >= 200 && status < 300;
  }

  private static RuntimeException asRuntime(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof HttpTimeoutException) {
      return new TimeoutException("no response headers in time", cause);
    }
    if (cause instanceof CancellationException c) return c;
    if (cause instanceof RuntimeException r) return r;
    return new ProviderIoException(cause);
  }

  /** A transport failure (connect, reset, EOF) of a call, unchecked for LangChain4j's callbacks. */
  public static final class ProviderIoException extends RuntimeException {
    public ProviderIoException(Throwable cause) {
      super(cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
    }
  }

  /**
   * Turns the body's lines into server-sent events for LangChain4j's listener, requesting each next line only when
   * the consumer's last offer went through.
   */
  private static final class SseLineSubscriber implements Flow.Subscriber<String> {

    private final ServerSentEventListener listener;
    private final CallControl control;
    private final java.util.concurrent.atomic.AtomicBoolean terminated =
        new java.util.concurrent.atomic.AtomicBoolean();
    private final StringBuilder data = new StringBuilder();
    private String event;
    private boolean hasData;
    private ServerSentEventContext context;
    private Flow.Subscription subscription;

    SseLineSubscriber(ServerSentEventListener listener, CallControl control) {
      this.listener = listener;
      this.control = control;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      this.context =
          new ServerSentEventContext(
              new ServerSentEventParsingHandle() {
                @Override
                public void cancel() {
                  control.cancel();
                }

                @Override
                public boolean isCancelled() {
                  return control.isCancelled();
                }
              });
      control.onCancel(subscription::cancel);
      subscription.request(1);
    }

    @Override
    public void onNext(String line) {
      if (line.isEmpty()) {
        flush();
      } else if (!line.startsWith(":")) { // ':' starts a comment (keep-alive)
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) value = value.substring(1);
        if (field.equals("data")) {
          if (hasData) data.append('\n');
          data.append(value);
          hasData = true;
        } else if (field.equals("event")) {
          event = value;
        }
      }
      if (control.isCancelled()) return;
      control.demandGate().whenComplete((ok, failure) -> subscription.request(1));
    }

    /** Dispatches the event gathered so far, if any. */
    void flush() {
      if (!hasData) {
        event = null;
        return;
      }
      ServerSentEvent sse = new ServerSentEvent(event, data.toString());
      data.setLength(0);
      hasData = false;
      event = null;
      if ("[DONE]".equals(sse.data().strip())) control.markDone();
      if (!control.isCancelled()) listener.onEvent(sse, context);
    }

    @Override
    public void onError(Throwable throwable) {
      terminate(() -> listener.onError(asRuntime(throwable)));
    }

    @Override
    public void onComplete() {
      terminate(() -> {
        flush();
        listener.onClose();
      });
    }

    /** Reports the call's end once, unless it was cancelled. */
    void terminate(Runnable report) {
      if (terminated.compareAndSet(false, true) && !control.isCancelled()) report.run();
    }
  }
}
