package io.voicehelper.streams.voice.engine.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A flow around an engine that takes input and produces output independently (a process's pipes, a cloud SDK's push
 * stream and callbacks): each element in is handed to {@code write} on the blocking executor, one at a time (which
 * backpressures upstream); {@code endOfInput} runs there when upstream completes; the output is {@code output}'s, and
 * the flow completes when both sides have. {@code cleanup} runs once whichever way the flow ends (completion,
 * failure on either side, cancellation).
 */
public final class Duplex {

  private Duplex() {}

  public static <I, O> Flow<I, O, NotUsed> flow(
      Consumer<I> write, Runnable endOfInput, Source<O, NotUsed> output, Runnable cleanup, Executor blocking) {
    Flow<I, O, NotUsed> feed = Flow.<I>create()
        .mapAsync(1, element -> CompletableFuture.runAsync(() -> write.accept(element), blocking))
        .concatLazy(Source.lazyCompletionStage(() -> CompletableFuture.runAsync(endOfInput, blocking)))
        .filter(done -> false)
        .map(never -> { throw new IllegalStateException("the input side emits nothing"); });
    return feed.merge(output, false)
        .watchTermination((notUsed, done) -> {
          done.whenComplete((ok, failure) -> cleanup.run());
          return notUsed;
        });
  }
}
