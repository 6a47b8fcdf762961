package io.voicehelper.cluster;

import java.util.concurrent.ForkJoinPool;

/**
 * Keeps {@link ForkJoinPool#commonPool()} a pool. The JDK sizes it to one thread less than the processors it sees, and
 * with a parallelism below 2 (a 2-core machine or container) {@code CompletableFuture}'s asynchronous methods stop
 * using it and start a new thread for every task. The {@code CompletionStage}s that Pekko's Java API returns (asks,
 * HTTP directives) run even their non-async callbacks through those methods, so on such a machine every ask from a
 * route started a thread: thousands per second under load.
 */
final class CommonPool {

  static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
  static final int MINIMUM = 2;

  private CommonPool() {}

  /**
   * Asks for a common pool of at least {@value #MINIMUM} threads unless the operator chose a size. Only effective
   * before anything touches the common pool: call it first thing in {@code main}.
   */
  static void ensureParallelism() {
    if (System.getProperty(PARALLELISM) == null) {
      int processors = Runtime.getRuntime().availableProcessors();
      System.setProperty(PARALLELISM, Integer.toString(Math.max(MINIMUM, processors - 1)));
    }
  }

  /** Whether the common pool is a pool rather than a thread per task. */
  static boolean isPooled() {
    return ForkJoinPool.getCommonPoolParallelism() >= MINIMUM;
  }
}
