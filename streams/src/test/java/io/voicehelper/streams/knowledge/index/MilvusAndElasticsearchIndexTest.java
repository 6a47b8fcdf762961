package io.voicehelper.streams.knowledge.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.KnowledgeIndex;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.streams.knowledge.elasticsearch.ElasticsearchKeywordStore;
import io.voicehelper.streams.knowledge.elasticsearch.ElasticsearchSettings;
import io.voicehelper.streams.knowledge.elasticsearch.FakeElasticsearchServer;
import io.voicehelper.streams.knowledge.milvus.FakeMilvusServer;
import io.voicehelper.streams.knowledge.milvus.MilvusSettings;
import io.voicehelper.streams.knowledge.milvus.MilvusVectorStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A {@link CombinedKnowledgeIndex} of the Milvus and Elasticsearch adapters, each against its loopback fake. */
class MilvusAndElasticsearchIndexTest {

  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private FakeMilvusServer milvus;
  private FakeElasticsearchServer elasticsearch;
  private MilvusVectorStore vectors;
  private ElasticsearchKeywordStore keywords;
  private KnowledgeIndex index;

  @BeforeEach
  void start() throws Exception {
    milvus = FakeMilvusServer.start();
    elasticsearch = FakeElasticsearchServer.start();
    vectors = new MilvusVectorStore(MilvusSettings.defaults(milvus.uri(), MilvusSettings.Layout.PARTITION_KEY, 3)
        .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), 0, Duration.ofMillis(10)), executor);
    keywords = new ElasticsearchKeywordStore(ElasticsearchSettings.defaults(elasticsearch.url()), executor);
    index = new CombinedKnowledgeIndex(vectors, keywords);
  }

  @AfterEach
  void stop() throws Exception {
    vectors.close();
    keywords.close();
    milvus.close();
    elasticsearch.close();
    executor.shutdownNow();
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static EmbeddedChunk chunk(String document, int version, int position, String text, float... vector) {
    DocumentRef ref = new DocumentRef("acme", "faq", document);
    return new EmbeddedChunk(new Chunk(Chunk.idFor(ref, version, position, text), ref, version, position,
        List.of(), text, 5), vector);
  }

  static List<String> texts(List<SearchHit> hits) {
    return hits.stream().map(h -> h.chunk().text()).toList();
  }

  @Test
  void writesReachBothStoresAndEachSearchItsOwn() throws Exception {
    await(index.upsert(List.of(
        chunk("d1", 1, 0, "refund policy old", 1, 0, 0),
        chunk("d1", 2, 0, "refund policy new", 1, 0, 0),
        chunk("d2", 1, 0, "opening hours", 0, 1, 0))));

    assertEquals(List.of("opening hours"),
        texts(await(index.searchVector(SearchFilter.tenant("acme"), new float[] {0, 1, 0}, 1))));
    assertEquals(2, await(index.searchKeyword(SearchFilter.tenant("acme"), "refund", 10)).size());

    await(index.removeDocument(new DocumentRef("acme", "faq", "d1"), 2));
    assertEquals(List.of("refund policy new"),
        texts(await(index.searchKeyword(SearchFilter.tenant("acme"), "refund", 10))));
    assertEquals(List.of("refund policy new", "opening hours"),
        texts(await(index.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0.1f, 0}, 10))));

    await(index.removeCollection("acme", "faq"));
    assertEquals(List.of(), await(index.searchKeyword(SearchFilter.tenant("acme"), "refund opening", 10)));
    assertEquals(List.of(), await(index.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0, 0}, 10)));
  }

  @Test
  void removeVersionReachesBothStores() throws Exception {
    await(index.upsert(List.of(
        chunk("d1", 1, 0, "refund policy old", 1, 0, 0),
        chunk("d1", 2, 0, "refund policy new", 1, 0, 0),
        chunk("d2", 1, 0, "refund desk hours", 0, 1, 0))));

    await(index.removeVersion(new DocumentRef("acme", "faq", "d1"), 1));

    assertEquals(List.of("refund policy new", "refund desk hours"),
        texts(await(index.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0.1f, 0}, 10))));
    assertEquals(java.util.Set.of("refund policy new", "refund desk hours"),
        java.util.Set.copyOf(texts(await(index.searchKeyword(SearchFilter.tenant("acme"), "refund", 10)))));
  }

  @Test
  void aWriteFailsWhenEitherStoreRefusesIt() throws Exception {
    elasticsearch.failNext("bulk", 1,
        new FakeElasticsearchServer.Fault.Error(503, "unavailable_shards_exception", "primary shard is not active"));
    ExecutionException keywordDown = assertThrows(ExecutionException.class,
        () -> await(index.upsert(List.of(chunk("d1", 1, 0, "text", 1, 0, 0)))));
    assertTrue(keywordDown.getCause().getMessage().contains("primary shard is not active"),
        keywordDown.getCause().getMessage());

    milvus.failNext("Upsert", 1, new FakeMilvusServer.Fault.MilvusError(65535, "quota exceeded"));
    ExecutionException vectorDown = assertThrows(ExecutionException.class,
        () -> await(index.upsert(List.of(chunk("d1", 1, 0, "text", 1, 0, 0)))));
    assertTrue(vectorDown.getCause().getMessage().contains("quota exceeded"), vectorDown.getCause().getMessage());

    await(index.upsert(List.of(chunk("d1", 1, 0, "text", 1, 0, 0))));
    assertEquals(1, await(index.searchKeyword(SearchFilter.tenant("acme"), "text", 10)).size());
  }
}
