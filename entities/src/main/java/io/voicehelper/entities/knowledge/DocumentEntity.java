package io.voicehelper.entities.knowledge;

import io.voicehelper.entities.CborSerializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One document of a tenant's collection: its versions and which of them is retrievable, with each version's way
 * from upload to search run as a saga over the {@link DocumentPipeline}.
 *
 * <p><b>The saga.</b> {@link BeginUpload} numbers a new version (numbers are never reused, not even after a delete)
 * and names where the edge stores its original. {@link CompleteUpload} makes it {@code PROCESSING}: the pipeline
 * indexes it (parse, chunk, embed, write the chunk table; progress is kept in memory and shown by {@link Get}),
 * {@link Indexed} is persisted, the pipeline publishes it, and {@link Published} makes it {@code READY} and the
 * version published before it {@code SUPERSEDED}. A superseded version keeps its chunks for
 * {@link KnowledgeSettings#supersededRetention()}, so {@link RestoreVersion} can publish it again at once; then they
 * are purged, and a restore indexes its original again. {@link Reindex} indexes and publishes the published version
 * again under the same number. Only one version is indexed or published at a time: completing a newer upload fails
 * the run in progress (latest wins), and the entity never has two publish calls in flight, so the index ends up with
 * the version the journal says.
 *
 * <p><b>Compensation.</b> A failed step persists {@link VersionFailed} and then undoes what the run did: a new
 * upload's chunks and original are purged ({@code purgeVersion}), a restore's re-indexed chunks are purged, and if
 * publishing had started, the version published before is published again (or the document unpublished when there
 * was none). {@link CompensationCompleted} ends it; a failing compensation is retried with backoff until it
 * succeeds. {@link Delete} persists {@link DocumentDeleted}, cancels the running step and purges everything of the
 * document, retried until {@link PurgeCompleted}.
 *
 * <p><b>Recovery.</b> Every step is idempotent and every version records the step it is waiting for, so after a
 * crash the next incarnation (started at once by remember-entities) simply runs again what was pending: indexing of
 * a {@code PROCESSING} version (chunk ids are deterministic, so nothing is duplicated), publishing of an indexed one,
 * an unfinished compensation, an unfinished purge; it re-arms the purge of superseded chunks and the timeout of
 * uploads still open (firing at once when their time has passed). The entity passivates only when none of this is
 * running or due.
 */
public final class DocumentEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        DocumentEntity.Command, DocumentEntity.Event, DocumentEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Document");

  /**
   * Events are tagged with one of these, chosen by the entity id, so that projections can run one instance per tag
   * across the cluster (see docs/adr/0002-event-tags.md). Changing the count re-partitions the read side.
   */
  public static final List<String> TAGS = List.of("document-0", "document-1", "document-2", "document-3");

  /** Stable across JVMs: {@link String#hashCode()} is specified. */
  public static String tagFor(String entityId) {
    return TAGS.get(Math.floorMod(entityId.hashCode(), TAGS.size()));
  }

  /**
   * The document whose events are journaled under {@code persistenceId} ({@code "Document|" + entityId}), for the
   * read side: projections and the index follower.
   */
  public static DocumentRef documentOf(String persistenceId) {
    String prefix = ENTITY_KEY.name() + "|";
    if (!persistenceId.startsWith(prefix)) {
      throw new IllegalArgumentException("not a document's persistence id: " + persistenceId);
    }
    return DocumentRef.fromEntityId(persistenceId.substring(prefix.length()));
  }

  /** Where the edge stores a version's original in the object store. */
  public static String objectKey(DocumentRef ref, int version) {
    return objectPrefix(ref) + "v" + version + "/original";
  }

  /** What every object of the document's versions starts with: {@code <tenant>/<collection>/<document>/}. */
  public static String objectPrefix(DocumentRef ref) {
    return ref.tenantId() + "/" + ref.collectionId() + "/" + ref.documentId() + "/";
  }

  /** Registers the entity type with sharding on this node. */
  public static void init(ActorSystem<?> system, DocumentPipeline pipeline, KnowledgeSettings settings) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, entityContext -> create(entityContext.getEntityId(),
                    Optional.of(entityContext.getShard()), pipeline, settings, Clock.systemUTC()))
                .withStopMessage(Passivate.INSTANCE));
  }

  /** The entity's behavior outside sharding (tests): it never passivates. */
  public static Behavior<Command> create(
      String entityId, DocumentPipeline pipeline, KnowledgeSettings settings, Clock clock) {
    return create(entityId, Optional.empty(), pipeline, settings, clock);
  }

  /** The entity's behavior; {@code shard} is empty when it runs outside sharding. */
  public static Behavior<Command> create(
      String entityId,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      DocumentPipeline pipeline,
      KnowledgeSettings settings,
      Clock clock) {
    return Behaviors.setup(context -> {
      context.setReceiveTimeout(settings.idleTimeout(), IdleTimeout.INSTANCE);
      return new DocumentEntity(DocumentRef.fromEntityId(entityId), shard, pipeline, settings, clock, context);
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Protocol

  /** Commands a document accepts. Rejections are {@link DocumentRejection}s. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Starts a new version; answers with its number and where to store the file. Revives a deleted document (numbering
   * continues). Rejected: {@code INVALID} for blank fields, {@code DELETING} while a delete is still being purged.
   *
   * @param name the document's display name (that of the latest upload is shown)
   * @param fileName the uploaded file's name, kept with the version
   * @param uploadedBy who uploaded it (user id)
   * @param metadata the version's user metadata ({@link DocumentMetadata}'s limits, else {@code INVALID})
   */
  public record BeginUpload(
      String name, String fileName, String uploadedBy, Map<String, String> metadata,
      ActorRef<StatusReply<UploadTicket>> replyTo)
      implements Command {

    public BeginUpload {
      metadata = metadata == null ? Map.of() : metadata; // checked, not copied: a bad key is refused, not lost
    }

    /** A version without metadata. */
    public BeginUpload(String name, String fileName, String uploadedBy, ActorRef<StatusReply<UploadTicket>> replyTo) {
      this(name, fileName, uploadedBy, Map.of(), replyTo);
    }
  }

  /**
   * The version's original is stored: starts indexing it and answers with the document. Repeating it with the same
   * checksum answers the same way. Rejected: {@code NOT_FOUND}, {@code VERSION_NOT_FOUND}, {@code INVALID},
   * {@code UPLOAD_NOT_OPEN} (failed or timed out), {@code SUPERSEDED} (a newer version got ahead; this one is
   * failed).
   */
  public record CompleteUpload(int version, long size, String sha256, ActorRef<StatusReply<DocumentView>> replyTo)
      implements Command {}

  /**
   * The edge could not store the version's file (too large, client gone): fails the version and removes what was
   * stored. Rejected: {@code NOT_FOUND}, {@code VERSION_NOT_FOUND}, {@code UPLOAD_NOT_OPEN}.
   */
  public record FailUpload(int version, String reason, ActorRef<StatusReply<DocumentView>> replyTo)
      implements Command {}

  /**
   * Publishes a superseded version again (indexing its original again if its chunks were purged). Rejected:
   * {@code NOT_FOUND}, {@code VERSION_NOT_FOUND}, {@code NOT_RESTORABLE} (not superseded), {@code BUSY}.
   */
  public record RestoreVersion(int version, ActorRef<StatusReply<DocumentView>> replyTo) implements Command {}

  /**
   * Indexes the published version again and publishes it. Rejected: {@code NOT_FOUND}, {@code NOTHING_PUBLISHED},
   * {@code BUSY}.
   */
  public record Reindex(ActorRef<StatusReply<DocumentView>> replyTo) implements Command {}

  /** Deletes the document with every version; its data is purged in the background. Rejected: {@code NOT_FOUND}. */
  public record Delete(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Answers with the document. Rejected: {@code NOT_FOUND}. */
  public record Get(ActorRef<StatusReply<DocumentView>> replyTo) implements Command {}

  private record IndexProgress(long token, int version, int done, int total) implements Command {}

  private record IndexDone(long token, int version, DocumentPipeline.Indexed result, String failure)
      implements Command {}

  private record PublishDone(long token, int version, String failure) implements Command {}

  private record CompensationDone(long token, int version, String failure) implements Command {}

  private record ChunksPurgeDone(long token, int version, String failure) implements Command {}

  private record DocumentPurgeDone(long token, String failure) implements Command {}

  /** A step that failed and waited its backoff may run again. */
  private record Retry(int version) implements Command {}

  /** A superseded version's retention has passed. */
  private record PurgeDue(int version) implements Command {}

  /** A version's upload timeout has passed. */
  private record UploadDeadline(int version) implements Command {}

  private enum IdleTimeout implements Command {
    INSTANCE
  }

  /** Starts a stopped entity again so that recovery resumes its pending work; nothing else. */
  private enum Wake implements Command {
    INSTANCE
  }

  private enum Passivate implements Command {
    INSTANCE
  }

  /** Where to store a new version's original. */
  public record UploadTicket(DocumentRef document, int version, String objectKey) implements CborSerializable {}

  /**
   * A document as clients see it.
   *
   * @param state the latest version's state, except that a document whose latest version failed or was replaced by
   *     a restore is {@code READY} while some version is published (the failure shows on the version)
   * @param publishedVersion the retrievable version, 0 when none
   * @param progress the indexing job running now, if any
   * @param versions every version, oldest first
   */
  public record DocumentView(
      DocumentRef document,
      String name,
      VersionState state,
      int publishedVersion,
      Optional<JobProgress> progress,
      List<VersionView> versions)
      implements CborSerializable {}

  /** Chunks embedded and stored so far of a running indexing job; {@code total} is 0 until chunking finished. */
  public record JobProgress(int version, int done, int total) implements CborSerializable {}

  /**
   * One version as clients see it. {@code size}, {@code sha256} are set once the upload completed,
   * {@code contentType} and {@code chunks} once indexed; {@code failure} is the reason of the last failed run (also
   * for a restore or re-index that failed and left the version as it was); {@code supersededAt} is set while
   * superseded; {@code chunksPurged} means a restore has to index the original again; {@code metadata} is the user
   * metadata given with the upload.
   */
  public record VersionView(
      int version,
      String fileName,
      String objectKey,
      String uploadedBy,
      Instant createdAt,
      long size,
      String sha256,
      String contentType,
      int chunks,
      VersionState state,
      String failure,
      Instant supersededAt,
      boolean chunksPurged,
      Map<String, String> metadata)
      implements CborSerializable {}

  /** Where a version is in its life. */
  public enum VersionState {
    /** Numbered; the edge is storing its file. */
    UPLOADING,
    /** Being indexed and published (a new upload or a restore). */
    PROCESSING,
    /** The published, retrievable version. */
    READY,
    /** Was published, replaced by another version; its chunks are kept for the retention unless purged. */
    SUPERSEDED,
    /** Its upload or first run failed; its data was removed. */
    FAILED
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Events

  public sealed interface Event extends CborSerializable {}

  /** {@code metadata} is absent from events written before metadata existed: it reads as empty. */
  public record UploadStarted(
      int version, String name, String fileName, String objectKey, String uploadedBy, Instant at,
      Map<String, String> metadata)
      implements Event {

    public UploadStarted {
      metadata = DocumentMetadata.of(metadata);
    }
  }

  public record UploadCompleted(int version, long size, String sha256, Instant at) implements Event {}

  public record Indexed(int version, String contentType, int chunks) implements Event {}

  /** {@code version} is retrievable; {@code previous} (0: none, or the version itself after a re-index) was before. */
  public record Published(int version, int previous, Instant at) implements Event {}

  /** A run of {@code version} failed or was cancelled; its compensation is pending. */
  public record VersionFailed(int version, String reason, Instant at) implements Event {}

  public record CompensationCompleted(int version, Instant at) implements Event {}

  /** A superseded version is being published again; {@code reindex} when its chunks were purged. */
  public record RestoreStarted(int version, boolean reindex, Instant at) implements Event {}

  public record ReindexStarted(int version, Instant at) implements Event {}

  /** A superseded version's chunks were purged after its retention. */
  public record ChunksPurged(int version, Instant at) implements Event {}

  public record DocumentDeleted(Instant at) implements Event {}

  /** Everything of the deleted document is gone from every store. */
  public record PurgeCompleted(Instant at) implements Event {}

  // ---------------------------------------------------------------------------------------------------------------
  // State

  /** The step of the saga a version waits for; what recovery resumes. */
  public enum Step {
    NONE,
    INDEX,
    PUBLISH,
    COMPENSATE
  }

  /** What a version's current (or last) run is for; decides its compensation and the state a failure leaves. */
  public enum RunKind {
    /** A new upload: a failure fails the version and purges it. */
    UPLOAD,
    /** Publishing a superseded version that still has its chunks. */
    RESTORE,
    /** Indexing a superseded version's original again, then publishing it. */
    RESTORE_REINDEX,
    /** Indexing and publishing the published version again. */
    REINDEX
  }

  /**
   * One version. {@code republish}: its compensation must publish the document's published version again, because
   * its own publishing had started. {@code metadata}: the upload's, fixed for the version's life (absent from
   * snapshots taken before metadata existed: empty).
   */
  public record Version(
      int number,
      String fileName,
      String objectKey,
      String uploadedBy,
      Instant createdAt,
      long size,
      String sha256,
      String contentType,
      int chunks,
      VersionState state,
      String failure,
      Instant supersededAt,
      boolean chunksPurged,
      Step pending,
      RunKind run,
      boolean republish,
      Map<String, String> metadata)
      implements CborSerializable {

    public Version {
      metadata = DocumentMetadata.of(metadata);
    }

    static Version uploading(UploadStarted e) {
      return new Version(e.version(), e.fileName(), e.objectKey(), e.uploadedBy(), e.at(), 0, null, null, 0,
          VersionState.UPLOADING, null, null, false, Step.NONE, RunKind.UPLOAD, false, e.metadata());
    }

    Version uploaded(UploadCompleted e) {
      return new Version(number, fileName, objectKey, uploadedBy, createdAt, e.size(), e.sha256(), contentType,
          chunks, VersionState.PROCESSING, null, supersededAt, chunksPurged, Step.INDEX, RunKind.UPLOAD, false, metadata);
    }

    Version indexed(Indexed e) {
      return new Version(number, fileName, objectKey, uploadedBy, createdAt, size, sha256, e.contentType(),
          e.chunks(), state, failure, supersededAt, false, Step.PUBLISH, run, false, metadata);
    }

    Version published() {
      return new Version(number, fileName, objectKey, uploadedBy, createdAt, size, sha256, contentType, chunks,
          VersionState.READY, null, null, false, Step.NONE, run, false, metadata);
    }

    Version superseded(Instant at) {
      return new Version(number, fileName, objectKey, uploadedBy, createdAt, size, sha256, contentType, chunks,
          VersionState.SUPERSEDED, failure, at, chunksPurged, pending, run, republish, metadata);
    }

    /** A failed upload is failed; a failed restore leaves the version superseded, a failed re-index published. */
    Version failed(String reason) {
      VersionState after = switch (run) {
        case UPLOAD -> VersionState.FAILED;
        case RESTORE, RESTORE_REINDEX -> VersionState.SUPERSEDED;
        case REINDEX -> VersionState.READY;
      };
      return new Version(number, fileName, objectKey, uploadedBy, createdAt, size, sha256, contentType, chunks,
          after, reason, supersededAt, chunksPurged, Step.COMPENSATE, run, pending == Step.PUBLISH, metadata);
    }

    Version compensated() {
      boolean purged = chunksPurged || run == RunKind.UPLOAD || run == RunKind.RESTORE_REINDEX;
      return new Version(number, fileName, objectKey, uploadedBy, createdAt, size, sha256, contentType, chunks,
          state, failure, supersededAt, purged, Step.NONE, run, false, metadata);
    }

    Version restoring(boolean reindex) {
      return new Version(number, fileName, objectKey, uploadedBy, createdAt, size, sha256, contentType, chunks,
          VersionState.PROCESSING, null, supersededAt, chunksPurged, reindex ? Step.INDEX : Step.PUBLISH,
          reindex ? RunKind.RESTORE_REINDEX : RunKind.RESTORE, false, metadata);
    }

    Version reindexing() {
      return new Version(number, fileName, objectKey, uploadedBy, createdAt, size, sha256, contentType, chunks,
          state, null, supersededAt, chunksPurged, Step.INDEX, RunKind.REINDEX, false, metadata);
    }

    Version chunksGone() {
      return new Version(number, fileName, objectKey, uploadedBy, createdAt, size, sha256, contentType, chunks,
          state, failure, supersededAt, true, pending, run, republish, metadata);
    }

    /** Indexing or publishing: the one run a document has at a time. */
    boolean running() {
      return pending == Step.INDEX || pending == Step.PUBLISH;
    }

    /** Superseded with chunks that its retention will purge. */
    boolean purgeDue() {
      return state == VersionState.SUPERSEDED && !chunksPurged && pending == Step.NONE && supersededAt != null;
    }

    VersionView view() {
      return new VersionView(number, fileName, objectKey, uploadedBy, createdAt, size, sha256, contentType, chunks,
          state, failure, supersededAt, chunksPurged, metadata);
    }
  }

  /**
   * The document. {@code versions} is empty before the first upload and after a delete; {@code lastVersion} keeps
   * counting across deletes; {@code purgePending} while a delete's purge has not completed.
   */
  public record State(
      String name, List<Version> versions, int lastVersion, int published, boolean deleted, boolean purgePending)
      implements CborSerializable {

    static State empty() {
      return new State(null, List.of(), 0, 0, false, false);
    }

    boolean exists() {
      return !versions.isEmpty();
    }

    Optional<Version> version(int number) {
      for (Version v : versions) if (v.number() == number) return Optional.of(v);
      return Optional.empty();
    }

    Optional<Version> running() {
      for (Version v : versions) if (v.running()) return Optional.of(v);
      return Optional.empty();
    }

    /** A version newer than {@code number} that is past its upload and did not fail: it wins over {@code number}. */
    Optional<Version> newerThan(int number) {
      for (Version v : versions) {
        if (v.number() > number && v.state() != VersionState.UPLOADING && v.state() != VersionState.FAILED) {
          return Optional.of(v);
        }
      }
      return Optional.empty();
    }

    VersionState documentState() {
      VersionState latest = versions.get(versions.size() - 1).state();
      boolean replaced = latest == VersionState.FAILED || latest == VersionState.SUPERSEDED;
      return replaced && published > 0 ? VersionState.READY : latest;
    }

    // Event application: pure functions of the state and the event.

    State with(UploadStarted e) {
      List<Version> list = new ArrayList<>(versions);
      list.add(Version.uploading(e));
      return new State(e.name(), List.copyOf(list), e.version(), published, false, purgePending);
    }

    State with(Published e) {
      List<Version> list = new ArrayList<>(versions.size());
      for (Version v : versions) {
        if (v.number() == e.version()) list.add(v.published());
        else if (v.number() == e.previous()) list.add(v.superseded(e.at()));
        else list.add(v);
      }
      return new State(name, List.copyOf(list), lastVersion, e.version(), deleted, purgePending);
    }

    State with(DocumentDeleted e) {
      return new State(null, List.of(), lastVersion, 0, true, true);
    }

    State with(PurgeCompleted e) {
      return new State(name, versions, lastVersion, published, deleted, false);
    }

    State update(int number, java.util.function.UnaryOperator<Version> change) {
      List<Version> list = new ArrayList<>(versions.size());
      for (Version v : versions) list.add(v.number() == number ? change.apply(v) : v);
      return new State(name, List.copyOf(list), lastVersion, published, deleted, purgePending);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Transient state of this incarnation: the calls in flight and the timers. It dies with the actor; what must
  // survive is each version's pending step, from which the next incarnation starts the calls again.

  /** A call to the pipeline in flight for a version (0: the document's purge); {@code run} only for indexing. */
  private record InFlight(long token, DocumentPipeline.Run run) {}

  private static final int DOCUMENT = 0;

  private final DocumentRef ref;
  private final String entityId;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final DocumentPipeline pipeline;
  private final KnowledgeSettings settings;
  private final Clock clock;
  private final ActorContext<Command> context;

  private final Map<Integer, InFlight> inFlight = new HashMap<>();
  /** Token of the call holding the publish lane (a publish, or a compensation that publishes), 0 when free. */
  private long laneHolder;
  private long lastToken;
  private JobProgress progress;
  private final Map<Integer, Integer> failures = new HashMap<>();
  // Timers through the context: EventSourcedBehaviorTestKit accepts no Behaviors.withTimers wrapper.
  private final Map<Integer, Cancellable> retries = new HashMap<>();
  private final Map<Integer, Cancellable> purgeTimers = new HashMap<>();
  private final Map<Integer, Cancellable> uploadTimers = new HashMap<>();

  private DocumentEntity(
      DocumentRef ref,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      DocumentPipeline pipeline,
      KnowledgeSettings settings,
      Clock clock,
      ActorContext<Command> context) {
    super(
        // ofUniqueId: PersistenceId.of reserves '|', which separates tenant, collection and document in the id.
        PersistenceId.ofUniqueId(ENTITY_KEY.name() + "|" + ref.entityId()),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.ref = ref;
    this.entityId = ref.entityId();
    this.shard = shard;
    this.pipeline = pipeline;
    this.settings = settings;
    this.clock = clock;
    this.context = context;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(tagFor(entityId));
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::resume)
        .onSignal(PostStop.instance(), state -> {
          // An indexing job must not outlive its entity; the next incarnation runs it again from the journal.
          for (InFlight call : inFlight.values()) if (call.run() != null) call.run().cancel();
        })
        .build();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(BeginUpload.class, this::onBeginUpload)
        .onCommand(CompleteUpload.class, this::onCompleteUpload)
        .onCommand(FailUpload.class, this::onFailUpload)
        .onCommand(RestoreVersion.class, this::onRestore)
        .onCommand(Reindex.class, this::onReindex)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Get.class, (s, c) -> s.exists()
            ? Effect().reply(c.replyTo(), StatusReply.success(view(s)))
            : notFound(s, c.replyTo()))
        .onCommand(IndexProgress.class, this::onIndexProgress)
        .onCommand(IndexDone.class, this::onIndexDone)
        .onCommand(PublishDone.class, this::onPublishDone)
        .onCommand(CompensationDone.class, this::onCompensationDone)
        .onCommand(ChunksPurgeDone.class, this::onChunksPurgeDone)
        .onCommand(DocumentPurgeDone.class, this::onDocumentPurgeDone)
        .onCommand(Retry.class, (s, c) -> {
          retries.remove(c.version());
          resume(s);
          return Effect().noReply();
        })
        .onCommand(PurgeDue.class, this::onPurgeDue)
        .onCommand(UploadDeadline.class, this::onUploadDeadline)
        .onCommand(IdleTimeout.class, (s, c) -> {
          if (!busy(s)) shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf())));
          return Effect().noReply();
        })
        .onCommand(Passivate.class, (s, c) -> {
          // Work may have started between asking to passivate and this stop (a CompleteUpload already queued):
          // the shard buffers a wake-up until the entity has stopped and then starts it again, and recovery resumes
          // the work. Without it, passivation would also drop the entity from the remembered ones.
          if (busy(s)) {
            ClusterSharding.get(context.getSystem()).entityRefFor(ENTITY_KEY, ref.entityId()).tell(Wake.INSTANCE);
          }
          return Effect().stop().thenNoReply();
        })
        .onCommand(Wake.class, (s, c) -> Effect().noReply())
        .build();
  }

  /** An id with no document: answer, and leave memory at once rather than after the idle timeout. */
  private <T> ReplyEffect<Event, State> notFound(State state, ActorRef<StatusReply<T>> replyTo) {
    if (!busy(state)) shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(context.getSelf())));
    return Effect().reply(replyTo, DocumentRejection.NOT_FOUND.reply("no document " + ref.documentId()));
  }

  private ReplyEffect<Event, State> onBeginUpload(State state, BeginUpload cmd) {
    if (blank(cmd.name()) || blank(cmd.fileName()) || blank(cmd.uploadedBy())) {
      return Effect().reply(cmd.replyTo(),
          DocumentRejection.INVALID.reply("name, file name and uploader are required"));
    }
    Optional<String> badMetadata = DocumentMetadata.problem(cmd.metadata());
    if (badMetadata.isPresent()) return Effect().reply(cmd.replyTo(), DocumentRejection.INVALID.reply(badMetadata.get()));
    if (state.purgePending()) {
      return Effect().reply(cmd.replyTo(),
          DocumentRejection.DELETING.reply("the deleted document is still being purged; try again shortly"));
    }
    int number = state.lastVersion() + 1;
    String key = objectKey(ref, number);
    return Effect()
        .persist(new UploadStarted(number, cmd.name().strip(), cmd.fileName(), key, cmd.uploadedBy(), clock.instant(),
            cmd.metadata()))
        .thenRun(this::resume)
        .thenReply(cmd.replyTo(), s -> StatusReply.success(new UploadTicket(ref, number, key)));
  }

  private ReplyEffect<Event, State> onCompleteUpload(State state, CompleteUpload cmd) {
    if (!state.exists()) return notFound(state, cmd.replyTo());
    Optional<Version> found = state.version(cmd.version());
    if (found.isEmpty()) return versionNotFound(cmd.replyTo(), cmd.version());
    if (cmd.size() < 0 || cmd.sha256() == null || !cmd.sha256().matches("[0-9a-f]{64}")) {
      return Effect().reply(cmd.replyTo(),
          DocumentRejection.INVALID.reply("size must not be negative and sha256 must be 64 lower-case hex digits"));
    }
    Version version = found.get();
    if (version.state() != VersionState.UPLOADING) {
      if (version.state() != VersionState.FAILED && cmd.sha256().equals(version.sha256())) {
        return Effect().reply(cmd.replyTo(), StatusReply.success(view(state))); // a retry of the same completion
      }
      return Effect().reply(cmd.replyTo(), DocumentRejection.UPLOAD_NOT_OPEN.reply(
          "version " + version.number() + " is " + version.state() + (version.failure() == null ? ""
              : " (" + version.failure() + ")")));
    }
    Instant now = clock.instant();
    Optional<Version> newer = state.newerThan(version.number());
    if (newer.isPresent()) {
      String reason = supersededReason(newer.get().number());
      return Effect()
          .persist(new VersionFailed(version.number(), reason, now))
          .thenRun(this::resume)
          .thenReply(cmd.replyTo(), s -> DocumentRejection.SUPERSEDED.reply(reason));
    }
    List<Event> events = new ArrayList<>(2);
    Optional<Version> running = state.running();
    running.ifPresent(r -> events.add(new VersionFailed(r.number(), supersededReason(version.number()), now)));
    events.add(new UploadCompleted(version.number(), cmd.size(), cmd.sha256(), now));
    return Effect()
        .persist(events)
        .thenRun(s -> running.ifPresent(r -> cancelIndexing(r.number())))
        .thenRun(this::resume)
        .thenReply(cmd.replyTo(), s -> StatusReply.success(view(s)));
  }

  private static String supersededReason(int newer) {
    return "superseded by version " + newer + " before it was ready";
  }

  private ReplyEffect<Event, State> onFailUpload(State state, FailUpload cmd) {
    if (!state.exists()) return notFound(state, cmd.replyTo());
    Optional<Version> found = state.version(cmd.version());
    if (found.isEmpty()) return versionNotFound(cmd.replyTo(), cmd.version());
    Version version = found.get();
    if (version.state() == VersionState.FAILED) return Effect().reply(cmd.replyTo(), StatusReply.success(view(state)));
    if (version.state() != VersionState.UPLOADING) {
      return Effect().reply(cmd.replyTo(), DocumentRejection.UPLOAD_NOT_OPEN.reply(
          "version " + version.number() + " is " + version.state()));
    }
    String reason = "upload failed: " + (blank(cmd.reason()) ? "the file could not be stored" : cmd.reason());
    return Effect()
        .persist(new VersionFailed(version.number(), reason, clock.instant()))
        .thenRun(this::resume)
        .thenReply(cmd.replyTo(), s -> StatusReply.success(view(s)));
  }

  private ReplyEffect<Event, State> onRestore(State state, RestoreVersion cmd) {
    if (!state.exists()) return notFound(state, cmd.replyTo());
    Optional<Version> found = state.version(cmd.version());
    if (found.isEmpty()) return versionNotFound(cmd.replyTo(), cmd.version());
    Version version = found.get();
    if (version.state() != VersionState.SUPERSEDED) {
      return Effect().reply(cmd.replyTo(), DocumentRejection.NOT_RESTORABLE.reply(
          "version " + version.number() + " is " + version.state() + "; only a superseded version can be restored"));
    }
    Optional<Version> running = state.running();
    if (running.isPresent() || version.pending() != Step.NONE || inFlight.containsKey(version.number())) {
      return Effect().reply(cmd.replyTo(), DocumentRejection.BUSY.reply(running
          .map(r -> "version " + r.number() + " is being processed")
          .orElse("version " + version.number() + " is being cleaned up")));
    }
    // The retention's purge timer belongs to this supersede; superseded again later, the version gets a new one.
    Cancellable purge = purgeTimers.remove(version.number());
    if (purge != null) purge.cancel();
    return Effect()
        .persist(new RestoreStarted(version.number(), version.chunksPurged(), clock.instant()))
        .thenRun(this::resume)
        .thenReply(cmd.replyTo(), s -> StatusReply.success(view(s)));
  }

  private ReplyEffect<Event, State> onReindex(State state, Reindex cmd) {
    if (!state.exists()) return notFound(state, cmd.replyTo());
    if (state.published() == 0) {
      return Effect().reply(cmd.replyTo(), DocumentRejection.NOTHING_PUBLISHED.reply("no version is published"));
    }
    Version published = state.version(state.published()).orElseThrow();
    Optional<Version> running = state.running();
    if (running.isPresent() || published.pending() != Step.NONE || inFlight.containsKey(published.number())) {
      return Effect().reply(cmd.replyTo(), DocumentRejection.BUSY.reply(running
          .map(r -> "version " + r.number() + " is being processed")
          .orElse("version " + published.number() + " is being cleaned up")));
    }
    return Effect()
        .persist(new ReindexStarted(published.number(), clock.instant()))
        .thenRun(this::resume)
        .thenReply(cmd.replyTo(), s -> StatusReply.success(view(s)));
  }

  private ReplyEffect<Event, State> onDelete(State state, Delete cmd) {
    if (!state.exists()) return notFound(state, cmd.replyTo());
    return Effect()
        .persist(new DocumentDeleted(clock.instant()))
        .thenRun(s -> {
          for (Integer version : List.copyOf(inFlight.keySet())) cancelIndexing(version);
          cancelAll(retries);
          cancelAll(purgeTimers);
          cancelAll(uploadTimers);
          failures.clear();
          progress = null;
        })
        .thenRun(this::resume)
        .thenReply(cmd.replyTo(), s -> StatusReply.success(Done.getInstance()));
  }

  private <T> ReplyEffect<Event, State> versionNotFound(ActorRef<StatusReply<T>> replyTo, int version) {
    return Effect().reply(replyTo, DocumentRejection.VERSION_NOT_FOUND.reply("no version " + version));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The saga: start whatever the persisted state says is pending and is not running yet

  /**
   * Starts every pending step that is not already in flight, and arms the timers of what is due later. Runs after
   * recovery, after every persisted change and after every finished call, so a step is resumed the same way whether
   * it is new or left over from an earlier incarnation.
   */
  private void resume(State state) {
    if (state.deleted()) {
      // After every other call returned: a late publish or index write must not land after the purge.
      if (state.purgePending() && inFlight.isEmpty() && laneHolder == 0 && !retries.containsKey(DOCUMENT)) {
        purgeDocument();
      }
      return;
    }
    for (Version v : state.versions()) {
      int n = v.number();
      boolean idle = !inFlight.containsKey(n) && !retries.containsKey(n);
      switch (v.pending()) {
        case INDEX -> {
          if (idle) index(v);
        }
        case PUBLISH -> {
          if (idle && laneHolder == 0) publish(v);
        }
        case COMPENSATE -> {
          if (idle && (!v.republish() || laneHolder == 0)) compensate(state, v);
        }
        case NONE -> {
          if (v.state() == VersionState.UPLOADING && !uploadTimers.containsKey(n)) {
            uploadTimers.put(n, context.scheduleOnce(until(v.createdAt().plus(settings.uploadTimeout())),
                context.getSelf(), new UploadDeadline(n)));
          }
          if (v.purgeDue() && idle && !purgeTimers.containsKey(n)) {
            purgeTimers.put(n, context.scheduleOnce(until(v.supersededAt().plus(settings.supersededRetention())),
                context.getSelf(), new PurgeDue(n)));
          }
        }
      }
    }
  }

  private Duration until(Instant due) {
    Duration left = Duration.between(clock.instant(), due);
    return left.isNegative() ? Duration.ZERO : left;
  }

  private void index(Version v) {
    long token = ++lastToken;
    ActorRef<Command> self = context.getSelf();
    int n = v.number();
    progress = new JobProgress(n, 0, 0);
    DocumentPipeline.Run run;
    try {
      run = pipeline.index(new DocumentPipeline.Job(ref, n, v.objectKey(), v.fileName(), v.metadata()),
          (done, total) -> self.tell(new IndexProgress(token, n, done, total)));
    } catch (RuntimeException e) {
      run = failedRun(e);
    }
    inFlight.put(n, new InFlight(token, run));
    context.getLog().info("Indexing version {} of {}", n, entityId);
    context.pipeToSelf(run.result(), (result, failure) -> new IndexDone(token, n, result, describe(failure)));
  }

  private void publish(Version v) {
    long token = ++lastToken;
    int n = v.number();
    inFlight.put(n, new InFlight(token, null));
    laneHolder = token;
    context.pipeToSelf(call(() -> pipeline.publish(ref, n)),
        (ok, failure) -> new PublishDone(token, n, describe(failure)));
  }

  /** Undoes a failed run: removes what it wrote, then makes the published version retrievable again if needed. */
  private void compensate(State state, Version v) {
    long token = ++lastToken;
    int n = v.number();
    inFlight.put(n, new InFlight(token, null));
    if (v.republish()) laneHolder = token;
    int restore = state.published();
    Supplier<CompletionStage<Void>> cleanup = switch (v.run()) {
      case UPLOAD -> () -> pipeline.purgeVersion(ref, n, v.objectKey());
      case RESTORE_REINDEX -> () -> pipeline.purgeChunks(ref, n);
      case RESTORE, REINDEX -> () -> CompletableFuture.completedFuture(null);
    };
    CompletionStage<Void> steps = call(cleanup).thenCompose(done -> !v.republish()
        ? CompletableFuture.<Void>completedFuture(null)
        : call(() -> restore > 0 ? pipeline.publish(ref, restore) : pipeline.unpublish(ref)));
    context.getLog().info("Compensating version {} of {}: {}", n, entityId, v.failure());
    context.pipeToSelf(steps, (ok, failure) -> new CompensationDone(token, n, describe(failure)));
  }

  private void purgeChunks(Version v) {
    long token = ++lastToken;
    int n = v.number();
    inFlight.put(n, new InFlight(token, null));
    context.pipeToSelf(call(() -> pipeline.purgeChunks(ref, n)),
        (ok, failure) -> new ChunksPurgeDone(token, n, describe(failure)));
  }

  private void purgeDocument() {
    long token = ++lastToken;
    inFlight.put(DOCUMENT, new InFlight(token, null));
    context.pipeToSelf(call(() -> pipeline.purgeDocument(ref)),
        (ok, failure) -> new DocumentPurgeDone(token, describe(failure)));
  }

  /** Ends the call of {@code version} if it is the one with {@code token}; false for a stale answer. */
  private boolean finish(int version, long token) {
    InFlight call = inFlight.get(version);
    if (call == null || call.token() != token) return false;
    inFlight.remove(version);
    if (laneHolder == token) laneHolder = 0;
    return true;
  }

  private void cancelIndexing(int version) {
    InFlight call = inFlight.get(version);
    if (call != null && call.run() != null) call.run().cancel();
    if (progress != null && progress.version() == version) progress = null;
  }

  private void retryLater(int version, String what, String failure) {
    int attempt = failures.merge(version, 1, Integer::sum);
    Duration delay = settings.backoff(attempt);
    context.getLog().warn("{} of {} failed (attempt {}), trying again in {}: {}", what, entityId, attempt, delay,
        failure);
    retries.put(version, context.scheduleOnce(delay, context.getSelf(), new Retry(version)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Answers of the pipeline

  private ReplyEffect<Event, State> onIndexProgress(State state, IndexProgress msg) {
    InFlight call = inFlight.get(msg.version());
    if (call != null && call.token() == msg.token()) progress = new JobProgress(msg.version(), msg.done(), msg.total());
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onIndexDone(State state, IndexDone msg) {
    if (!finish(msg.version(), msg.token())) return Effect().noReply();
    if (progress != null && progress.version() == msg.version()) progress = null;
    Optional<Version> version = state.version(msg.version()).filter(v -> v.pending() == Step.INDEX);
    if (version.isEmpty()) { // cancelled: the run was failed or the document deleted meanwhile
      resume(state);
      return Effect().noReply();
    }
    Event outcome = msg.failure() != null
        ? new VersionFailed(msg.version(), "indexing failed: " + msg.failure(), clock.instant())
        : new Indexed(msg.version(), msg.result().contentType(), msg.result().chunks());
    return Effect().persist(outcome).thenRun(this::resume).thenNoReply();
  }

  private ReplyEffect<Event, State> onPublishDone(State state, PublishDone msg) {
    if (!finish(msg.version(), msg.token())) return Effect().noReply();
    Optional<Version> version = state.version(msg.version()).filter(v -> v.pending() == Step.PUBLISH);
    if (version.isEmpty()) { // the run was failed meanwhile: its compensation publishes the right version
      resume(state);
      return Effect().noReply();
    }
    Event outcome = msg.failure() != null
        ? new VersionFailed(msg.version(), "publishing failed: " + msg.failure(), clock.instant())
        : new Published(msg.version(), state.published(), clock.instant());
    return Effect().persist(outcome).thenRun(this::resume).thenNoReply();
  }

  private ReplyEffect<Event, State> onCompensationDone(State state, CompensationDone msg) {
    if (!finish(msg.version(), msg.token())) return Effect().noReply();
    if (state.version(msg.version()).filter(v -> v.pending() == Step.COMPENSATE).isEmpty()) {
      resume(state);
      return Effect().noReply();
    }
    if (msg.failure() != null) {
      retryLater(msg.version(), "Compensation of version " + msg.version(), msg.failure());
      return Effect().noReply();
    }
    failures.remove(msg.version());
    return Effect().persist(new CompensationCompleted(msg.version(), clock.instant())).thenRun(this::resume)
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onPurgeDue(State state, PurgeDue msg) {
    purgeTimers.remove(msg.version());
    Optional<Version> version = state.version(msg.version()).filter(Version::purgeDue);
    if (version.isPresent() && !inFlight.containsKey(msg.version()) && !retries.containsKey(msg.version())) {
      purgeChunks(version.get());
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onChunksPurgeDone(State state, ChunksPurgeDone msg) {
    if (!finish(msg.version(), msg.token())) return Effect().noReply();
    if (state.version(msg.version()).filter(Version::purgeDue).isEmpty()) {
      resume(state);
      return Effect().noReply();
    }
    if (msg.failure() != null) {
      retryLater(msg.version(), "Purging the chunks of version " + msg.version(), msg.failure());
      return Effect().noReply();
    }
    failures.remove(msg.version());
    return Effect().persist(new ChunksPurged(msg.version(), clock.instant())).thenRun(this::resume).thenNoReply();
  }

  private ReplyEffect<Event, State> onDocumentPurgeDone(State state, DocumentPurgeDone msg) {
    if (!finish(DOCUMENT, msg.token())) return Effect().noReply();
    if (!state.purgePending()) return Effect().noReply();
    if (msg.failure() != null) {
      retryLater(DOCUMENT, "Purging the deleted document", msg.failure());
      return Effect().noReply();
    }
    failures.remove(DOCUMENT);
    context.getLog().info("Deleted document {} purged", entityId);
    return Effect().persist(new PurgeCompleted(clock.instant())).thenNoReply();
  }

  private ReplyEffect<Event, State> onUploadDeadline(State state, UploadDeadline msg) {
    uploadTimers.remove(msg.version());
    if (state.version(msg.version()).filter(v -> v.state() == VersionState.UPLOADING).isEmpty()) {
      return Effect().noReply();
    }
    return Effect()
        .persist(new VersionFailed(msg.version(),
            "upload timed out: the file was not stored within " + settings.uploadTimeout(), clock.instant()))
        .thenRun(this::resume)
        .thenNoReply();
  }

  /** Work running or due: the entity must stay, since nothing but itself would start it again. */
  private boolean busy(State state) {
    if (!inFlight.isEmpty() || !retries.isEmpty() || state.purgePending()) return true;
    for (Version v : state.versions()) {
      if (v.pending() != Step.NONE || v.state() == VersionState.UPLOADING || v.purgeDue()) return true;
    }
    return false;
  }

  private DocumentView view(State state) {
    return new DocumentView(ref, state.name(), state.documentState(), state.published(),
        Optional.ofNullable(progress), state.versions().stream().map(Version::view).toList());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(UploadStarted.class, State::with)
        .onEvent(UploadCompleted.class, (s, e) -> s.update(e.version(), v -> v.uploaded(e)))
        .onEvent(Indexed.class, (s, e) -> s.update(e.version(), v -> v.indexed(e)))
        .onEvent(Published.class, State::with)
        .onEvent(VersionFailed.class, (s, e) -> s.update(e.version(), v -> v.failed(e.reason())))
        .onEvent(CompensationCompleted.class, (s, e) -> s.update(e.version(), Version::compensated))
        .onEvent(RestoreStarted.class, (s, e) -> s.update(e.version(), v -> v.restoring(e.reindex())))
        .onEvent(ReindexStarted.class, (s, e) -> s.update(e.version(), Version::reindexing))
        .onEvent(ChunksPurged.class, (s, e) -> s.update(e.version(), Version::chunksGone))
        .onEvent(DocumentDeleted.class, State::with)
        .onEvent(PurgeCompleted.class, State::with)
        .build();
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static void cancelAll(Map<Integer, Cancellable> timers) {
    timers.values().forEach(Cancellable::cancel);
    timers.clear();
  }

  /** A port call that throws is a failed stage, like any other failure of the step. */
  private static <T> CompletionStage<T> call(Supplier<CompletionStage<T>> step) {
    try {
      CompletionStage<T> stage = step.get();
      return stage != null ? stage : CompletableFuture.failedFuture(new IllegalStateException("no result"));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static DocumentPipeline.Run failedRun(RuntimeException e) {
    return new DocumentPipeline.Run() {
      @Override
      public CompletionStage<DocumentPipeline.Indexed> result() {
        return CompletableFuture.failedFuture(e);
      }

      @Override
      public void cancel() {}
    };
  }

  /** The reason a user should read: the message of the root failure; null for success. */
  private static String describe(Throwable failure) {
    if (failure == null) return null;
    Throwable root = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
