package io.voicehelper.streams.knowledge.follow;

import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.await;
import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.chunk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.streams.knowledge.follow.IndexSync.Outcome;
import io.voicehelper.streams.knowledge.index.DocumentLanes;
import io.voicehelper.streams.knowledge.lucene.LuceneKnowledgeIndex;
import io.voicehelper.streams.knowledge.testing.InMemoryChunkStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One document re-synced from the chunk table into a Lucene index, whatever the index held before. */
class IndexSyncTest {

  static final ExecutorService blocking = Executors.newFixedThreadPool(2);
  static final ActorTestKit testKit = ActorTestKit.create();
  static final DocumentRef DOC = new DocumentRef("acme", "faq", "doc-1");
  static final DocumentRef OTHER = new DocumentRef("acme", "faq", "doc-2");

  @TempDir Path dir;
  LuceneKnowledgeIndex index;
  final InMemoryChunkStore chunks = new InMemoryChunkStore();
  IndexSync sync;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    blocking.shutdown();
  }

  @BeforeEach
  void open() throws Exception {
    index = new LuceneKnowledgeIndex(dir, 4, "test-model", blocking);
    sync = new IndexSync(index, chunks, new DocumentLanes(), 2, Materializer.matFromSystem(testKit.system()));
  }

  @AfterEach
  void close() throws Exception {
    index.close();
  }

  /** A version of {@code count} chunks whose texts start with {@code word}. */
  static List<EmbeddedChunk> version(DocumentRef doc, int version, String word, int count) {
    return java.util.stream.IntStream.range(0, count)
        .mapToObj(i -> chunk(doc, version, i, word + " " + i, 1, version, i + 1, 0))
        .toList();
  }

  static Set<String> ids(List<EmbeddedChunk> chunks) {
    return chunks.stream().map(c -> c.chunk().chunkId()).collect(Collectors.toSet());
  }

  @Test
  void aNewlyPublishedVersionIsCopiedInAndEveryOtherVersionLeaves() throws Exception {
    List<EmbeddedChunk> v1 = version(DOC, 1, "alpha", 3);
    List<EmbeddedChunk> v2 = version(DOC, 2, "beta", 5);
    await(chunks.save(v1));
    await(chunks.save(v2));
    await(index.upsert(v1));
    await(index.upsert(version(OTHER, 1, "other", 2)));
    await(chunks.publish(DOC, 2));

    assertEquals(Outcome.COPIED, await(sync.sync(DOC)));
    assertEquals(Map.of(2, ids(v2)), await(index.chunkIdsByVersion(DOC)));
    assertEquals(Outcome.IN_SYNC, await(sync.sync(DOC)), "a second sync writes nothing");
    assertEquals(1, await(index.chunkIdsByVersion(OTHER)).size(), "another document is left alone");
  }

  @Test
  void aCompleteVersionIsKeptAndOnlyTheOthersAreRemoved() throws Exception {
    List<EmbeddedChunk> v1 = version(DOC, 1, "alpha", 3);
    List<EmbeddedChunk> v2 = version(DOC, 2, "beta", 2);
    await(chunks.save(v1));
    await(index.upsert(v1));
    await(index.upsert(v2));
    await(chunks.publish(DOC, 1));
    chunks.log().clear();

    assertEquals(Outcome.PRUNED, await(sync.sync(DOC)));
    assertEquals(Map.of(1, ids(v1)), await(index.chunkIdsByVersion(DOC)));
    assertEquals(List.of(), chunks.log().calls("version"), "nothing was copied");
  }

  @Test
  void aReindexedVersionLosesTheChunksItNoLongerHas() throws Exception {
    List<EmbeddedChunk> before = version(DOC, 3, "gamma", 4);
    await(index.upsert(before));
    List<EmbeddedChunk> after = version(DOC, 3, "delta", 2); // the same version cut anew: other ids
    await(chunks.save(after));
    await(chunks.publish(DOC, 3));

    assertEquals(Outcome.COPIED, await(sync.sync(DOC)));
    assertEquals(Map.of(3, ids(after)), await(index.chunkIdsByVersion(DOC)));
  }

  @Test
  void nothingPublishedOrADeleteRemovesTheDocument() throws Exception {
    await(index.upsert(version(DOC, 1, "alpha", 2)));
    assertEquals(Outcome.REMOVED, await(sync.sync(DOC)), "no version is published");
    assertEquals(Map.of(), await(index.chunkIdsByVersion(DOC)));
    assertEquals(Outcome.IN_SYNC, await(sync.sync(DOC)));

    List<EmbeddedChunk> v1 = version(DOC, 1, "alpha", 2);
    await(chunks.save(v1));
    await(chunks.publish(DOC, 1));
    await(index.upsert(v1));
    assertEquals(Outcome.REMOVED, await(sync.remove(DOC)), "deleted: gone before the purge reaches the table");
    assertEquals(Map.of(), await(index.chunkIdsByVersion(DOC)));
  }

  @Test
  void aChunkTableThatFailsFailsTheSyncAndChangesNothing() throws Exception {
    List<EmbeddedChunk> v1 = version(DOC, 1, "alpha", 2);
    await(index.upsert(v1));
    chunks.log().failNext("publishedVersion", new IllegalStateException("database gone"));
    assertThrows(IllegalStateException.class, () -> await(sync.sync(DOC)));
    assertEquals(Map.of(1, ids(v1)), await(index.chunkIdsByVersion(DOC)));
  }
}
