package io.voicehelper.streams.knowledge.index;

import io.voicehelper.entities.knowledge.DocumentRef;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Runs the index changes of one document on this node one after another: a saga step's publish or purge and the
 * index follower's re-sync of the same document never interleave, so neither undoes half of the other. Changes of
 * different documents run concurrently. Holds an entry only while a document has a change running or waiting.
 */
public final class DocumentLanes {

  private final Map<DocumentRef, CompletableFuture<?>> tails = new HashMap<>();

  /** Starts {@code change} once every change of {@code document} asked for before it has finished, failed or not. */
  public synchronized <T> CompletionStage<T> run(DocumentRef document, Supplier<CompletionStage<T>> change) {
    CompletableFuture<?> previous = tails.getOrDefault(document, CompletableFuture.completedFuture(null));
    CompletableFuture<T> next = previous.handle((ignored, failure) -> null)
        .thenCompose(ignored -> change.get());
    tails.put(document, next);
    next.whenComplete((ignored, failure) -> release(document, next));
    return next;
  }

  private synchronized void release(DocumentRef document, CompletableFuture<?> finished) {
    tails.remove(document, finished);
  }

  /** Documents with a change running or waiting (tests). */
  synchronized int size() {
    return tails.size();
  }
}
