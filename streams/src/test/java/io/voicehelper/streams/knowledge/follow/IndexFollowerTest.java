package io.voicehelper.streams.knowledge.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.ChunkStore;
import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentPipeline;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.KnowledgeSettings;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.streams.knowledge.IndexingSettings;
import io.voicehelper.streams.knowledge.StreamsDocumentPipeline;
import io.voicehelper.streams.knowledge.index.DocumentLanes;
import io.voicehelper.streams.knowledge.jdbc.JdbcChunkStore;
import io.voicehelper.streams.knowledge.lucene.LuceneKnowledgeIndex;
import io.voicehelper.streams.knowledge.storage.FileSystemObjectStore;
import io.voicehelper.streams.knowledge.storage.ObjectStoreSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes' Lucene indexes over one journal and one chunk table (H2 with the node's migrations): the real
 * {@link DocumentEntity} runs its saga with node A's pipeline, so only A's index is written by it, and node B's index
 * converges through its follower alone: a first version, a newer one, a restore, a restart that resumes from the
 * offsets in B's index, a delete, and a wiped index that is rebuilt and followed from the journal's head.
 */
class IndexFollowerTest {

  private static final String DB = "jdbc:h2:mem:follower-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
  private static final Duration CONVERGED = Duration.ofSeconds(20);
  private static final DocumentRef GUIDE = new DocumentRef("acme", "manuals", "guide");
  private static final DocumentRef FAQ = new DocumentRef("acme", "manuals", "faq");
  private static final DocumentRef MANUAL = new DocumentRef("acme", "manuals", "router");
  private static final SearchFilter ACME = SearchFilter.tenant("acme");

  private static ActorTestKit testKit;
  private static JdbcDataSource h2;
  private static final ExecutorService blocking = Executors.newFixedThreadPool(4);
  private static JdbcChunkStore chunks;
  private static JournalHead head;

  @TempDir static Path dirs;

  @BeforeAll
  static void start() {
    h2 = new JdbcDataSource();
    h2.setURL(DB);
    Flyway.configure().dataSource(h2).locations("filesystem:../cluster/src/main/resources/db/migration/h2").load()
        .migrate();
    testKit = ActorTestKit.create("follower", ConfigFactory.parseString(String.join("\n",
        "pekko.persistence.journal.plugin = jdbc-journal",
        "pekko.persistence.snapshot-store.plugin = jdbc-snapshot-store",
        "pekko-persistence-jdbc.shared-databases.default {",
        "  profile = \"slick.jdbc.H2Profile$\"",
        "  db { url = \"" + DB + "\", driver = \"org.h2.Driver\", user = \"\", password = \"\",",
        "    numThreads = 4, maxConnections = 4, minConnections = 1, connectionTimeout = 5s }",
        "}",
        "jdbc-journal.use-shared-db = default",
        "jdbc-snapshot-store.use-shared-db = default",
        "jdbc-read-journal { use-shared-db = default, refresh-interval = 100ms,",
        "  journal-sequence-retrieval.query-delay = 100ms }",
        "voicehelper.knowledge.index-follower.offset-commit-interval = 100ms"))
        .withFallback(ConfigFactory.load()));
    chunks = new JdbcChunkStore(h2, blocking);
    head = new JournalHead(h2, blocking);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    blocking.shutdown();
  }

  /** One node: its own index, lanes and follower. */
  private static final class Node {
    final Path dir;
    final DocumentLanes lanes = new DocumentLanes();
    LuceneKnowledgeIndex index;
    IndexFollower follower;

    Node(Path dir) throws IOException {
      this.dir = dir;
      open();
    }

    void open() throws IOException {
      index = new LuceneKnowledgeIndex(dir, 4, "test-model", blocking);
    }

    IndexFollower follow() {
      IndexFollowerSettings settings = IndexFollowerSettings.fromConfig(
          testKit.system().settings().config().getConfig(IndexFollowerSettings.CONFIG_PATH));
      follower = IndexFollower.start(testKit.system(), index, chunks, head,
          new IndexSync(index, chunks, lanes, 2, materializer()), settings);
      return follower;
    }

