package io.voicehelper.entities.knowledge;

import static io.voicehelper.entities.knowledge.ScriptedDocumentPipeline.Step.INDEX;
import static io.voicehelper.entities.knowledge.ScriptedDocumentPipeline.Step.PUBLISH;
import static io.voicehelper.entities.knowledge.ScriptedDocumentPipeline.Step.PURGE_CHUNKS;
import static io.voicehelper.entities.knowledge.ScriptedDocumentPipeline.Step.PURGE_DOCUMENT;
import static io.voicehelper.entities.knowledge.ScriptedDocumentPipeline.Step.PURGE_VERSION;
import static io.voicehelper.entities.knowledge.ScriptedDocumentPipeline.Step.UNPUBLISH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.TestClock;
import io.voicehelper.entities.knowledge.DocumentEntity.Command;
import io.voicehelper.entities.knowledge.DocumentEntity.DocumentView;
import io.voicehelper.entities.knowledge.DocumentEntity.Event;
import io.voicehelper.entities.knowledge.DocumentEntity.JobProgress;
import io.voicehelper.entities.knowledge.DocumentEntity.State;
import io.voicehelper.entities.knowledge.DocumentEntity.UploadTicket;
import io.voicehelper.entities.knowledge.DocumentEntity.VersionState;
import io.voicehelper.entities.knowledge.DocumentEntity.VersionView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LogCapturingExtension.class)
class DocumentEntityTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final String SHA = "ab".repeat(32);

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(
        "DocumentEntityTest", EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** Production defaults except: snapshots every 3 events, so restarts also recover from snapshots. */
  private static KnowledgeSettings settings() {
    return new KnowledgeSettings(Duration.ofDays(7), Duration.ofMinutes(30), Duration.ofMillis(50),
        Duration.ofMillis(200), 3, Duration.ofMinutes(5));
  }

  private final TestClock clock = new TestClock("2026-12-01T10:00:00Z");
  private final ScriptedDocumentPipeline pipeline = new ScriptedDocumentPipeline();
  private final DocumentRef ref = new DocumentRef("acme", "manuals", "doc-" + UUID.randomUUID());

  private EventSourcedBehaviorTestKit<Command, Event, State> kit(KnowledgeSettings settings) {
    return EventSourcedBehaviorTestKit.create(
        testKit.system(),
        DocumentEntity.create(ref.entityId(), pipeline, settings, clock),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
  }

  private static UploadTicket begin(EventSourcedBehaviorTestKit<Command, Event, State> kit, String fileName) {
    var result = kit.<StatusReply<UploadTicket>>runCommand(
        r -> new DocumentEntity.BeginUpload("Refund policy", fileName, "user-1", r));
    assertTrue(result.reply().isSuccess(), () -> "rejected: " + result.reply().getError());
    return result.reply().getValue();
  }

  private static StatusReply<DocumentView> complete(EventSourcedBehaviorTestKit<Command, Event, State> kit, int v) {
    return kit.<StatusReply<DocumentView>>runCommand(r -> new DocumentEntity.CompleteUpload(v, 1234, SHA, r)).reply();
  }

  private static StatusReply<DocumentView> get(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    return kit.<StatusReply<DocumentView>>runCommand(DocumentEntity.Get::new).reply();
  }

  private static DocumentView view(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    StatusReply<DocumentView> reply = get(kit);
    assertTrue(reply.isSuccess(), () -> "rejected: " + reply.getError());
    return reply.getValue();
  }

  private static VersionView version(DocumentView view, int number) {
    return view.versions().stream().filter(v -> v.version() == number).findFirst()
        .orElseThrow(() -> new AssertionError("no version " + number + " in " + view));
  }

  private static void await(EventSourcedBehaviorTestKit<Command, Event, State> kit, Consumer<DocumentView> check) {
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      check.accept(view(kit));
      return null;
    });
  }

  /** Waits until the version has no step pending (its run or compensation is over and persisted). */
  private static void awaitSettled(EventSourcedBehaviorTestKit<Command, Event, State> kit, int number) {
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      kit.runCommand(DocumentEntity.Get::new); // lets events persisted after pipeToSelf land first
      DocumentEntity.Version v = kit.getState().versions().stream().filter(x -> x.number() == number)
          .findFirst().orElseThrow();
      assertEquals(DocumentEntity.Step.NONE, v.pending());
      return null;
    });
  }

  private PersistenceTestKit persistence;

  private List<Object> journal() {
    return persistence.persistedInStorage("Document|" + ref.entityId());
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> started(KnowledgeSettings settings) {
    var kit = kit(settings);
    persistence = kit.persistenceTestKit();
    return kit;
  }

  /** Uploads a version and lets every step succeed at once: it ends READY. */
  private void publishVersion(EventSourcedBehaviorTestKit<Command, Event, State> kit, int expected) {
    pipeline.autoSucceed(INDEX, PUBLISH);
    assertEquals(expected, begin(kit, "refunds-v" + expected + ".pdf").version());
    assertTrue(complete(kit, expected).isSuccess());
    await(kit, v -> assertEquals(expected, v.publishedVersion()));
    pipeline.manual(INDEX, PUBLISH);
  }

  @Test
  void uploadIsIndexedAndPublishedWithProgressVisibleMeanwhile() {
    var kit = started(settings());
    UploadTicket ticket = begin(kit, "refunds.pdf");
    assertEquals(1, ticket.version());
    assertEquals("acme/manuals/" + ref.documentId() + "/v1/original", ticket.objectKey());
    assertEquals(VersionState.UPLOADING, view(kit).state());

    StatusReply<DocumentView> completed = complete(kit, 1);
    assertTrue(completed.isSuccess());
    assertEquals(VersionState.PROCESSING, completed.getValue().state());

    ScriptedDocumentPipeline.Call index = pipeline.next(INDEX, 1, WAIT);
    assertEquals(ticket.objectKey(), index.objectKey);
    index.progress(3, 10);
    await(kit, v -> assertEquals(Optional.of(new JobProgress(1, 3, 10)), v.progress()));

    index.indexed("application/pdf", 10);
    pipeline.next(PUBLISH, 1, WAIT).succeed();
    await(kit, v -> assertEquals(VersionState.READY, v.state()));
    DocumentView view = view(kit);
    assertEquals(1, view.publishedVersion());
    assertEquals("Refund policy", view.name());
    assertEquals(Optional.empty(), view.progress());
    VersionView v1 = version(view, 1);
    assertEquals(10, v1.chunks());
    assertEquals("application/pdf", v1.contentType());
    assertEquals(1234, v1.size());
    assertEquals(SHA, v1.sha256());
    assertEquals("user-1", v1.uploadedBy());
    assertEquals(clock.instant(), v1.createdAt());

    // Retrying the completion answers the same way; nothing runs again.
    assertTrue(complete(kit, 1).isSuccess());
    assertEquals(1, pipeline.calls(INDEX).size());
  }

  @Test
  void eachVersionKeepsItsOwnMetadataThroughARestartAndHandsItToIndexing() {
    var kit = started(settings());
    pipeline.autoSucceed(INDEX, PUBLISH);
    var first = kit.<StatusReply<UploadTicket>>runCommand(r -> new DocumentEntity.BeginUpload("Refund policy",
        "refunds.pdf", "user-1", Map.of("region", "eu", "lang", "zh-cn"), r));
    assertTrue(first.reply().isSuccess());
    assertTrue(complete(kit, 1).isSuccess());
    await(kit, v -> assertEquals(1, v.publishedVersion()));
    var second = kit.<StatusReply<UploadTicket>>runCommand(r -> new DocumentEntity.BeginUpload("Refund policy",
        "refunds.pdf", "user-1", Map.of("region", "us"), r));
    assertTrue(second.reply().isSuccess());
    assertTrue(complete(kit, 2).isSuccess());
    await(kit, v -> assertEquals(2, v.publishedVersion()));

    kit.restart(); // recovers from a snapshot and the events after it: metadata survives serialization
    DocumentView view = view(kit);
    assertEquals(Map.of("region", "eu", "lang", "zh-cn"), version(view, 1).metadata());
    assertEquals(List.of("lang", "region"), List.copyOf(version(view, 1).metadata().keySet()), "sorted by key");
    assertEquals(Map.of("region", "us"), version(view, 2).metadata());
    assertEquals(Map.of("region", "eu", "lang", "zh-cn"), pipeline.jobs.get(0).metadata());
    assertEquals(Map.of("region", "us"), pipeline.jobs.get(1).metadata());
  }

  @Test
  void metadataOutsideTheLimitsIsRefusedAndNothingIsNumbered() {
    var kit = started(settings());
    var badKey = kit.<StatusReply<UploadTicket>>runCommand(r -> new DocumentEntity.BeginUpload("Refund policy",
        "refunds.pdf", "user-1", Map.of("Region", "eu"), r));
    assertTrue(badKey.reply().isError());
    assertEquals(Optional.of(DocumentRejection.INVALID), DocumentRejection.of(badKey.reply().getError()));
    var longValue = kit.<StatusReply<UploadTicket>>runCommand(r -> new DocumentEntity.BeginUpload("Refund policy",
        "refunds.pdf", "user-1", Map.of("note", "x".repeat(257)), r));
    assertTrue(longValue.reply().isError());
    assertTrue(journal().isEmpty());
  }

  @Test
  void anUploadStartedWrittenBeforeMetadataExistedReadsWithEmptyMetadata() throws Exception {
    var cbor = org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider.get(testKit.system())
        .getOrCreate("jackson-cbor", Optional.empty());
    var old = cbor.createObjectNode().put("version", 1).put("name", "Guide").put("fileName", "guide.pdf")
        .put("objectKey", "acme/manuals/doc/v1/original").put("uploadedBy", "u1").put("at", "2026-01-01T00:00:00Z");
    var event = cbor.readValue(cbor.writeValueAsBytes(old), DocumentEntity.UploadStarted.class);
    assertEquals("guide.pdf", event.fileName());
    assertEquals(Map.of(), event.metadata());
    var version = cbor.createObjectNode().put("number", 1).put("fileName", "guide.pdf")
        .put("state", "READY").put("pending", "NONE").put("run", "UPLOAD");
    assertEquals(Map.of(), cbor.readValue(cbor.writeValueAsBytes(version), DocumentEntity.Version.class).metadata());
  }

  @Test
  void parserFailureFailsTheVersionAndPurgesIt() {
    var kit = started(settings());
    pipeline.autoSucceed(PURGE_VERSION);
    String key = begin(kit, "broken.pdf").objectKey();
    complete(kit, 1);
    pipeline.next(INDEX, 1, WAIT).fail("unsupported or corrupt file: not a PDF");
    awaitSettled(kit, 1);

    VersionView v1 = version(view(kit), 1);
    assertEquals(VersionState.FAILED, v1.state());
    assertEquals("indexing failed: unsupported or corrupt file: not a PDF", v1.failure());
    assertEquals(VersionState.FAILED, view(kit).state());
    assertEquals(1, pipeline.calls(PURGE_VERSION).size());
    assertEquals(key, pipeline.calls(PURGE_VERSION).get(0).objectKey);
    assertTrue(pipeline.calls(PUBLISH).isEmpty());
    assertTrue(pipeline.calls(UNPUBLISH).isEmpty());
    assertTrue(journal().stream()
        .anyMatch(e -> e instanceof DocumentEntity.CompensationCompleted c && c.version() == 1));
  }

  @Test
  void publishFailureRepublishesThePreviousVersion() {
    var kit = started(settings());
    publishVersion(kit, 1);
    pipeline.autoSucceed(INDEX, PURGE_VERSION);
    begin(kit, "refunds-v2.pdf");
    complete(kit, 2);
    pipeline.next(PUBLISH, 2, WAIT).fail("search index unavailable");
    pipeline.next(PUBLISH, 1, WAIT).succeed(); // the compensation makes version 1 retrievable again
    awaitSettled(kit, 2);

    DocumentView view = view(kit);
    assertEquals(VersionState.READY, view.state(), "the document stays usable through version 1");
    assertEquals(1, view.publishedVersion());
    assertEquals(VersionState.READY, version(view, 1).state());
    assertEquals(VersionState.FAILED, version(view, 2).state());
    assertEquals("publishing failed: search index unavailable", version(view, 2).failure());
    assertEquals(List.of(2), pipeline.calls(PURGE_VERSION).stream().map(c -> c.version).toList());
  }

  @Test
  void firstVersionWhosePublishFailedIsUnpublished() {
    var kit = started(settings());
    pipeline.autoSucceed(INDEX, PURGE_VERSION, UNPUBLISH);
    begin(kit, "refunds.pdf");
    complete(kit, 1);
    pipeline.next(PUBLISH, 1, WAIT).fail("search index unavailable");
    awaitSettled(kit, 1);
    assertEquals(1, pipeline.calls(UNPUBLISH).size());
    assertEquals(0, view(kit).publishedVersion());
  }

  @Test
  void aFailingCompensationIsRetriedAndResumedAfterACrash() {
    var kit = started(settings());
    begin(kit, "broken.pdf");
    complete(kit, 1);
    pipeline.next(INDEX, 1, WAIT).fail("corrupt file");
    pipeline.next(PURGE_VERSION, 1, WAIT).fail("object store unavailable");
    pipeline.next(PURGE_VERSION, 1, WAIT); // retried after the backoff; left hanging by the crash
    kit.restart();
    pipeline.next(PURGE_VERSION, 1, WAIT).succeed(); // resumed by the next incarnation
    awaitSettled(kit, 1);
    assertTrue(version(view(kit), 1).chunksPurged());
    assertEquals(3, pipeline.calls(PURGE_VERSION).size());
  }

  @Test
  void indexingInterruptedByACrashRunsAgainOnceAfterRecovery() {
    var kit = started(settings());
    begin(kit, "refunds.pdf");
    complete(kit, 1);
    ScriptedDocumentPipeline.Call first = pipeline.next(INDEX, 1, WAIT);
    first.progress(5, 20);

    kit.restart();
    assertTrue(first.cancelled(), "the stopped incarnation's job is cancelled");
    ScriptedDocumentPipeline.Call again = pipeline.next(INDEX, 1, WAIT);
    assertEquals(VersionState.PROCESSING, view(kit).state());
    again.indexed("text/markdown", 20);
    pipeline.next(PUBLISH, 1, WAIT).succeed();
    await(kit, v -> assertEquals(VersionState.READY, v.state()));
    assertEquals(2, pipeline.calls(INDEX).size());
    assertEquals(20, version(view(kit), 1).chunks());
  }

  @Test
  void publishInterruptedByACrashIsResumedWithoutIndexingAgain() {
    var kit = started(settings());
    begin(kit, "refunds.pdf");
    complete(kit, 1);
    pipeline.next(INDEX, 1, WAIT).indexed("application/pdf", 4);
    pipeline.next(PUBLISH, 1, WAIT); // never answered
    kit.restart();
    pipeline.next(PUBLISH, 1, WAIT).succeed();
    await(kit, v -> assertEquals(VersionState.READY, v.state()));
    assertEquals(1, pipeline.calls(INDEX).size());
  }

  @Test
  void aNewVersionSupersedesThePublishedOneWhoseChunksArePurgedAfterTheRetention() {
    var kit = started(settings().withSupersededRetention(Duration.ofMillis(300)));
    publishVersion(kit, 1);
    publishVersion(kit, 2);
    DocumentView view = view(kit);
    assertEquals(2, view.publishedVersion());
    assertEquals(VersionState.READY, version(view, 2).state());
    assertEquals(VersionState.SUPERSEDED, version(view, 1).state());
    assertEquals(clock.instant(), version(view, 1).supersededAt());
    assertFalse(version(view, 1).chunksPurged());

    pipeline.next(PURGE_CHUNKS, 1, WAIT).succeed();
    await(kit, v -> assertTrue(version(v, 1).chunksPurged()));
    assertEquals(VersionState.SUPERSEDED, version(view(kit), 1).state());
  }

  @Test
  void supersededChunksPastTheirRetentionArePurgedOnRecovery() {
    var kit = started(settings()); // 7 days
    publishVersion(kit, 1);
    publishVersion(kit, 2);
    clock.advance(Duration.ofDays(8));
    kit.restart();
    pipeline.next(PURGE_CHUNKS, 1, WAIT).succeed();
    await(kit, v -> assertTrue(version(v, 1).chunksPurged()));
  }

  @Test
  void restoringASupersededVersionWithItsChunksPublishesItAgain() {
    var kit = started(settings());
    publishVersion(kit, 1);
    publishVersion(kit, 2);
    var restored = kit.<StatusReply<DocumentView>>runCommand(r -> new DocumentEntity.RestoreVersion(1, r)).reply();
    assertTrue(restored.isSuccess());
    assertEquals(VersionState.PROCESSING, version(restored.getValue(), 1).state());
    pipeline.next(PUBLISH, 1, WAIT).succeed();
    await(kit, v -> assertEquals(1, v.publishedVersion()));
    DocumentView view = view(kit);
    assertEquals(VersionState.READY, version(view, 1).state());
    assertNull(version(view, 1).supersededAt());
    assertEquals(VersionState.SUPERSEDED, version(view, 2).state());
    assertEquals(VersionState.READY, view.state(), "the latest version is superseded but the document is ready");
    assertEquals(2, pipeline.calls(INDEX).size(), "no re-indexing");
  }

  @Test
  void aRestoredVersionSupersededAgainKeepsItsChunksForAWholeNewRetention() {
    var kit = started(settings().withSupersededRetention(Duration.ofMillis(400)));
    publishVersion(kit, 1);
    publishVersion(kit, 2); // v1's retention starts
    var restored = kit.<StatusReply<DocumentView>>runCommand(r -> new DocumentEntity.RestoreVersion(1, r)).reply();
    assertTrue(restored.isSuccess());
    pipeline.next(PUBLISH, 1, WAIT).succeed();
    await(kit, v -> assertEquals(1, v.publishedVersion()));
    var again = kit.<StatusReply<DocumentView>>runCommand(r -> new DocumentEntity.RestoreVersion(2, r)).reply();
    assertTrue(again.isSuccess());
    ScriptedDocumentPipeline.Call republish = pipeline.next(PUBLISH, 2, WAIT);
    long supersededAgain = System.nanoTime();
    republish.succeed();
    await(kit, v -> assertEquals(2, v.publishedVersion()));
    // v1 is superseded again: its purge comes a whole retention after this, from a new timer (the first
    // supersede's timer, which would fire earlier, was cancelled by the restore), exactly once.
    ScriptedDocumentPipeline.Call purge = pipeline.next(PURGE_CHUNKS, 1, WAIT);
    long waited = (System.nanoTime() - supersededAgain) / 1_000_000;
    assertTrue(waited >= 380, "purged " + waited + " ms after the second supersede, before its retention");
    purge.succeed();
    await(kit, v -> assertTrue(version(v, 1).chunksPurged()));
    assertEquals(1, pipeline.calls(PURGE_CHUNKS).stream().filter(c -> c.version == 1).count());
  }

  @Test
  void restoringAVersionWhoseChunksWerePurgedIndexesItsOriginalAgain() {
    var kit = started(settings().withSupersededRetention(Duration.ofMillis(100)));
    pipeline.autoSucceed(PURGE_CHUNKS);
    publishVersion(kit, 1);
    publishVersion(kit, 2);
    await(kit, v -> assertTrue(version(v, 1).chunksPurged()));
    pipeline.manual(PURGE_CHUNKS);

    assertTrue(kit.<StatusReply<DocumentView>>runCommand(r -> new DocumentEntity.RestoreVersion(1, r)).reply()
        .isSuccess());
    ScriptedDocumentPipeline.Call index = pipeline.next(INDEX, 1, WAIT);
    assertEquals(DocumentEntity.objectKey(ref, 1), index.objectKey);
    index.indexed("application/pdf", 7);
    pipeline.next(PUBLISH, 1, WAIT).succeed();
    await(kit, v -> assertEquals(1, v.publishedVersion()));
    DocumentView view = view(kit);
    assertEquals(VersionState.READY, version(view, 1).state());
    assertFalse(version(view, 1).chunksPurged());
    assertEquals(VersionState.SUPERSEDED, version(view, 2).state());
  }

  @Test
  void aFailedRestoreLeavesTheVersionSupersededAndTheCurrentOnePublished() {
    var kit = started(settings().withSupersededRetention(Duration.ofMillis(100)));
    pipeline.autoSucceed(PURGE_CHUNKS);
    publishVersion(kit, 1);
    publishVersion(kit, 2);
    await(kit, v -> assertTrue(version(v, 1).chunksPurged()));

    kit.<StatusReply<DocumentView>>runCommand(r -> new DocumentEntity.RestoreVersion(1, r));
    pipeline.next(INDEX, 1, WAIT).fail("original is corrupt");
    awaitSettled(kit, 1);
    DocumentView view = view(kit);
    assertEquals(2, view.publishedVersion());
    assertEquals(VersionState.SUPERSEDED, version(view, 1).state());
    assertEquals("indexing failed: original is corrupt", version(view, 1).failure());
    assertTrue(version(view, 1).chunksPurged());
    assertEquals(2, pipeline.calls(PURGE_CHUNKS).stream().filter(c -> c.version == 1).count(),
        "the retention's purge, then the failed restore's partial chunks");
    assertTrue(pipeline.calls(PURGE_VERSION).isEmpty(), "a restore never deletes the original");
  }

  @Test
  void settingsAreReadFromReferenceConf() {
    KnowledgeSettings defaults =
        KnowledgeSettings.fromConfig(ConfigFactory.load().getConfig("voicehelper.knowledge.documents"));
    assertEquals(new KnowledgeSettings(Duration.ofDays(7), Duration.ofMinutes(30), Duration.ofSeconds(1),
        Duration.ofMinutes(1), 100, Duration.ofMinutes(2)), defaults);
    assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofMinutes(1)),
        List.of(defaults.backoff(1), defaults.backoff(2), defaults.backoff(3), defaults.backoff(20)));
  }

  @Test
  void onlySupersededVersionsCanBeRestored() {
    var kit = started(settings());
    publishVersion(kit, 1);
    var ready = kit.<StatusReply<DocumentView>>runCommand(r -> new DocumentEntity.RestoreVersion(1, r)).reply();
    assertEquals(Optional.of(DocumentRejection.NOT_RESTORABLE), DocumentRejection.of(ready.getError()));
    var missing = kit.<StatusReply<DocumentView>>runCommand(r -> new DocumentEntity.RestoreVersion(9, r)).reply();
    assertEquals(Optional.of(DocumentRejection.VERSION_NOT_FOUND), DocumentRejection.of(missing.getError()));
  }

  @Test
  void reindexIndexesAndPublishesThePublishedVersionAgain() {
    var kit = started(settings());
    publishVersion(kit, 1);
    var started = kit.<StatusReply<DocumentView>>runCommand(DocumentEntity.Reindex::new).reply();
    assertTrue(started.isSuccess());
    var busy = kit.<StatusReply<DocumentView>>runCommand(DocumentEntity.Reindex::new).reply();
    assertEquals(Optional.of(DocumentRejection.BUSY), DocumentRejection.of(busy.getError()));

    pipeline.next(INDEX, 1, WAIT).indexed("application/pdf", 12);
    pipeline.next(PUBLISH, 1, WAIT).succeed();
    awaitSettled(kit, 1);
    DocumentView view = view(kit);
    assertEquals(1, view.publishedVersion());
    assertEquals(1, view.versions().size(), "same version number");
    assertEquals(12, version(view, 1).chunks());
    assertEquals(VersionState.READY, version(view, 1).state());
  }

  @Test
  void aNewerUploadCancelsAnOlderRunThatIsStillProcessing() {
    var kit = started(settings());
    pipeline.autoSucceed(PURGE_VERSION);
    begin(kit, "draft.pdf");
    begin(kit, "final.pdf");
    complete(kit, 1);
    ScriptedDocumentPipeline.Call older = pipeline.next(INDEX, 1, WAIT);

    complete(kit, 2);
    ScriptedDocumentPipeline.Call newer = pipeline.next(INDEX, 2, WAIT);
    assertTrue(older.cancelled());
    newer.indexed("application/pdf", 3);
    pipeline.next(PUBLISH, 2, WAIT).succeed();
    await(kit, v -> assertEquals(2, v.publishedVersion()));
    awaitSettled(kit, 1);

    DocumentView view = view(kit);
    assertEquals(VersionState.FAILED, version(view, 1).state());
    assertEquals("superseded by version 2 before it was ready", version(view, 1).failure());
    assertEquals(VersionState.READY, version(view, 2).state());
    assertEquals(List.of(1), pipeline.calls(PURGE_VERSION).stream().map(c -> c.version).toList());
    assertTrue(pipeline.calls(PUBLISH).stream().noneMatch(c -> c.version == 1));
  }

  @Test
  void anOlderUploadCompletedAfterANewerOneIsFailedInsteadOfReplacingIt() {
    var kit = started(settings());
    pipeline.autoSucceed(PURGE_VERSION);
    begin(kit, "draft.pdf");
    publishVersion(kit, 2);
    var late = complete(kit, 1);
    assertEquals(Optional.of(DocumentRejection.SUPERSEDED), DocumentRejection.of(late.getError()));
    awaitSettled(kit, 1);
    assertEquals(VersionState.FAILED, version(view(kit), 1).state());
    assertEquals(2, view(kit).publishedVersion());
  }

  @Test
  void failedUploadIsFailedAndItsOriginalRemoved() {
    var kit = started(settings());
    pipeline.autoSucceed(PURGE_VERSION);
    begin(kit, "huge.pdf");
    var failed = kit.<StatusReply<DocumentView>>runCommand(
        r -> new DocumentEntity.FailUpload(1, "file larger than 50 MB", r)).reply();
    assertTrue(failed.isSuccess());
    awaitSettled(kit, 1);
    assertEquals("upload failed: file larger than 50 MB", version(view(kit), 1).failure());
    assertEquals(1, pipeline.calls(PURGE_VERSION).size());
    var tooLate = complete(kit, 1);
    assertEquals(Optional.of(DocumentRejection.UPLOAD_NOT_OPEN), DocumentRejection.of(tooLate.getError()));
  }

  @Test
  void deleteCancelsAndPurgesAndAReuploadContinuesTheNumbering() {
    var kit = started(settings());
    publishVersion(kit, 1);
    begin(kit, "refunds-v2.pdf");
    complete(kit, 2);
    ScriptedDocumentPipeline.Call running = pipeline.next(INDEX, 2, WAIT);

    var deleted = kit.<StatusReply<Done>>runCommand(DocumentEntity.Delete::new).reply();
    assertTrue(deleted.isSuccess());
    assertTrue(running.cancelled());
    assertEquals(Optional.of(DocumentRejection.NOT_FOUND), DocumentRejection.of(get(kit).getError()));
    ScriptedDocumentPipeline.Call purge = pipeline.next(PURGE_DOCUMENT, 0, WAIT);
    var early = kit.<StatusReply<UploadTicket>>runCommand(
        r -> new DocumentEntity.BeginUpload("Refund policy", "again.pdf", "user-1", r)).reply();
    assertEquals(Optional.of(DocumentRejection.DELETING), DocumentRejection.of(early.getError()));

    purge.succeed();
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      kit.runCommand(DocumentEntity.Get::new);
      assertFalse(kit.getState().purgePending());
      return null;
    });
    UploadTicket revived = begin(kit, "again.pdf");
    assertEquals(3, revived.version());
    DocumentView view = view(kit);
    assertEquals(List.of(3), view.versions().stream().map(VersionView::version).toList());
    assertEquals(0, view.publishedVersion());
    assertTrue(pipeline.calls(PURGE_VERSION).isEmpty(), "the delete purges everything at once");
  }

  @Test
  void aFailedPurgeOfADeletedDocumentIsRetried() {
    var kit = started(settings());
    publishVersion(kit, 1);
    kit.<StatusReply<Done>>runCommand(DocumentEntity.Delete::new);
    pipeline.next(PURGE_DOCUMENT, 0, WAIT).fail("object store unavailable");
    pipeline.next(PURGE_DOCUMENT, 0, WAIT); // the retry, cut off by a crash
    kit.restart();
    pipeline.next(PURGE_DOCUMENT, 0, WAIT).succeed();
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      kit.runCommand(DocumentEntity.Get::new);
      assertFalse(kit.getState().purgePending());
      return null;
    });
  }

  @Test
  void anUploadThatNeverCompletesTimesOut() {
    var kit = started(settings().withUploadTimeout(Duration.ofMillis(200)));
    pipeline.autoSucceed(PURGE_VERSION);
    begin(kit, "slow.pdf");
    await(kit, v -> assertEquals(VersionState.FAILED, version(v, 1).state()));
    assertTrue(version(view(kit), 1).failure().startsWith("upload timed out"));
    awaitSettled(kit, 1);
    assertEquals(1, pipeline.calls(PURGE_VERSION).size());
  }

  @Test
  void anUploadWhoseTimeoutPassedWhileDownFailsOnRecovery() {
    var kit = started(settings()); // 30 minutes
    pipeline.autoSucceed(PURGE_VERSION);
    begin(kit, "slow.pdf");
    clock.advance(Duration.ofMinutes(31));
    kit.restart();
    await(kit, v -> assertEquals(VersionState.FAILED, version(v, 1).state()));
  }

  @Test
  void unknownDocumentsAndInvalidCommandsAreRejected() {
    var kit = started(settings());
    assertEquals(Optional.of(DocumentRejection.NOT_FOUND), DocumentRejection.of(get(kit).getError()));
    assertEquals(Optional.of(DocumentRejection.NOT_FOUND), DocumentRejection.of(complete(kit, 1).getError()));
    var blank = kit.<StatusReply<UploadTicket>>runCommand(r -> new DocumentEntity.BeginUpload(" ", "a.pdf", "u", r));
    assertEquals(Optional.of(DocumentRejection.INVALID), DocumentRejection.of(blank.reply().getError()));
    begin(kit, "a.pdf");
    var badSha = kit.<StatusReply<DocumentView>>runCommand(r -> new DocumentEntity.CompleteUpload(1, 5, "xyz", r));
    assertEquals(Optional.of(DocumentRejection.INVALID), DocumentRejection.of(badSha.reply().getError()));
    assertEquals(Optional.of(DocumentRejection.VERSION_NOT_FOUND), DocumentRejection.of(complete(kit, 2).getError()));
    var reindex = kit.<StatusReply<DocumentView>>runCommand(DocumentEntity.Reindex::new).reply();
    assertEquals(Optional.of(DocumentRejection.NOTHING_PUBLISHED), DocumentRejection.of(reindex.getError()));
    assertNotNull(DocumentRejection.detail(reindex.getError()));
  }

  @Test
  void stateSurvivesARestart() {
    var kit = started(settings());
    publishVersion(kit, 1);
    publishVersion(kit, 2);
    DocumentView before = view(kit);
    kit.restart();
    assertEquals(before, view(kit));
  }

  @Test
  void eventsAreTaggedByAStableHashOfTheEntityId() {
    String tag = DocumentEntity.tagFor(ref.entityId());
    assertTrue(DocumentEntity.TAGS.contains(tag));
    // Pinned: a change of the tagging would re-partition the read side (docs/adr/0002-event-tags.md).
    assertEquals("document-0", DocumentEntity.tagFor("t1|c1|d1"));
    assertEquals("document-1", DocumentEntity.tagFor("t2|c1|d1"));
  }
}
