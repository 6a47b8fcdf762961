package io.voicehelper.streams.knowledge.jdbc;

import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.await;
import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.chunk;
import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.withMetadata;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.voicehelper.entities.knowledge.ChunkStore;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link JdbcChunkStore} against a migrated database: the same checks run on H2 ({@link JdbcChunkStoreTest}) and
 * PostgreSQL ({@link JdbcChunkStorePostgresIT}). Streams are read with a page size of 3, so paging is exercised.
 */
abstract class JdbcChunkStoreContract {

  static final ExecutorService blocking = Executors.newFixedThreadPool(2);
  static final ActorTestKit testKit = ActorTestKit.create();
  static final int PAGE = 3;

  static final DocumentRef GUIDE = new DocumentRef("tenant-a", "manuals", "guide");
  static final DocumentRef FAQ = new DocumentRef("tenant-a", "policies", "faq");
  /** The same collection and document ids in another tenant: chunk ids are equal, rows must not be. */
  static final DocumentRef GUIDE_OF_B = new DocumentRef("tenant-b", "manuals", "guide");

  DataSource dataSource;
  JdbcChunkStore store;

  void init(DataSource dataSource) {
    this.dataSource = dataSource;
    store = new JdbcChunkStore(dataSource, blocking, PAGE);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    blocking.shutdown();
  }