    void shutDown() throws Exception {
      await(follower.stop());
      index.close();
    }

    /** The versions of the document in this node's index, with their chunk ids. */
    Map<Integer, Set<String>> holds(DocumentRef document) throws Exception {
      return await(index.chunkIdsByVersion(document));
    }

    List<String> found(String word) throws Exception {
      return await(index.searchKeyword(ACME, word, 10)).stream().map(SearchHit::chunk).map(Chunk::text).toList();
    }
  }

  /** The texts each version of each document is cut into: the chunks a real indexing run would store. */
  private static List<String> texts(DocumentRef document, int version) {
    String word = switch (version) {
      case 1 -> "alpha";
      case 2 -> "beta";
      case 3 -> "gamma";
      default -> "delta";
    };
    return IntStream.range(0, 3).mapToObj(i -> word + " " + document.documentId() + " part " + i).toList();
  }

  private static Set<String> ids(DocumentRef document, int version) {
    List<String> texts = texts(document, version);
    return IntStream.range(0, texts.size()).mapToObj(i -> Chunk.idFor(document, version, i, texts.get(i)))
        .collect(Collectors.toSet());
  }

  /**
   * Node A's pipeline: indexing stores the scripted chunks in the chunk table; publishing, unpublishing and purging
   * are the real pipeline's, on A's index and lanes.
   */
  private static DocumentPipeline pipelineOf(Node node, Path objectsDir) {
    FileSystemObjectStore objects = new FileSystemObjectStore(objectsDir, testKit.system(),
        ObjectStoreSettings.CONFIG_PATH + ".blocking-dispatcher");
    StreamsDocumentPipeline real = new StreamsDocumentPipeline(objects, null, null, null, chunks, node.index,
        IndexingSettings.fromSystem(testKit.system()), materializer(), blocking, node.lanes);
    return new DocumentPipeline() {
      @Override
      public Run index(Job job, Progress progress) {
        List<String> texts = texts(job.document(), job.version());
        List<EmbeddedChunk> embedded = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
          Chunk chunk = new Chunk(Chunk.idFor(job.document(), job.version(), i, texts.get(i)), job.document(),
              job.version(), i, List.of(), texts.get(i), 4);
          embedded.add(new EmbeddedChunk(chunk, new float[] {1, job.version(), i + 1, 0}));
        }
        CompletionStage<Indexed> result = chunks.deleteVersion(job.document(), job.version())
            .thenCompose(cleared -> chunks.save(embedded))
            .thenApply(saved -> new Indexed("text/plain", embedded.size(), 100));
        return new Run() {
          @Override
          public CompletionStage<Indexed> result() {
            return result;
          }

          @Override
          public void cancel() {}
        };
      }

      @Override
      public CompletionStage<Void> publish(DocumentRef document, int version) {
        return real.publish(document, version);
      }

      @Override
      public CompletionStage<Void> unpublish(DocumentRef document) {
        return real.unpublish(document);
      }

      @Override
      public CompletionStage<Void> purgeChunks(DocumentRef document, int version) {
        return real.purgeChunks(document, version);
      }

      @Override
      public CompletionStage<Void> purgeVersion(DocumentRef document, int version, String objectKey) {
        return real.purgeVersion(document, version, objectKey);
      }

      @Override
      public CompletionStage<Void> purgeDocument(DocumentRef document) {
        return real.purgeDocument(document);
      }
    };
  }

  private static final KnowledgeSettings SETTINGS = new KnowledgeSettings(Duration.ofDays(7), Duration.ofHours(1),
      Duration.ofMillis(100), Duration.ofSeconds(1), 100, Duration.ofHours(1));

  /** A document's entity, run by node A. */
  private static ActorRef<DocumentEntity.Command> entity(DocumentRef document, DocumentPipeline pipeline) {
    return testKit.spawn(DocumentEntity.create(document.entityId(), pipeline, SETTINGS, Clock.systemUTC()));
  }

  private static <T> T ask(ActorRef<DocumentEntity.Command> entity,
      java.util.function.Function<ActorRef<StatusReply<T>>, DocumentEntity.Command> command) {
    TestProbe<StatusReply<T>> probe = testKit.createTestProbe();
    entity.tell(command.apply(probe.getRef()));
    StatusReply<T> reply = probe.receiveMessage(Duration.ofSeconds(10));
    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    return reply.getValue();
  }

  /** Uploads a new version through the saga and waits until the entity says it is published. */
  private static void uploadAndPublish(ActorRef<DocumentEntity.Command> entity, int expectedVersion) {
    DocumentEntity.UploadTicket ticket = ask(entity,
        replyTo -> new DocumentEntity.BeginUpload("Guide", "guide.txt", "user-1", replyTo));
    assertEquals(expectedVersion, ticket.version());
    DocumentEntity.DocumentView processing = ask(entity,
        replyTo -> new DocumentEntity.CompleteUpload(ticket.version(), 100, "ab".repeat(32), replyTo));
    assertEquals(expectedVersion, processing.versions().get(processing.versions().size() - 1).version());
    awaitPublished(entity, expectedVersion);
  }

  private static void awaitPublished(ActorRef<DocumentEntity.Command> entity, int version) {
    testKit.createTestProbe().awaitAssert(CONVERGED, Duration.ofMillis(100), () -> {
      DocumentEntity.DocumentView view = ask(entity, DocumentEntity.Get::new);
      assertEquals(version, view.publishedVersion());
      assertTrue(view.versions().stream().allMatch(v -> v.state() != DocumentEntity.VersionState.PROCESSING));
      return null;
    });
  }

  private static void awaitHolds(Node node, DocumentRef document, Map<Integer, Set<String>> expected) {
    testKit.createTestProbe().awaitAssert(CONVERGED, Duration.ofMillis(100), () -> {
      assertEquals(expected, node.holds(document));
      return null;
    });
  }

  @Test
  void anotherNodesIndexFollowsEveryPublishedChangeAcrossARestartAndAWipe() throws Exception {
    Node a = new Node(Files.createDirectory(dirs.resolve("a")));
    Node b = new Node(Files.createDirectory(dirs.resolve("b")));
    DocumentPipeline pipeline = pipelineOf(a, Files.createDirectory(dirs.resolve("objects")));
    await(a.follow().started());
    await(b.follow().started());
    ActorRef<DocumentEntity.Command> guide = entity(GUIDE, pipeline);

    uploadAndPublish(guide, 1);
    awaitHolds(b, GUIDE, Map.of(1, ids(GUIDE, 1)));
    assertEquals(3, b.found("alpha").size());
    IndexSync syncOfA = new IndexSync(a.index, chunks, a.lanes, 2, materializer());
    assertEquals(IndexSync.Outcome.IN_SYNC, await(syncOfA.sync(GUIDE)),
        "the node that ran the saga already holds exactly the published version: its follower writes nothing");

    uploadAndPublish(guide, 2);
    awaitHolds(b, GUIDE, Map.of(2, ids(GUIDE, 2)));
    assertEquals(List.of(), b.found("alpha"), "the superseded version is not retrievable");

    DocumentEntity.DocumentView restoring = ask(guide, replyTo -> new DocumentEntity.RestoreVersion(1, replyTo));
    assertEquals(2, restoring.publishedVersion());
    awaitPublished(guide, 1);
    awaitHolds(b, GUIDE, Map.of(1, ids(GUIDE, 1)));

    // B is down while the document changes; it resumes from the offsets committed in its index.
    b.shutDown();
    Map<String, Long> offsets = b.index.journalOffsets();
    assertEquals(Set.copyOf(DocumentEntity.TAGS), offsets.keySet());
    uploadAndPublish(guide, 3);
    b.open();
    assertFalse(b.index.needsRebuild());
    assertEquals(offsets, await(b.follow().started()), "resumed from its own offsets, without a rebuild");
    awaitHolds(b, GUIDE, Map.of(3, ids(GUIDE, 3)));

    ask(guide, DocumentEntity.Delete::new);
    awaitHolds(b, GUIDE, Map.of());
    awaitHolds(a, GUIDE, Map.of());

    // B's index is wiped while another document is published: it is rebuilt, then followed from the journal's head.
    ActorRef<DocumentEntity.Command> faq = entity(FAQ, pipeline);
    b.shutDown();
    wipe(b.dir);
    uploadAndPublish(faq, 1);
    long last = await(head.lastOrdering());
    b.open();
    assertTrue(b.index.needsRebuild());
    Map<String, Long> rebuiltFrom = await(b.follow().started());
    assertTrue(rebuiltFrom.values().stream().allMatch(offset -> offset >= last), rebuiltFrom::toString);
    assertEquals(Map.of(1, ids(FAQ, 1)), b.holds(FAQ));
    assertEquals(Map.of(), b.holds(GUIDE));
    uploadAndPublish(faq, 2);
    awaitHolds(b, FAQ, Map.of(2, ids(FAQ, 2)));

    a.shutDown();
    b.shutDown();
  }

  @Test
  void aFollowerWhoseChunkTableFailsStartsAgainAndStillConverges() throws Exception {
    Node a = new Node(Files.createDirectory(dirs.resolve("flaky-a")));
    Path cDir = Files.createDirectory(dirs.resolve("flaky-c"));
    LuceneKnowledgeIndex c = new LuceneKnowledgeIndex(cDir, 4, "test-model", blocking);
    FlakyChunkStore flaky = new FlakyChunkStore(2);
    IndexFollowerSettings quick = new IndexFollowerSettings(true, "jdbc-read-journal", Duration.ofMillis(50),
        Duration.ofMillis(200), 0, Duration.ofMillis(100), 500, 2, 1000);
    IndexFollower follower = IndexFollower.start(testKit.system(), c, flaky, head,
        new IndexSync(c, flaky, new DocumentLanes(), 2, materializer()), quick);
    await(follower.started());

    uploadAndPublish(entity(MANUAL, pipelineOf(a, Files.createDirectory(dirs.resolve("flaky-objects")))), 1);
    testKit.createTestProbe().awaitAssert(CONVERGED, Duration.ofMillis(100), () -> {
      assertEquals(Map.of(1, ids(MANUAL, 1)), await(c.chunkIdsByVersion(MANUAL)));
      return null;
    });
    assertEquals(0, flaky.failuresLeft(), "both failures happened, and the follower started again after each");

    await(follower.stop());
    c.close();
    a.index.close();
  }

  /** The node's chunk table, whose next reads of a published version fail. */
  private static final class FlakyChunkStore implements ChunkStore {
    private final java.util.concurrent.atomic.AtomicInteger failures;

    FlakyChunkStore(int failures) {
      this.failures = new java.util.concurrent.atomic.AtomicInteger(failures);
    }

    int failuresLeft() {
      return failures.get();
    }

    @Override
    public CompletionStage<PublishedVersion> publishedVersion(DocumentRef document) {
      if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("database gone"));
      }
      return chunks.publishedVersion(document);
    }

    @Override
    public CompletionStage<Void> save(List<EmbeddedChunk> batch) {
      return chunks.save(batch);
    }

    @Override
    public Source<EmbeddedChunk, NotUsed> version(DocumentRef document, int version) {
      return chunks.version(document, version);
    }

    @Override
    public CompletionStage<Integer> count(DocumentRef document, int version) {
      return chunks.count(document, version);
    }

    @Override
    public CompletionStage<Void> publish(DocumentRef document, int version) {
      return chunks.publish(document, version);
    }

    @Override
    public Source<EmbeddedChunk, NotUsed> published() {
      return chunks.published();
    }

    @Override
    public CompletionStage<Void> deleteVersion(DocumentRef document, int version) {
      return chunks.deleteVersion(document, version);
    }

    @Override
    public CompletionStage<Void> deleteDocument(DocumentRef document) {
      return chunks.deleteDocument(document);
    }
  }

  @Test
  void everyEventTypeSaysWhatItMeansForTheIndex() {
    assertEquals(Set.of(DocumentEntity.Event.class.getPermittedSubclasses()), IndexFollower.CHANGES.keySet());
  }

  private static void wipe(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        if (!file.equals(dir)) Files.delete(file);
      }
    }
  }

  private static Materializer materializer() {
    return Materializer.matFromSystem(testKit.system());
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
