package io.voicehelper.streams.voice.engine.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A native resource that only one thread may use at a time (a Vosk recognizer): calls run one after another on a
 * blocking executor, and {@link #close} frees it after the last call, even one still running when a stream was
 * cancelled, so it is never freed under a running call. Calls after close fail.
 */
public final class SerialResource<R> {

  private final R resource;
  private final Executor executor;
  private final Consumer<R> closer;
  private CompletableFuture<?> last = CompletableFuture.completedFuture(null);
  private boolean closed;

  public SerialResource(R resource, Executor executor, Consumer<R> closer) {
    this.resource = resource;
    this.executor = executor;
    this.closer = closer;
  }

  /** Runs {@code call} on the resource after every call before it. */
  public synchronized <T> CompletionStage<T> call(Function<R, T> call) {
    if (closed) return CompletableFuture.failedFuture(new IllegalStateException("the resource is closed"));
    CompletableFuture<T> next = last.handleAsync((ignored, failure) -> call.apply(resource), executor);
    last = next;
    return next;
  }

  /** Frees the resource once the calls made so far have finished; later calls fail. */
  public synchronized void close() {
    if (closed) return;
    closed = true;
    last.handleAsync((ignored, failure) -> {
      closer.accept(resource);
      return null;
    }, executor);
  }
}
