package io.voicehelper.streams.knowledge.follow;

import io.voicehelper.entities.knowledge.ChunkStore;
import io.voicehelper.entities.knowledge.ChunkStore.PublishedVersion;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.streams.knowledge.index.DocumentLanes;
import io.voicehelper.streams.knowledge.lucene.LuceneKnowledgeIndex;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.stream.Materializer;

/**
 * Makes what a node-local index holds of one document match the chunk table, the source of truth: exactly the
 * chunks of the published version, or nothing. It compares chunk ids first (the index's with the table's, ids only),
 * so a document the index already holds correctly, as on the node whose saga published it, costs two small reads
 * and no write. Idempotent: running it again, or for an old event, converges on the same state. Runs in the
 * document's lane, never interleaved with a saga step's change of the same document on this node.
 */
public final class IndexSync {

  /** What a sync did. */
  public enum Outcome {
    /** The index already held exactly the published version (or nothing, with none published). */
    IN_SYNC,
    /** The published version was complete; other versions were removed. */
    PRUNED,
    /** The published version was copied in from the chunk table, and everything else of the document removed. */
    COPIED,
    /** No version is published (or the document is deleted): every chunk of it was removed. */
    REMOVED
  }

  private final LuceneKnowledgeIndex index;
  private final ChunkStore chunks;
  private final DocumentLanes lanes;
  private final int copyBatchSize;
  private final Materializer materializer;
  private final Consumer<DocumentRef> changed;

  /** @param copyBatchSize chunks per index write when a version is copied in */
  public IndexSync(LuceneKnowledgeIndex index, ChunkStore chunks, DocumentLanes lanes, int copyBatchSize,
      Materializer materializer) {
    this(index, chunks, lanes, copyBatchSize, materializer, document -> {});
  }

  /** As above; {@code changed} hears of every document whose index entries a sync changed (to retire caches). */
  public IndexSync(LuceneKnowledgeIndex index, ChunkStore chunks, DocumentLanes lanes, int copyBatchSize,
      Materializer materializer, Consumer<DocumentRef> changed) {
    this.index = index;
    this.chunks = chunks;
    this.lanes = lanes;
    this.copyBatchSize = copyBatchSize;
    this.materializer = materializer;
    this.changed = changed;
  }

  /** Makes the index hold exactly the document's published version as the chunk table has it. */
  public CompletionStage<Outcome> sync(DocumentRef document) {
    return reported(document, lanes.run(document, () -> chunks.publishedVersion(document)
        .thenCompose(target -> index.chunkIdsByVersion(document)
            .thenCompose(held -> reconcile(document, target, held)))));
  }

  /** Removes the document from the index, whatever the chunk table still says (a delete is being purged). */
  public CompletionStage<Outcome> remove(DocumentRef document) {
    return reported(document, lanes.run(document, () -> index.chunkIdsByVersion(document)
        .thenCompose(held -> held.isEmpty()
            ? CompletableFuture.completedFuture(Outcome.IN_SYNC)
            : index.removeDocument(document, 0).thenApply(removed -> Outcome.REMOVED))));
  }

  // A failed sync may have written part of its change: it is reported too.
  private CompletionStage<Outcome> reported(DocumentRef document, CompletionStage<Outcome> sync) {
    return sync.whenComplete((outcome, failure) -> {
      if (outcome != Outcome.IN_SYNC) changed.accept(document);
    });
  }

  private CompletionStage<Outcome> reconcile(DocumentRef document, PublishedVersion target,
      Map<Integer, Set<String>> held) {
    int version = target.version();
    boolean others = held.keySet().stream().anyMatch(v -> v != version);
    if (version == 0) {
      return held.isEmpty()
          ? CompletableFuture.completedFuture(Outcome.IN_SYNC)
          : index.removeDocument(document, 0).thenApply(removed -> Outcome.REMOVED);
    }
    Set<String> heldOfTarget = held.getOrDefault(version, Set.of());
    if (heldOfTarget.equals(target.chunkIds())) {
      return others
          ? index.removeDocument(document, version).thenApply(removed -> Outcome.PRUNED)
          : CompletableFuture.completedFuture(Outcome.IN_SYNC);
    }
    // Upserts replace chunks by id, so the version stays retrievable while it is copied; then what is stale goes.
    return copy(document, version)
        .thenCompose(copied -> {
          Set<String> stale = new HashSet<>(heldOfTarget);
          stale.removeAll(copied);
          return index.removeChunks(document, stale);
        })
        .thenCompose(pruned -> others
            ? index.removeDocument(document, version)
            : CompletableFuture.<Void>completedFuture(null))
        .thenApply(removed -> Outcome.COPIED);
  }

  /** Copies the version from the chunk table into the index, a batch at a time; the ids copied. */
  private CompletionStage<Set<String>> copy(DocumentRef document, int version) {
    return chunks.version(document, version)
        .grouped(copyBatchSize)
        .mapAsync(1, batch -> index.upsert(batch).thenApply(written -> ids(batch)))
        .runFold(new HashSet<String>(), (all, ids) -> {
          all.addAll(ids);
          return all;
        }, materializer)
        .thenApply(Set::copyOf);
  }

  private static List<String> ids(List<EmbeddedChunk> batch) {
    return batch.stream().map(c -> c.chunk().chunkId()).toList();
  }
}
