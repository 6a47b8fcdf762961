package io.voicehelper.streams.knowledge.follow;

import io.voicehelper.entities.knowledge.ChunkStore;
import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.streams.knowledge.lucene.LuceneKnowledgeIndex;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.persistence.query.javadsl.EventsByTagQuery;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's Lucene index on the published state of every document: it tails the {@link DocumentEntity}
 * events of every tag ({@code document-0..3}) from the read journal and, on each event that can change which version
 * of a document is retrievable, {@link IndexSync re-syncs} that document from the chunk table. The saga's steps write
 * only the index of the node they run on; this is how the other nodes learn of them, within the read journal's
 * refresh interval.
 *
 * <p><b>Offsets live in the index.</b> Per tag, the offset up to which events were applied is committed in the
 * index's commit data, a batch of events after their changes: an index that survives a restart resumes where it
 * stopped, and one that is new, wiped or discarded has none. Then the follower first reads the journal's last
 * ordering, then rebuilds the index from the chunk table, and records that ordering as every tag's offset: a change
 * made meanwhile is in the chunk table when it is streamed, or comes as an event after the offset. Applying an event
 * twice is harmless, so a crash between a change and its offset's commit costs only a little repeated work.
 *
 * <p><b>Bounded and supervised.</b> The read journal pages its queries; events are applied one at a time (each a
 * few JDBC and Lucene calls on their blocking dispatchers); offsets are committed in batches. A failure (the
 * database away, a full disk) restarts the whole pipeline with backoff, from the offsets applied so far.
 */
public final class IndexFollower {

  private static final Logger log = LoggerFactory.getLogger(IndexFollower.class);

  /** What an event means for a node-local index. */
  enum Change {
    /** Nothing retrievable changed. */
    NONE,
    /** The published version may have changed: re-sync the document from the chunk table. */
    SYNC,
    /** The document was deleted: remove it now, before its purge completes. */
    REMOVE
  }

  /**
   * Every event's {@link Change}. The mark in {@code kb_published} changes before {@code Published},
   * {@code CompensationCompleted} (a re-publish or unpublish) and {@code PurgeCompleted} are persisted, so the chunk
   * table already says what the event means when it is read. A test checks that every event type is listed.
   */
  static final Map<Class<? extends DocumentEntity.Event>, Change> CHANGES = Map.ofEntries(
      Map.entry(DocumentEntity.UploadStarted.class, Change.NONE),
      Map.entry(DocumentEntity.UploadCompleted.class, Change.NONE),
      Map.entry(DocumentEntity.Indexed.class, Change.NONE),
      Map.entry(DocumentEntity.Published.class, Change.SYNC),
      Map.entry(DocumentEntity.VersionFailed.class, Change.NONE),
      Map.entry(DocumentEntity.CompensationCompleted.class, Change.SYNC),
      Map.entry(DocumentEntity.RestoreStarted.class, Change.NONE),
      Map.entry(DocumentEntity.ReindexStarted.class, Change.NONE),
      Map.entry(DocumentEntity.ChunksPurged.class, Change.SYNC),
      Map.entry(DocumentEntity.DocumentDeleted.class, Change.REMOVE),
      Map.entry(DocumentEntity.PurgeCompleted.class, Change.SYNC));

  /** An event of one tag. */
  private record Tagged(String tag, EventEnvelope envelope) {
    long offset() {
      return ((Sequence) envelope.offset()).value();
    }
  }

  private final LuceneKnowledgeIndex index;
  private final ChunkStore chunks;
  private final JournalHead head;
  private final IndexSync sync;
  private final EventsByTagQuery journal;
  private final IndexFollowerSettings settings;
  private final Materializer materializer;
  private final List<String> tags = DocumentEntity.TAGS;
  private final SharedKillSwitch killSwitch = KillSwitches.shared("knowledge-index-follower");
  private final CompletableFuture<Map<String, Long>> started = new CompletableFuture<>();
  /** Set while a large lag found at start is being caught up; logged once it is. */
  private final AtomicBoolean catchingUp = new AtomicBoolean();
  private CompletionStage<Done> done;

  private IndexFollower(ActorSystem<?> system, LuceneKnowledgeIndex index, ChunkStore chunks, JournalHead head,
      IndexSync sync, IndexFollowerSettings settings) {
    this.index = index;
    this.chunks = chunks;
    this.head = head;
    this.sync = sync;
    this.settings = settings;
    this.journal = PersistenceQuery.get(system).getReadJournalFor(EventsByTagQuery.class, settings.readJournal());
    this.materializer = Materializer.matFromSystem(system);
  }

