package io.voicehelper.edge.http.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** Small rules every route module follows: the shape of ids in paths, and how long a store may take to answer. */
public final class Requests {

  /** Ids in paths: 1-64 letters, digits, {@code _} and {@code -}, starting with a letter or digit. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

  private Requests() {}

  /** A path id of another shape cannot name anything: 404, echoing at most 64 of its characters. */
  public static void requireId(String what, String id) {
    if (!ID.matcher(id).matches()) throw ProblemException.notFound(what, id.length() > 64 ? id.substring(0, 64) : id);
  }

  /**
   * The call's answer, or a {@link java.util.concurrent.TimeoutException} (a 503 from {@link ProblemHandling}) when
   * it takes longer than {@code timeout}; a call that throws fails the stage instead.
   */
  public static <T> CompletionStage<T> withTimeout(Duration timeout, Supplier<CompletionStage<T>> call) {
    CompletableFuture<T> result;
    try {
      result = call.get().toCompletableFuture().thenApply(Function.identity());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