  static List<EmbeddedChunk> version(DocumentRef doc, int version, int count) {
    List<EmbeddedChunk> chunks = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      chunks.add(chunk(doc, version, i, doc.documentId() + " v" + version + " 第" + i + "段 text", 0.6f, -0.8f, i, 0));
    }
    return chunks;
  }

  static List<EmbeddedChunk> read(Source<EmbeddedChunk, ?> source) throws Exception {
    return await(source.runWith(Sink.seq(), Materializer.matFromSystem(testKit.system())));
  }

  static void assertSameChunks(List<EmbeddedChunk> expected, List<EmbeddedChunk> actual) {
    assertEquals(expected.stream().map(EmbeddedChunk::chunk).toList(), actual.stream().map(EmbeddedChunk::chunk).toList());
    for (int i = 0; i < expected.size(); i++) assertArrayEquals(expected.get(i).vector(), actual.get(i).vector());
  }

  int rows(String table) throws Exception {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
      r.next();
      return r.getInt(1);
    }
  }

  @Test
  void savingTheSameChunksTwiceKeepsOneRowEach() throws Exception {
    List<EmbeddedChunk> chunks = version(GUIDE, 1, 4);
    await(store.save(chunks));
    await(store.save(chunks));
    await(store.save(chunks.subList(1, 3)));
    assertEquals(4, rows("kb_chunks"));
    assertEquals(4, await(store.count(GUIDE, 1)));
    assertSameChunks(chunks, read(store.version(GUIDE, 1)));
  }

  @Test
  void longIdsAndALongHeadingPathAreStoredWhole() throws Exception {
    DocumentRef longIds = new DocumentRef("t".repeat(128), "c".repeat(128), "d".repeat(128));
    List<String> headings = java.util.stream.IntStream.range(0, 400).mapToObj(i -> "标题".repeat(100) + i).toList();
    EmbeddedChunk embedded = chunk(longIds, 1, 0, "text", 1, 0, 0, 0);
    io.voicehelper.entities.knowledge.Chunk c = embedded.chunk();
    EmbeddedChunk deep = new EmbeddedChunk(new io.voicehelper.entities.knowledge.Chunk(c.chunkId(), longIds, 1, 0,
        headings, c.text(), c.tokens()), embedded.vector()); // a heading path of ~80,000 characters
    await(store.save(List.of(deep)));
    assertSameChunks(List.of(deep), read(store.version(longIds, 1)));
  }

  @Test
  void eachChunkKeepsItsVersionsMetadataForARebuild() throws Exception {
    Map<String, String> metadata = Map.of("region", "eu", "product.line", "摄像头");
    List<EmbeddedChunk> tagged = version(GUIDE, 1, 4).stream().map(c -> withMetadata(c, metadata)).toList();
    await(store.save(tagged));
    await(store.save(version(FAQ, 1, 2)));
    await(store.publish(GUIDE, 1));
    await(store.publish(FAQ, 1));
    assertSameChunks(tagged, read(store.version(GUIDE, 1)));
    assertEquals(List.of(metadata, metadata, metadata, metadata, Map.of(), Map.of()), // manuals before policies
        read(store.published()).stream().map(e -> e.chunk().metadata()).toList());
  }

  @Test
  void aVersionStreamsInPositionOrderAcrossPages() throws Exception {
    List<EmbeddedChunk> chunks = version(GUIDE, 2, 11); // positions 0..10: "10" sorts before "2" as text
    List<EmbeddedChunk> shuffled = new ArrayList<>(chunks);
    java.util.Collections.reverse(shuffled);
    await(store.save(shuffled));
    await(store.save(version(GUIDE, 1, 5)));
    await(store.save(version(GUIDE_OF_B, 2, 2)));
    assertSameChunks(chunks, read(store.version(GUIDE, 2)));
    assertEquals(2, read(store.version(GUIDE_OF_B, 2)).size());
    assertEquals(List.of(), read(store.version(GUIDE, 3)));
    assertEquals(11, await(store.count(GUIDE, 2)));
  }

  @Test
  void publishedStreamsOnlyThePublishedVersionOfEachDocument() throws Exception {
    await(store.save(version(GUIDE, 1, 4)));
    await(store.save(version(GUIDE, 2, 5)));
    await(store.save(version(FAQ, 1, 3)));
    await(store.save(version(GUIDE_OF_B, 1, 2)));
    assertEquals(List.of(), read(store.published()));

    await(store.publish(GUIDE, 2));
    await(store.publish(FAQ, 1));
    await(store.publish(GUIDE_OF_B, 1));
    List<EmbeddedChunk> all = new ArrayList<>();
    all.addAll(version(GUIDE, 2, 5));
    all.addAll(version(FAQ, 1, 3));
    all.addAll(version(GUIDE_OF_B, 1, 2));
    all.sort(java.util.Comparator.comparing((EmbeddedChunk e) -> e.chunk().document().tenantId())
        .thenComparing(e -> e.chunk().document().collectionId()));
    assertSameChunks(all, read(store.published()));

    await(store.publish(GUIDE, 1)); // switch versions
    await(store.publish(FAQ, 0)); // unpublish
    List<EmbeddedChunk> now = read(store.published());
    assertEquals(List.of("guide v1", "guide v1", "guide v1", "guide v1", "guide v1", "guide v1"),
        now.stream().map(e -> e.chunk().document().documentId() + " v" + e.chunk().version()).toList());
    assertEquals(List.of("tenant-a", "tenant-a", "tenant-a", "tenant-a", "tenant-b", "tenant-b"),
        now.stream().map(e -> e.chunk().document().tenantId()).toList());
    assertEquals(2, rows("kb_published"));
  }

  @Test
  void deletingAVersionOrADocument() throws Exception {
    await(store.save(version(GUIDE, 1, 4)));
    await(store.save(version(GUIDE, 2, 4)));
    await(store.save(version(GUIDE_OF_B, 1, 4)));
    await(store.publish(GUIDE, 2));

    await(store.deleteVersion(GUIDE, 1));
    assertEquals(0, await(store.count(GUIDE, 1)));
    assertEquals(4, await(store.count(GUIDE, 2)));
    assertEquals(4, read(store.published()).size());

    await(store.publish(GUIDE_OF_B, 1));
    await(store.deleteDocument(GUIDE));
    assertEquals(0, await(store.count(GUIDE, 2)));
    assertEquals(4, rows("kb_chunks"));
    assertEquals(1, rows("kb_published"));
    assertEquals(List.of("tenant-b"), read(store.published()).stream()
        .map(e -> e.chunk().document().tenantId()).distinct().toList());
  }

  @Test
  void thePublishedVersionComesWithItsChunkIds() throws Exception {
    assertEquals(ChunkStore.PublishedVersion.NONE, await(store.publishedVersion(GUIDE)));
    await(store.save(version(GUIDE, 1, 2)));
    await(store.save(version(GUIDE, 2, 4)));
    await(store.save(version(GUIDE_OF_B, 2, 1)));
    await(store.publish(GUIDE, 2));
    assertEquals(new ChunkStore.PublishedVersion(2, version(GUIDE, 2, 4).stream()
        .map(e -> e.chunk().chunkId()).collect(Collectors.toSet())), await(store.publishedVersion(GUIDE)));

    await(store.deleteVersion(GUIDE, 2)); // a mark on a version without chunks publishes nothing
    assertEquals(new ChunkStore.PublishedVersion(2, Set.of()), await(store.publishedVersion(GUIDE)));
    await(store.publish(GUIDE, 0));
    assertEquals(ChunkStore.PublishedVersion.NONE, await(store.publishedVersion(GUIDE)));
  }

  @Test
  void aPageExactlyFullEndsCleanly() throws Exception {
    await(store.save(version(FAQ, 1, PAGE * 2)));
    assertEquals(PAGE * 2, read(store.version(FAQ, 1)).size());
  }
}
