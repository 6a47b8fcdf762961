package io.voicehelper.streams.generation.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Ties one streaming model call to the stream consuming it: cancelling it aborts the HTTP exchange at whatever point
 * it is (connecting, waiting for headers, streaming), and the consumer's pending offer gates how fast the response
 * body is read.
 */
public final class CallControl {

  private static final CompletionStage<Void> OPEN = CompletableFuture.completedFuture(null);

  private final List<Runnable> cancelHooks = new ArrayList<>();
  private boolean cancelled;
  private volatile CompletionStage<?> demandGate = OPEN;
  private volatile boolean sawDone;

  /** Runs {@code hook} when the call is cancelled, at once if it already is. */
  public void onCancel(Runnable hook) {
    synchronized (this) {
      if (!cancelled) {
        cancelHooks.add(hook);
        return;
      }
    }
    runQuietly(hook);
  }

  /** Cancels the call; idempotent. */
  public void cancel() {
    List<Runnable> hooks;
    synchronized (this) {
      if (cancelled) return;
      cancelled = true;
      hooks = List.copyOf(cancelHooks);
      cancelHooks.clear();
    }
    hooks.forEach(CallControl::runQuietly);
  }

  public synchronized boolean isCancelled() {
    return cancelled;
  }

  /** The next line of the response body is read only once {@code stage} completed. */
  public void holdDemandUntil(CompletionStage<?> stage) {
    demandGate = stage;
  }

  CompletionStage<?> demandGate() {
    return demandGate;
  }

  void markDone() {
    sawDone = true;
  }

  /** Whether the provider sent the stream's closing {@code data: [DONE]}. */
  public boolean sawDone() {
    return sawDone;
  }

  private static void runQuietly(Runnable hook) {
    try {
      hook.run();
    } catch (RuntimeException ignored) {
      // cancelling is best effort: an exchange that already ended has nothing left to abort
    }
  }
}
