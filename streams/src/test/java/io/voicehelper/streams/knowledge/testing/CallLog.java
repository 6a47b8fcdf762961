package io.voicehelper.streams.knowledge.testing;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Records the calls of an in-memory port ({@code "upsert 3"}, {@code "removeDocument acme|c|d keep 2"}) and fails
 * chosen ones: {@link #failNext} fails the next call of an operation, {@link #failAlways} every call until
 * {@link #heal}. Thread-safe.
 */
public final class CallLog {

  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final Map<String, Deque<RuntimeException>> nextFailures = new ConcurrentHashMap<>();
  private final Map<String, RuntimeException> alwaysFailures = new ConcurrentHashMap<>();

  /** Every call so far, in order, as {@code "<operation> <arguments>"}. */
  public List<String> calls() {
    return List.copyOf(calls);
  }

  /** The calls of one operation. */
  public List<String> calls(String operation) {
    return calls.stream().filter(call -> call.equals(operation) || call.startsWith(operation + " ")).toList();
  }

  public void clear() {
    calls.clear();
  }

  /** The next call of {@code operation} fails with {@code error} (queued: several calls fail one by one). */
  public void failNext(String operation, RuntimeException error) {
    nextFailures.computeIfAbsent(operation, o -> new ArrayDeque<>()).add(error);
  }

  /** Every call of {@code operation} fails with {@code error} until {@link #heal}. */
  public void failAlways(String operation, RuntimeException error) {
    alwaysFailures.put(operation, error);
  }

  public void heal() {
    nextFailures.clear();
    alwaysFailures.clear();
  }

  /** Records the call, then runs it unless a failure was injected for it (then the stage fails). */
  <T> CompletionStage<T> call(String operation, String arguments, Supplier<T> action) {
    calls.add(arguments.isEmpty() ? operation : operation + " " + arguments);
    RuntimeException failure = failureFor(operation);
    if (failure != null) return CompletableFuture.failedFuture(failure);
    try {
      return CompletableFuture.completedFuture(action.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Records the call and returns the failure injected for it, if any. */
  RuntimeException record(String operation, String arguments) {
    calls.add(arguments.isEmpty() ? operation : operation + " " + arguments);
    return failureFor(operation);
  }

  private RuntimeException failureFor(String operation) {
    RuntimeException always = alwaysFailures.get(operation);
    if (always != null) return always;
    Deque<RuntimeException> queued = nextFailures.get(operation);
    if (queued == null) return null;
    synchronized (queued) {
      return queued.poll();
    }
  }
}