  /**
   * Starts following: rebuilds the index first when it {@link LuceneKnowledgeIndex#needsRebuild() needs it} or has
   * no journal offsets. {@code sync} must share its lanes with this node's document pipeline.
   */
  public static IndexFollower start(ActorSystem<?> system, LuceneKnowledgeIndex index, ChunkStore chunks,
      JournalHead head, IndexSync sync, IndexFollowerSettings settings) {
    IndexFollower follower = new IndexFollower(system, index, chunks, head, sync, settings);
    follower.run();
    return follower;
  }

  private void run() {
    RestartSettings restart = RestartSettings.create(settings.minBackoff(), settings.maxBackoff(),
        settings.randomFactor());
    done = RestartSource.onFailuresWithBackoff(restart, this::pipeline)
        .runWith(Sink.ignore(), materializer)
        .whenComplete((ok, failure) -> {
          if (failure != null) log.error("The index follower of {} stopped", index.path(), failure);
        });
  }

  /** One incarnation: prepare the index, then apply the events after its offsets, committing offsets in batches. */
  private Source<Map<String, Long>, ?> pipeline() {
    return Source.lazyCompletionStage(this::prepare)
        .flatMapConcat(this::events)
        .via(killSwitch.flow())
        .mapAsync(1, tagged -> apply(tagged).thenApply(applied -> tagged))
        .groupedWithin(settings.offsetCommitBatch(), settings.offsetCommitInterval())
        .mapAsync(1, batch -> {
          Map<String, Long> offsets = new HashMap<>();
          for (Tagged tagged : batch) offsets.merge(tagged.tag(), tagged.offset(), Math::max);
          if (batch.size() < settings.offsetCommitBatch() && catchingUp.compareAndSet(true, false)) {
            log.info("The knowledge index at {} caught up with the journal (offsets {})", index.path(), offsets);
          }
          return index.saveJournalOffsets(offsets).thenApply(saved -> offsets);
        });
  }

  /** The offsets to follow from: the index's own, or those recorded by a rebuild that runs first. */
  private CompletionStage<Map<String, Long>> prepare() {
    Map<String, Long> stored = index.journalOffsets();
    CompletionStage<Map<String, Long>> from;
    if (!index.needsRebuild() && stored.keySet().containsAll(tags)) {
      from = head.lastOrdering().thenApply(last -> {
        long behind = last - stored.values().stream().mapToLong(Long::longValue).min().orElse(0);
        if (behind >= settings.largeLag()) {
          catchingUp.set(true);
          log.info("The knowledge index at {} is up to {} journal entries behind; catching up", index.path(), behind);
        }
        return stored;
      });
    } else {
      // The head first, then the chunk table: what changes in between is in the table or after the offsets.
      from = head.lastOrdering().thenCompose(last -> {
        Map<String, Long> offsets = new HashMap<>();
        for (String tag : tags) offsets.put(tag, last);
        log.info("Rebuilding the knowledge index at {} from the chunk table; then following the journal after {}",
            index.path(), last);
        return index.rebuild(offsets, chunks.published(), materializer).thenApply(rebuilt -> Map.copyOf(offsets));
      });
    }
    return from.thenApply(offsets -> {
      started.complete(offsets);
      log.debug("Following the journal into the knowledge index at {} from {}", index.path(), offsets);
      return offsets;
    });
  }

  private Source<Tagged, NotUsed> events(Map<String, Long> offsets) {
    return Source.from(tags).flatMapMerge(tags.size(), tag ->
        journal.eventsByTag(tag, Offset.sequence(offsets.getOrDefault(tag, 0L)))
            .map(envelope -> new Tagged(tag, envelope)));
  }

  private CompletionStage<?> apply(Tagged tagged) {
    if (!(tagged.envelope().event() instanceof DocumentEntity.Event event)) {
      return CompletableFuture.completedFuture(null);
    }
    return switch (changeFor(event)) {
      case NONE -> CompletableFuture.completedFuture(null);
      case SYNC -> sync.sync(DocumentEntity.documentOf(tagged.envelope().persistenceId()));
      case REMOVE -> sync.remove(DocumentEntity.documentOf(tagged.envelope().persistenceId()));
    };
  }

  /** An event type missing from {@link #CHANGES} is re-synced: never wrong, only slower. */
  static Change changeFor(DocumentEntity.Event event) {
    return CHANGES.getOrDefault(event.getClass(), Change.SYNC);
  }

  /** The offsets the first incarnation started from: the index's own, or those of the rebuild it ran. */
  public CompletionStage<Map<String, Long>> started() {
    return started;
  }

  /**
   * Stops following: the event being applied is finished and the offsets applied so far are committed. Completes
   * when the pipeline has stopped; close the index only after it.
   */
  public CompletionStage<Done> stop() {
    killSwitch.shutdown();
    return done;
  }
}
