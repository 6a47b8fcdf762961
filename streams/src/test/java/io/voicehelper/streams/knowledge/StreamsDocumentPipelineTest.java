package io.voicehelper.streams.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentPipeline;
import io.voicehelper.entities.knowledge.DocumentPipeline.Failed;
import io.voicehelper.entities.knowledge.DocumentPipeline.Indexed;
import io.voicehelper.entities.knowledge.DocumentPipeline.Job;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.ObjectStore;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.streams.knowledge.chunking.ChunkDraft;
import io.voicehelper.streams.knowledge.chunking.Chunker;
import io.voicehelper.streams.knowledge.parsing.DocumentParser;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument;
import io.voicehelper.streams.knowledge.storage.FileSystemObjectStore;
import io.voicehelper.streams.knowledge.storage.ObjectStoreSettings;
import io.voicehelper.streams.knowledge.testing.InMemoryChunkStore;
import io.voicehelper.streams.knowledge.testing.InMemoryKnowledgeIndex;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamsDocumentPipelineTest {

  private static final DocumentRef DOC = new DocumentRef("acme", "faq", "doc-1");
  private static final DocumentRef OTHER = new DocumentRef("acme", "faq", "doc-2");

  private static ActorTestKit testKit;

  @TempDir Path root;
  private FileSystemObjectStore objects;
  private final LineParser parser = new LineParser();
  private final ScriptedEmbedder embedder = new ScriptedEmbedder();
  private final InMemoryChunkStore chunks = new InMemoryChunkStore();
  private final InMemoryKnowledgeIndex index = new InMemoryKnowledgeIndex();
  private final List<String> progress = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void createStore() {
    objects = new FileSystemObjectStore(root, testKit.system(), ObjectStoreSettings.CONFIG_PATH + ".blocking-dispatcher");
  }

  private StreamsDocumentPipeline pipeline(int batch, int embeddingParallelism, int writeParallelism, int publishBatch) {
    return pipeline(batch, embeddingParallelism, writeParallelism, publishBatch, new BlockChunker(), objects, null);
  }

  /** With {@code blocking} null, the configured blocking dispatcher. */
  private StreamsDocumentPipeline pipeline(int batch, int embeddingParallelism, int writeParallelism, int publishBatch,
      Chunker chunker, ObjectStore objectStore, Executor blocking) {
    IndexingSettings settings = new IndexingSettings(batch, embeddingParallelism, writeParallelism, publishBatch,
        Duration.ofSeconds(10), IndexingSettings.CONFIG_PATH + ".blocking-dispatcher");
    return new StreamsDocumentPipeline(objectStore, parser, chunker, embedder, chunks, index, settings,
        Materializer.matFromSystem(testKit.system()), blocking != null ? blocking
            : testKit.system().dispatchers().lookup(DispatcherSelector.fromConfig(settings.blockingDispatcher())));
  }

  /** Stores an original of {@code lines} and returns the job that indexes it as {@code version}. */
  private Job upload(DocumentRef document, int version, List<String> lines) throws Exception {
    String key = DocumentEntity.objectKey(document, version);
    await(Source.single(ByteString.fromString(String.join("\n", lines), StandardCharsets.UTF_8))
        .runWith(objects.put(key, 1_000_000), testKit.system()));
    return new Job(document, version, key, "guide.txt");
  }

  private static List<String> lines(String word, int count) {
    return IntStream.range(0, count).mapToObj(i -> word + " paragraph " + i).toList();
  }

  private DocumentPipeline.Progress recordProgress() {
    return (done, total) -> progress.add(done + "/" + total);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Failed failure(CompletionStage<?> stage) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
    return assertInstanceOf(Failed.class, e.getCause());
  }

  private static List<String> expectedIds(DocumentRef document, int version, List<String> lines) {
    return IntStream.range(0, lines.size())
        .mapToObj(i -> Chunk.idFor(document, version, i, lines.get(i)))
        .toList();
  }

  private List<String> storedIds(DocumentRef document, int version) {
    return chunks.chunksOf(document, version).stream().map(c -> c.chunk().chunkId()).toList();
  }

  @Test
  void indexesAVersionIntoTheChunkTableReportingProgress() throws Exception {
    List<String> text = lines("refund", 10);
    Indexed indexed = await(pipeline(3, 2, 2, 100).index(upload(DOC, 1, text), recordProgress()).result());

    long characters = text.stream().mapToLong(String::length).sum();
    assertEquals(new Indexed("text/plain", 10, characters), indexed);
    assertEquals(expectedIds(DOC, 1, text), storedIds(DOC, 1));
    EmbeddedChunk first = chunks.chunksOf(DOC, 1).get(0);
    assertEquals(List.of("Guide"), first.chunk().headingPath());
    assertEquals(3, first.chunk().tokens());
    assertEquals(List.of("0/10", "3/10", "6/10", "9/10", "10/10"), progress);
    assertTrue(index.all().isEmpty(), "nothing is retrievable before publishing");
    assertEquals(1, parser.parses.get());
  }

  @Test
  void everyChunkOfAVersionCarriesItsMetadataIntoTheTableAndTheIndex() throws Exception {
    StreamsDocumentPipeline pipeline = pipeline(4, 2, 2, 100);
    Job plain = upload(DOC, 1, lines("voucher", 6));
    Map<String, String> metadata = Map.of("region", "eu", "product", "camera");
    Job job = new Job(plain.document(), plain.version(), plain.objectKey(), plain.fileName(), metadata);
    await(pipeline.index(job, recordProgress()).result());
    assertEquals(List.of(metadata), chunks.chunksOf(DOC, 1).stream().map(c -> c.chunk().metadata()).distinct()
        .toList());
    await(pipeline.publish(DOC, 1));
    SearchFilter eu = new SearchFilter("acme", Set.of(), Optional.empty(), Optional.empty(), Map.of("region", "eu"));
    assertEquals(6, await(index.searchKeyword(eu, "voucher", 50)).size());
    SearchFilter us = new SearchFilter("acme", Set.of(), Optional.empty(), Optional.empty(), Map.of("region", "us"));
    assertEquals(List.of(), await(index.searchKeyword(us, "voucher", 50)));
  }

  @Test
  void runningAgainAfterACrashOverwritesInsteadOfDuplicating() throws Exception {
    List<String> text = lines("warranty", 10);
    Job job = upload(DOC, 1, text);
    embedder.failOnCall = 3;

    Failed crashed = failure(pipeline(3, 1, 1, 100).index(job, recordProgress()).result());
    assertEquals("Embedding failed: model overloaded", crashed.getMessage());
    assertEquals(6, chunks.chunksOf(DOC, 1).size(), "two batches were stored before the crash");

    embedder.failOnCall = -1;
    assertEquals(10, await(pipeline(3, 1, 1, 100).index(job, recordProgress()).result()).chunks());
    assertEquals(expectedIds(DOC, 1, text), storedIds(DOC, 1));
    assertEquals(10, chunks.all().size());
  }

  @Test
  void reIndexingAVersionWithAnotherChunkerLeavesNoStaleChunks() throws Exception {
    List<String> text = lines("manual", 6);
    Job job = upload(DOC, 1, text);
    StreamsDocumentPipeline blocks = pipeline(4, 2, 2, 100);
    await(blocks.index(job, recordProgress()).result());
    await(blocks.publish(DOC, 1));

    StreamsDocumentPipeline pairs = pipeline(4, 2, 2, 100, new PairChunker(), objects, null);
    assertEquals(3, await(pairs.index(job, recordProgress()).result()).chunks());
    await(pairs.publish(DOC, 1));

    List<String> paired = List.of(text.get(0) + " " + text.get(1), text.get(2) + " " + text.get(3),
        text.get(4) + " " + text.get(5));
    assertEquals(expectedIds(DOC, 1, paired), storedIds(DOC, 1));
    assertEquals(expectedIds(DOC, 1, paired).stream().sorted().toList(),
        index.all().stream().map(c -> c.chunk().chunkId()).toList()); // all() is ordered by chunk id
    assertEquals(3, await(index.searchKeyword(SearchFilter.tenant("acme"), "manual", 50)).size());
  }

  @Test
  void theOriginalIsOpenedOnlyWhenTheParseTaskHasAThread() throws Exception {
    Job job = upload(DOC, 1, lines("manual", 3));
    Job cancelledJob = upload(OTHER, 1, lines("manual", 3));
    AtomicInteger opened = new AtomicInteger();
    ObjectStore counting = new ObjectStore() {
      @Override
      public Sink<ByteString, CompletionStage<Stored>> put(String key, long maxBytes) {
        return objects.put(key, maxBytes);
      }

      @Override
      public Source<ByteString, ?> get(String key) {
        opened.incrementAndGet();
        return objects.get(key);
      }

      @Override
      public CompletionStage<Void> delete(String key) {
        return objects.delete(key);
      }

      @Override
      public CompletionStage<Void> deletePrefix(String prefix) {
        return objects.deletePrefix(prefix);
      }
    };
    BlockingQueue<Runnable> queued = new LinkedBlockingQueue<>(); // a blocking dispatcher with no thread free
    StreamsDocumentPipeline pipeline = pipeline(4, 2, 2, 100, new BlockChunker(), counting, queued::add);

    DocumentPipeline.Run run = pipeline.index(job, recordProgress());
    DocumentPipeline.Run cancelledRun = pipeline.index(cancelledJob, recordProgress());
    TestProbe<Void> probe = testKit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(2, queued.size());
      return null;
    });
    assertEquals(0, opened.get(), "no object-store response is held while the jobs wait for a thread");

    cancelledRun.cancel();
    queued.poll().run();
    queued.poll().run();
    assertEquals(3, await(run.result()).chunks());
    assertEquals("Indexing was cancelled", failure(cancelledRun.result()).getMessage());
    assertEquals(1, opened.get(), "the job cancelled while waiting never opened its original");
  }

  @Test
  void aParserFailurePassesThroughAsIs() throws Exception {
    Job job = upload(DOC, 1, List.of("ENCRYPTED", "secret"));
    Failed failed = failure(pipeline(3, 2, 2, 100).index(job, recordProgress()).result());

    assertSame(LineParser.ENCRYPTED, failed);
    assertTrue(chunks.log().calls().isEmpty());
  }

  @Test
  void aMissingOriginalFailsWithAReadableReason() {
    Job job = new Job(DOC, 1, "acme/faq/doc-1/v1/original", "guide.txt");
    Failed failed = failure(pipeline(3, 2, 2, 100).index(job, recordProgress()).result());

    assertTrue(failed.getMessage().startsWith("The original of guide.txt could not be read from the object store: "),
        failed.getMessage());
    assertFalse(failed.getMessage().contains("\tat "), failed.getMessage());
    assertTrue(chunks.log().calls().isEmpty());
  }

  @Test
  void embedderAndChunkStoreFailuresBecomeFailedWithTheirReason() throws Exception {
    Job job = upload(DOC, 1, lines("delivery", 4));
    embedder.failOnCall = 1;
    assertEquals("Embedding failed: model overloaded",
        failure(pipeline(3, 2, 2, 100).index(job, recordProgress()).result()).getMessage());

    embedder.failOnCall = -1;
    chunks.log().failAlways("save", new IllegalStateException("the database is read-only"));
    assertEquals("Storing chunks failed: the database is read-only",
        failure(pipeline(3, 2, 2, 100).index(job, recordProgress()).result()).getMessage());
  }

  @Test
  void neverAsksTheEmbedderForMoreThanItsParallelism() throws Exception {
    Job job = upload(DOC, 1, lines("invoice", 20));
    embedder.gated = true;
    DocumentPipeline.Run run = pipeline(2, 2, 1, 100).index(job, recordProgress());
    TestProbe<Void> probe = testKit.createTestProbe();

    for (int released = 0; released < 10; released++) {
      int expected = Math.min(2, 10 - released);
      probe.awaitAssert(Duration.ofSeconds(10), () -> {
        assertEquals(expected, embedder.inFlight.get());
        return null;
      });
      embedder.releaseOne();
    }

    assertEquals(20, await(run.result()).chunks());
    assertEquals(2, embedder.maxInFlight.get(), "two batches were embedded at once, never more");
    assertEquals(10, embedder.calls.get());
  }

  @Test
  void cancelStopsTheRun() throws Exception {
    Job job = upload(DOC, 1, lines("shipping", 10));
    embedder.gated = true;
    DocumentPipeline.Run run = pipeline(2, 2, 1, 100).index(job, recordProgress());
    TestProbe<Void> probe = testKit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(2, embedder.inFlight.get());
      return null;
    });

    run.cancel();
    assertEquals("Indexing was cancelled", failure(run.result()).getMessage());
    embedder.releaseOne();
    embedder.releaseOne();
    assertEquals(2, embedder.calls.get(), "no batch was sent to the model after the cancel");
    assertTrue(chunks.log().calls("save").isEmpty());
  }

  @Test
  void publishMakesOnlyThatVersionRetrievable() throws Exception {
    StreamsDocumentPipeline pipeline = pipeline(4, 2, 2, 4);
    await(pipeline.index(upload(DOC, 1, lines("oldpolicy", 10)), recordProgress()).result());
    await(pipeline.index(upload(DOC, 2, lines("newpolicy", 6)), recordProgress()).result());
    await(pipeline.index(upload(OTHER, 1, lines("oldpolicy", 3)), recordProgress()).result());
    await(pipeline.publish(OTHER, 1));

    index.log().clear();
    await(pipeline.publish(DOC, 1));
    assertEquals(List.of("removeVersion acme|faq|doc-1 v1", "upsert 4", "upsert 4", "upsert 2",
            "removeDocument acme|faq|doc-1 keep 1"),
        index.log().calls());
    assertEquals(List.of(1), index.versionsOf(DOC));
    assertEquals(1, chunks.markedVersion(DOC));

    await(pipeline.publish(DOC, 2));
    assertEquals(List.of(2), index.versionsOf(DOC));
    assertEquals(2, chunks.markedVersion(DOC));
    List<SearchHit> hits = await(index.searchKeyword(SearchFilter.tenant("acme"), "oldpolicy", 50));
    assertEquals(List.of(OTHER), hits.stream().map(hit -> hit.chunk().document()).distinct().toList(),
        "the superseded version is no longer found; the other document is untouched");
    assertEquals(6, await(index.searchKeyword(SearchFilter.tenant("acme"), "newpolicy", 50)).size());
  }

  @Test
  void purgingAVersionWhosePublishCrashedKeepsThePublishedOne() throws Exception {
    StreamsDocumentPipeline pipeline = pipeline(4, 2, 2, 100);
    await(pipeline.index(upload(DOC, 1, lines("alpha", 5)), recordProgress()).result());
    await(pipeline.publish(DOC, 1));
    await(pipeline.index(upload(DOC, 2, lines("beta", 5)), recordProgress()).result());
    index.log().failNext("removeDocument", new IllegalStateException("index node lost"));

    assertEquals("Publishing version 2 failed: index node lost", failure(pipeline.publish(DOC, 2)).getMessage());
    assertEquals(List.of(1, 2), index.versionsOf(DOC), "the crash left both versions in the index");
    assertEquals(1, chunks.markedVersion(DOC));

    await(pipeline.purgeChunks(DOC, 2));
    assertEquals(List.of(1), index.versionsOf(DOC));
    assertEquals(5, chunks.chunksOf(DOC, 1).size());
    assertTrue(chunks.chunksOf(DOC, 2).isEmpty());

    await(pipeline.purgeVersion(DOC, 1, "acme/faq/doc-1/v1/original"));
    assertEquals(List.of(), index.versionsOf(DOC), "purging the published version leaves nothing retrievable");
    assertTrue(chunks.chunksOf(DOC, 1).isEmpty());
    assertFalse(Files.exists(root.resolve("acme/faq/doc-1/v1/original")));
    assertTrue(Files.exists(root.resolve("acme/faq/doc-1/v2/original")), "only that version's original is gone");
  }

  @Test
  void aPurgeOfTheOldVersionLeavesAJustPublishedVersionSearchable() throws Exception {
    StreamsDocumentPipeline pipeline = pipeline(4, 2, 2, 100);
    await(pipeline.index(upload(DOC, 1, lines("alpha", 5)), recordProgress()).result());
    await(pipeline.publish(DOC, 1));
    await(pipeline.index(upload(DOC, 2, lines("beta", 5)), recordProgress()).result());
    // v2's publish has reached the index but not yet the chunk table's mark, which still names v1
    chunks.log().failNext("publish", new IllegalStateException("journal database busy"));
    failure(pipeline.publish(DOC, 2));
    assertEquals(List.of(2), index.versionsOf(DOC));
    assertEquals(1, chunks.markedVersion(DOC));
    index.log().clear();

    await(pipeline.purgeChunks(DOC, 1));

    assertEquals(List.of("removeVersion acme|faq|doc-1 v1"), index.log().calls(), "nothing else is removed");
    assertEquals(List.of(2), index.versionsOf(DOC));
    assertEquals(5, await(index.searchKeyword(SearchFilter.tenant("acme"), "beta", 50)).size());
    assertTrue(chunks.chunksOf(DOC, 1).isEmpty());
    assertEquals(5, chunks.chunksOf(DOC, 2).size());
  }

  @Test
  void unpublishKeepsTheChunksButNothingIsRetrievable() throws Exception {
    StreamsDocumentPipeline pipeline = pipeline(4, 2, 2, 100);
    await(pipeline.index(upload(DOC, 1, lines("alpha", 5)), recordProgress()).result());
    await(pipeline.publish(DOC, 1));

    await(pipeline.unpublish(DOC));
    assertEquals(List.of(), index.versionsOf(DOC));
    assertEquals(0, chunks.markedVersion(DOC));
    assertEquals(5, chunks.chunksOf(DOC, 1).size());
  }

  @Test
  void purgeDocumentRemovesEverythingOfItAndNothingElse() throws Exception {
    StreamsDocumentPipeline pipeline = pipeline(4, 2, 2, 100);
    await(pipeline.index(upload(DOC, 1, lines("alpha", 5)), recordProgress()).result());
    await(pipeline.index(upload(DOC, 2, lines("beta", 5)), recordProgress()).result());
    await(pipeline.publish(DOC, 2));
    await(pipeline.index(upload(OTHER, 1, lines("gamma", 5)), recordProgress()).result());
    await(pipeline.publish(OTHER, 1));

    await(pipeline.purgeDocument(DOC));
    assertEquals(List.of(), index.versionsOf(DOC));
    assertTrue(chunks.chunksOf(DOC, 1).isEmpty() && chunks.chunksOf(DOC, 2).isEmpty());
    assertEquals(0, chunks.markedVersion(DOC));
    assertFalse(Files.exists(root.resolve("acme/faq/doc-1")));
    assertEquals("acme/faq/doc-1/", DocumentEntity.objectPrefix(DOC));
    assertEquals(List.of(1), index.versionsOf(OTHER));
    assertEquals(5, chunks.chunksOf(OTHER, 1).size());
    assertTrue(Files.exists(root.resolve("acme/faq/doc-2/v1/original")));
  }

  /** Reads the whole stream as UTF-8; each line is a paragraph. A file starting with ENCRYPTED is refused. */
  static final class LineParser implements DocumentParser {
    static final Failed ENCRYPTED = new Failed("guide.txt is encrypted: remove its password and upload it again");
    final AtomicInteger parses = new AtomicInteger();

    @Override
    public ParsedDocument parse(InputStream in, String fileName) {
      parses.incrementAndGet();
      String text;
      try {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (text.startsWith("ENCRYPTED")) throw ENCRYPTED;
      List<ParsedDocument.Block> blocks = text.lines()
          .map(line -> new ParsedDocument.Block(ParsedDocument.Kind.PARAGRAPH, line, 0))
          .toList();
      return new ParsedDocument("text/plain", "Guide", blocks);
    }
  }

  /** One chunk per block, under the document's title; tokens are words. */
  static final class BlockChunker implements Chunker {
    @Override
    public List<ChunkDraft> chunk(ParsedDocument document) {
      List<ChunkDraft> drafts = new ArrayList<>();
      for (ParsedDocument.Block block : document.blocks()) {
        drafts.add(new ChunkDraft(drafts.size(), List.of(document.title()), block.text(),
            block.text().split(" ").length));
      }
      return drafts;
    }
  }

  /** One chunk per two blocks: what a changed chunking configuration does to the same original. */
  static final class PairChunker implements Chunker {
    @Override
    public List<ChunkDraft> chunk(ParsedDocument document) {
      List<ChunkDraft> drafts = new ArrayList<>();
      List<ParsedDocument.Block> blocks = document.blocks();
      for (int i = 0; i < blocks.size(); i += 2) {
        String text = i + 1 < blocks.size() ? blocks.get(i).text() + " " + blocks.get(i + 1).text()
            : blocks.get(i).text();
        drafts.add(new ChunkDraft(drafts.size(), List.of(document.title()), text, text.split(" ").length));
      }
      return drafts;
    }
  }

  /** Vectors from the text's hash; fails a chosen call; when gated, holds every call until released. */
  static final class ScriptedEmbedder implements Embedder {
    private record Held(CompletableFuture<List<float[]>> reply, List<float[]> vectors) {}

    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    private final BlockingQueue<Held> held = new LinkedBlockingQueue<>();
    volatile int failOnCall = -1;
    volatile boolean gated;

    @Override
    public CompletionStage<List<float[]>> embedAll(List<String> texts) {
      int call = calls.incrementAndGet();
      if (call == failOnCall) return CompletableFuture.failedFuture(new IllegalStateException("model overloaded"));
      List<float[]> vectors = texts.stream().map(ScriptedEmbedder::vector).toList();
      if (!gated) return CompletableFuture.completedFuture(vectors);
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      CompletableFuture<List<float[]>> reply = new CompletableFuture<>();
      held.add(new Held(reply, vectors));
      return reply;
    }

    /** Answers the oldest held call. */
    void releaseOne() throws InterruptedException {
      Held next = held.poll(10, TimeUnit.SECONDS);
      if (next == null) throw new AssertionError("no call is waiting");
      inFlight.decrementAndGet();
      next.reply().complete(next.vectors());
    }

    private static float[] vector(String text) {
      int hash = text.hashCode();
      float[] vector = {hash & 0xff, (hash >> 8) & 0xff, (hash >> 16) & 0xff, 1};
      float norm = 0;
      for (float value : vector) norm += value * value;
      for (int i = 0; i < vector.length; i++) vector[i] /= (float) Math.sqrt(norm);
      return vector;
    }

    @Override
    public int dimension() {
      return 4;
    }

    @Override
    public String modelId() {
      return "scripted-4";
    }
  }
}
