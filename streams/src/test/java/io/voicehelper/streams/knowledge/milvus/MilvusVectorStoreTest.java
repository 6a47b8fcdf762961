package io.voicehelper.streams.knowledge.milvus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.withMetadata;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.milvus.grpc.KeyValuePair;
import io.milvus.grpc.SearchRequest;
import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.collection.request.DropCollectionReq;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.streams.knowledge.milvus.MilvusSettings.Layout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Milvus vector store against {@link FakeMilvusServer}, or against a real Milvus when {@code -Dmilvus.uri=...}
 * is set (then the fault-injection tests are skipped).
 */
class MilvusVectorStoreTest {

  static final String REAL_URI = System.getProperty("milvus.uri", "").strip();
  static final int DIMENSION = 4;

  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private final String prefix = "vhtest_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private FakeMilvusServer fake;
  private final List<MilvusVectorStore> stores = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    Set<String> used = new java.util.HashSet<>();
    for (MilvusVectorStore store : stores) {
      for (String tenant : List.of("acme", "globex", "tenant-x", "evil\" or tenant != \"x", "t1")) {
        used.add(store.collectionName(tenant));
      }
      store.close();
    }
    if (fake != null) fake.close();
    if (!REAL_URI.isEmpty()) {
      MilvusClientV2 client = new MilvusClientV2(ConnectConfig.builder().uri(REAL_URI).build());
      for (String name : used) client.dropCollection(DropCollectionReq.builder().collectionName(name).build());
      client.close();
    }
    executor.shutdownNow();
  }

  MilvusVectorStore store(Layout layout) throws Exception {
    return store(settings(layout));
  }

  MilvusSettings settings(Layout layout) throws Exception {
    String uri = REAL_URI;
    if (uri.isEmpty()) {
      if (fake == null) fake = FakeMilvusServer.start();
      uri = fake.uri();
    }
    return MilvusSettings.defaults(uri, layout, DIMENSION).withCollectionPrefix(prefix)
        .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), 0, Duration.ofMillis(10));
  }

  MilvusVectorStore store(MilvusSettings settings) {
    MilvusVectorStore store = new MilvusVectorStore(settings, executor);
    stores.add(store);
    return store;
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static Throwable failure(CompletionStage<?> stage) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
    return e.getCause();
  }

  static EmbeddedChunk chunk(String tenant, String collection, String document, int version, int position,
      String text, float... vector) {
    DocumentRef ref = new DocumentRef(tenant, collection, document);
    double norm = 0;
    for (float v : vector) norm += v * v;
    float[] unit = new float[vector.length];
    for (int i = 0; i < vector.length; i++) unit[i] = (float) (vector[i] / Math.sqrt(norm));
    return new EmbeddedChunk(new Chunk(Chunk.idFor(ref, version, position, text), ref, version, position,
        List.of("Guide", "Returns"), text, text.length() / 4 + 1), unit);
  }

  static List<String> texts(List<SearchHit> hits) {
    return hits.stream().map(h -> h.chunk().text()).collect(Collectors.toList());
  }

  // -------------------------------------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Layout.class)
  void searchFindsTheNearestChunksOfTheTenantOnlyWithTheirFields(Layout layout) throws Exception {
    MilvusVectorStore store = store(layout);
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "refunds take five days", 1, 0, 0, 0),
        chunk("acme", "faq", "d1", 1, 1, "shipping is free", 0, 1, 0, 0),
        chunk("globex", "faq", "d1", 1, 0, "globex refunds secret", 1, 0, 0, 0))));

    List<SearchHit> hits = await(store.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0.1f, 0, 0}, 10));

    assertEquals(List.of("refunds take five days", "shipping is free"), texts(hits));
    assertTrue(hits.get(0).score() > 0.99 && hits.get(0).score() > hits.get(1).score(), "cosine, best first");
    Chunk best = hits.get(0).chunk();
    assertEquals(new DocumentRef("acme", "faq", "d1"), best.document());
    assertEquals(1, best.version());
    assertEquals(0, best.position());
    assertEquals(List.of("Guide", "Returns"), best.headingPath());
    assertEquals(Chunk.idFor(best.document(), 1, 0, best.text()), best.chunkId());
    assertEquals(best.text().length() / 4 + 1, best.tokens());

    List<SearchHit> globex = await(store.searchVector(SearchFilter.tenant("globex"), new float[] {0, 1, 0, 0}, 10));
    assertEquals(List.of("globex refunds secret"), texts(globex));
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void searchHonoursCollectionsDocumentAndLimit(Layout layout) throws Exception {
    MilvusVectorStore store = store(layout);
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "faq one", 1, 0, 0, 0),
        chunk("acme", "faq", "d2", 1, 0, "faq two", 1, 0.1f, 0, 0),
        chunk("acme", "manuals", "d3", 1, 0, "manual three", 1, 0.2f, 0, 0),
        chunk("acme", "internal", "d4", 1, 0, "internal four", 1, 0.3f, 0, 0))));
    float[] query = {1, 0, 0, 0};

    assertEquals(List.of("faq one", "faq two", "manual three"), texts(await(store.searchVector(
        new SearchFilter("acme", Set.of("faq", "manuals"), Optional.empty()), query, 10))));
    assertEquals(List.of("faq two"), texts(await(store.searchVector(
        new SearchFilter("acme", Set.of("faq"), Optional.of("d2")), query, 10))));
    assertEquals(List.of("faq one", "faq two"), texts(await(store.searchVector(SearchFilter.tenant("acme"), query, 2))));
    assertEquals(List.of(), texts(await(store.searchVector(
        new SearchFilter("acme", Set.of("nothing"), Optional.empty()), query, 10))));
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void searchHonoursVersionAndEveryMetadataPair(Layout layout) throws Exception {
    MilvusVectorStore store = store(layout);
    Map<String, String> eu = Map.of("region", "eu", "product.line", "cam\"era");
    await(store.upsert(List.of(
        withMetadata(chunk("acme", "faq", "d1", 2, 0, "eu camera", 1, 0, 0, 0), eu),
        withMetadata(chunk("acme", "faq", "d2", 1, 0, "us camera", 1, 0.1f, 0, 0), Map.of("region", "us")),
        chunk("acme", "faq", "d3", 1, 0, "no metadata", 1, 0.2f, 0, 0))));
    float[] query = {1, 0, 0, 0};

    List<SearchHit> found = await(store.searchVector(filter(Optional.empty(), Optional.empty(), eu), query, 10));
    assertEquals(List.of("eu camera"), texts(found));
    assertEquals(eu, found.get(0).chunk().metadata());
    assertEquals(List.of("us camera"), texts(await(store.searchVector(
        filter(Optional.empty(), Optional.empty(), Map.of("region", "us")), query, 10))));
    assertEquals(List.of(), texts(await(store.searchVector(
        filter(Optional.empty(), Optional.empty(), Map.of("region", "eu", "product.line", "camera")), query, 10))));
    assertEquals(List.of("eu camera"), texts(await(store.searchVector(
        filter(Optional.of("d1"), Optional.of(2), Map.of()), query, 10))));
    assertEquals(List.of(), texts(await(store.searchVector(filter(Optional.of("d1"), Optional.of(1), Map.of()),
        query, 10))));
    assertEquals(Map.of(), await(store.searchVector(filter(Optional.of("d3"), Optional.empty(), Map.of()), query, 1))
        .get(0).chunk().metadata());
  }

  @Test
  void aCollectionCreatedBeforeMetadataGetsTheFieldAndItsOldChunksReadWithout() throws Exception {
    assumeTrue(REAL_URI.isEmpty(), "needs the fake to stand in for an old collection");
    MilvusSettings settings = settings(Layout.COLLECTION_PER_TENANT);
    await(store(settings).upsert(List.of(chunk("acme", "faq", "old", 1, 0, "old chunk", 1, 0, 0, 0))));
    fake.dropField(store(settings).collectionName("acme"), MilvusVectorStore.METADATA);

    MilvusVectorStore restarted = store(settings); // a new process prepares the collection again
    await(restarted.upsert(List.of(withMetadata(chunk("acme", "faq", "new", 1, 0, "new chunk", 1, 0.1f, 0, 0),
        Map.of("region", "eu")))));
    assertEquals(1, fake.calls("AddCollectionField"));
    float[] query = {1, 0, 0, 0};
    assertEquals(List.of("new chunk"), texts(await(restarted.searchVector(
        filter(Optional.empty(), Optional.empty(), Map.of("region", "eu")), query, 10))));
    List<SearchHit> all = await(restarted.searchVector(SearchFilter.tenant("acme"), query, 10));
    assertEquals(List.of("old chunk", "new chunk"), texts(all));
    assertEquals(Map.of(), all.get(0).chunk().metadata());
  }

  static SearchFilter filter(Optional<String> document, Optional<Integer> version, Map<String, String> metadata) {
    return new SearchFilter("acme", Set.of(), document, version, metadata);
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void upsertReplacesByChunkId(Layout layout) throws Exception {
    MilvusVectorStore store = store(layout);
    EmbeddedChunk first = chunk("acme", "faq", "d1", 1, 0, "same text", 1, 0, 0, 0);
    await(store.upsert(List.of(first)));
    await(store.upsert(List.of(first)));
    assertEquals(1, await(store.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0, 0, 0}, 10)).size());
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void removeDocumentKeepsOnlyTheKeptVersion(Layout layout) throws Exception {
    MilvusVectorStore store = store(layout);
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "old version", 1, 0, 0, 0),
        chunk("acme", "faq", "d1", 2, 0, "new version", 1, 0, 0, 0),
        chunk("acme", "faq", "d2", 1, 0, "other document", 1, 0, 0, 0),
        chunk("globex", "faq", "d1", 1, 0, "other tenant", 1, 0, 0, 0))));
    float[] query = {1, 0, 0, 0};

    await(store.removeDocument(new DocumentRef("acme", "faq", "d1"), 2));
    assertEquals(Set.of("new version", "other document"),
        Set.copyOf(texts(await(store.searchVector(SearchFilter.tenant("acme"), query, 10)))));

    await(store.removeDocument(new DocumentRef("acme", "faq", "d1"), 0));
    assertEquals(List.of("other document"), texts(await(store.searchVector(SearchFilter.tenant("acme"), query, 10))));
    assertEquals(List.of("other tenant"), texts(await(store.searchVector(SearchFilter.tenant("globex"), query, 10))));
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void removeVersionRemovesExactlyThatVersionOfThatDocumentOfThatTenant(Layout layout) throws Exception {
    MilvusVectorStore store = store(layout);
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "old version", 1, 0, 0, 0),
        chunk("acme", "faq", "d1", 2, 0, "new version", 1, 0, 0, 0),
        chunk("acme", "faq", "d2", 1, 0, "other document", 1, 0, 0, 0),
        chunk("acme", "manuals", "d1", 1, 0, "other collection", 1, 0, 0, 0),
        chunk("globex", "faq", "d1", 1, 0, "other tenant", 1, 0, 0, 0))));
    float[] query = {1, 0, 0, 0};

    await(store.removeVersion(new DocumentRef("acme", "faq", "d1"), 1));

    assertEquals(Set.of("new version", "other document", "other collection"),
        Set.copyOf(texts(await(store.searchVector(SearchFilter.tenant("acme"), query, 10)))));
    assertEquals(List.of("other tenant"), texts(await(store.searchVector(SearchFilter.tenant("globex"), query, 10))));
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void removeCollectionRemovesOnlyThatCollectionOfThatTenant(Layout layout) throws Exception {
    MilvusVectorStore store = store(layout);
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "faq", 1, 0, 0, 0),
        chunk("acme", "manuals", "d2", 1, 0, "manual", 1, 0, 0, 0),
        chunk("globex", "faq", "d1", 1, 0, "globex faq", 1, 0, 0, 0))));
    float[] query = {1, 0, 0, 0};

    await(store.removeCollection("acme", "faq"));

    assertEquals(List.of("manual"), texts(await(store.searchVector(SearchFilter.tenant("acme"), query, 10))));
    assertEquals(List.of("globex faq"), texts(await(store.searchVector(SearchFilter.tenant("globex"), query, 10))));
  }

  @ParameterizedTest
  @EnumSource(Layout.class)
  void idsThatLookLikeExpressionsAreEscaped(Layout layout) throws Exception {
    MilvusVectorStore store = store(layout);
    String evilTenant = "evil\" or tenant != \"x";
    String evilCollection = "c\\\"oll\n'";
    String evilDocument = "d\" or document != \"";
    await(store.upsert(List.of(
        chunk(evilTenant, evilCollection, evilDocument, 1, 0, "evil chunk", 1, 0, 0, 0),
        chunk(evilTenant, evilCollection, "plain", 1, 0, "plain chunk", 1, 0, 0, 0),
        chunk("acme", "faq", "d1", 1, 0, "acme chunk", 1, 0, 0, 0))));
    float[] query = {1, 0, 0, 0};

    assertEquals(Set.of("evil chunk", "plain chunk"),
        Set.copyOf(texts(await(store.searchVector(SearchFilter.tenant(evilTenant), query, 10)))));
    assertEquals(List.of("evil chunk"), texts(await(store.searchVector(
        new SearchFilter(evilTenant, Set.of(evilCollection), Optional.of(evilDocument)), query, 10))));

    await(store.removeDocument(new DocumentRef(evilTenant, evilCollection, evilDocument), 0));
    assertEquals(List.of("plain chunk"),
        texts(await(store.searchVector(SearchFilter.tenant(evilTenant), query, 10))));
    assertEquals(List.of("acme chunk"), texts(await(store.searchVector(SearchFilter.tenant("acme"), query, 10))));
  }

  @Test
  void literalsEscapeQuotesBackslashesAndControlCharacters() {
    assertEquals("\"plain\"", MilvusExpressions.literal("plain"));
    assertEquals("\"a\\\" or tenant != \\\"b\"", MilvusExpressions.literal("a\" or tenant != \"b"));
    assertEquals("\"back\\\\slash\\\\\"", MilvusExpressions.literal("back\\slash\\"));
    assertEquals("\"line\\nbreak\\ttab\\u0001\"", MilvusExpressions.literal("line\nbreak\ttab\u0001"));
    assertEquals("\"中文\"", MilvusExpressions.literal("中文"));
    assertEquals("tenant == \"t\\\"\" && collection in [\"a\", \"b\\\\\"] && document == \"d\"",
        MilvusExpressions.searchFilter(new SearchFilter("t\"", Set.of("b\\", "a"), Optional.of("d"))));
    assertEquals("tenant == \"t\" && collection == \"c\" && document == \"d\" && version != 3",
        MilvusExpressions.documentFilter(new DocumentRef("t", "c", "d"), 3));
  }

  @Test
  void tenantCollectionNamesAreValidAndDistinct() {
    assertEquals("vh_t_acme", MilvusExpressions.tenantCollection("vh", "acme"));
    String a = MilvusExpressions.tenantCollection("vh", "a-b");
    String b = MilvusExpressions.tenantCollection("vh", "a_b");
    String c = MilvusExpressions.tenantCollection("vh", "a.b");
    assertEquals(3, Set.of(a, b, c).size());
    for (String name : List.of(a, b, c, MilvusExpressions.tenantCollection("vh", "租户\" x".repeat(40)))) {
      assertTrue(name.matches("[A-Za-z_][A-Za-z0-9_]{0,254}"), name);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Against the fake only: what the wire carried, faults

  @ParameterizedTest
  @EnumSource(Layout.class)
  void aCollectionIsCreatedIndexedAndLoadedOnceAndSearchesCarryTheIndexParameters(Layout layout) throws Exception {
    assumeTrue(REAL_URI.isEmpty(), "needs the fake");
    MilvusVectorStore store = store(layout);
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      writes.add(store.upsert(List.of(chunk("acme", "faq", "d" + i, 1, 0, "text " + i, 1, i, 0, 0)))
          .toCompletableFuture());
    }
    for (CompletableFuture<Void> write : writes) await(write);
    await(store.upsert(List.of(chunk("acme", "faq", "d9", 1, 0, "later", 1, 0, 0, 0))));
    await(store.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0, 0, 0}, 3));

    assertEquals(1, fake.calls("CreateCollection"));
    assertEquals(1, fake.calls("CreateIndex"));
    assertEquals(1, fake.calls("LoadCollection"));
    FakeMilvusServer.FakeCollection collection = fake.collection(store.collectionName("acme"));
    assertEquals(layout == Layout.PARTITION_KEY,
        collection.field(MilvusVectorStore.TENANT).getIsPartitionKey());
    assertEquals(Map.of("index_type", "HNSW", "metric_type", "COSINE", "M", "16", "efConstruction", "200"),
        params(collection.index.getParamsList()));

    SearchRequest search = fake.searches().get(0);
    Map<String, String> searchParams = params(search.getSearchParamsList());
    assertEquals("COSINE", searchParams.get("metric_type"));
    assertEquals("vector", searchParams.get("anns_field"));
    assertTrue(searchParams.get("params").contains("\"ef\":64"), searchParams.toString());
    assertEquals("3", searchParams.get("topk"));

    await(store.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0, 0, 0}, 100));
    assertTrue(params(fake.searches().get(1).getSearchParamsList()).get("params").contains("\"ef\":100"),
        "ef is raised to a limit above it");
    assertEquals(io.milvus.grpc.ConsistencyLevel.Strong, search.getConsistencyLevel());
    assertEquals("tenant == \"acme\"", search.getDsl());
  }

  @Test
  void ivfFlatIsBuiltWithNlistAndSearchedWithNprobe() throws Exception {
    assumeTrue(REAL_URI.isEmpty(), "needs the fake");
    MilvusVectorStore store = store(settings(Layout.PARTITION_KEY).withIndex(new MilvusSettings.Index.IvfFlat(128, 8)));
    await(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "text", 1, 0, 0, 0))));
    await(store.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0, 0, 0}, 3));

    assertEquals(Map.of("index_type", "IVF_FLAT", "metric_type", "COSINE", "nlist", "128"),
        params(fake.collection(store.collectionName("acme")).index.getParamsList()));
    assertTrue(params(fake.searches().get(0).getSearchParamsList()).get("params").contains("\"nprobe\":8"));
  }

  @Test
  void searchingOrDeletingForATenantWithoutACollectionCreatesNothing() throws Exception {
    assumeTrue(REAL_URI.isEmpty(), "needs the fake");
    MilvusVectorStore store = store(Layout.COLLECTION_PER_TENANT);
    assertEquals(List.of(), await(store.searchVector(SearchFilter.tenant("t1"), new float[] {1, 0, 0, 0}, 5)));
    await(store.removeCollection("t1", "faq"));
    assertEquals(0, fake.calls("CreateCollection"));
    assertEquals(0, fake.calls("Delete"));
  }

  @Test
  void aServerErrorFailsTheStageNamingTheOperationAndReason() throws Exception {
    assumeTrue(REAL_URI.isEmpty(), "needs the fake");
    MilvusVectorStore store = store(Layout.PARTITION_KEY);
    fake.failNext("Upsert", 1, new FakeMilvusServer.Fault.MilvusError(65535, "disk quota exceeded"));

    Throwable failed = failure(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "t", 1, 0, 0, 0))));

    assertInstanceOf(MilvusVectorStore.MilvusStoreException.class, failed);
    assertTrue(failed.getMessage().contains("upsert of 1 chunks into " + prefix), failed.getMessage());
    assertTrue(failed.getMessage().contains("disk quota exceeded"), failed.getMessage());
    await(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "t", 1, 0, 0, 0))));
  }

  @Test
  void anUnavailableServerFailsTheStage() throws Exception {
    assumeTrue(REAL_URI.isEmpty(), "needs the fake");
    MilvusVectorStore store = store(Layout.PARTITION_KEY);
    await(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "t", 1, 0, 0, 0))));
    fake.failNext("Search", 5, new FakeMilvusServer.Fault.GrpcError(
        io.milvus.shaded.io.grpc.Status.Code.UNAVAILABLE, "node restarting"));

    Throwable failed = failure(store.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0, 0, 0}, 3));

    assertInstanceOf(MilvusVectorStore.MilvusStoreException.class, failed);
    assertTrue(failed.getMessage().contains("Milvus search in " + prefix), failed.getMessage());
    assertTrue(failed.getMessage().contains("UNAVAILABLE"), failed.getMessage());
  }

  @Test
  void aSilentServerFailsTheStageAtTheRequestTimeout() throws Exception {
    assumeTrue(REAL_URI.isEmpty(), "needs the fake");
    MilvusVectorStore store = store(settings(Layout.PARTITION_KEY)
        .withTimeouts(Duration.ofSeconds(5), Duration.ofMillis(500), 0, Duration.ofMillis(10)));
    await(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "t", 1, 0, 0, 0))));
    fake.failNext("Search", 1, new FakeMilvusServer.Fault.Stall());

    long start = System.nanoTime();
    Throwable failed = failure(store.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0, 0, 0}, 3));
    long tookMs = (System.nanoTime() - start) / 1_000_000;

    assertTrue(failed.getMessage().contains("DEADLINE_EXCEEDED"), failed.getMessage());
    assertTrue(tookMs < 5_000, "took " + tookMs + " ms");
  }

  @Test
  void aFailedPreparationIsRetriedByTheNextCall() throws Exception {
    assumeTrue(REAL_URI.isEmpty(), "needs the fake");
    MilvusVectorStore store = store(Layout.COLLECTION_PER_TENANT);
    fake.failNext("CreateIndex", 1, new FakeMilvusServer.Fault.MilvusError(1100, "index params invalid"));

    Throwable failed = failure(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "t", 1, 0, 0, 0))));
    assertTrue(failed.getMessage().contains("preparation of collection " + store.collectionName("acme")),
        failed.getMessage());
    assertTrue(failed.getMessage().contains("index params invalid"), failed.getMessage());

    await(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "t", 1, 0, 0, 0))));
    assertEquals(1, fake.calls("CreateCollection"));
    assertEquals(2, fake.calls("CreateIndex"));
    assertEquals(1, await(store.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0, 0, 0}, 3)).size());
  }

  @Test
  void vectorsOfTheWrongDimensionAreRefusedBeforeAnyCall() throws Exception {
    assumeTrue(REAL_URI.isEmpty(), "needs the fake");
    MilvusVectorStore store = store(Layout.PARTITION_KEY);
    Throwable failed = failure(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "t", 1, 0, 0))));
    assertTrue(failed.getMessage().contains("3 dimensions"), failed.getMessage());
    assertTrue(failure(store.searchVector(SearchFilter.tenant("acme"), new float[] {1}, 3)).getMessage()
        .contains("1 dimensions"));
    assertEquals(0, fake.calls("Upsert") + fake.calls("Search"));
  }

  @Test
  void anUnreachableServerFailsCallsNotConstruction() throws Exception {
    assumeTrue(REAL_URI.isEmpty(), "needs the fake");
    FakeMilvusServer gone = FakeMilvusServer.start();
    String uri = gone.uri();
    gone.close();
    MilvusVectorStore store = store(MilvusSettings.defaults(uri, Layout.PARTITION_KEY, DIMENSION)
        .withTimeouts(Duration.ofMillis(500), Duration.ofMillis(500), 0, Duration.ofMillis(10)));

    Throwable failed = failure(store.searchVector(SearchFilter.tenant("acme"), new float[] {1, 0, 0, 0}, 3));

    assertTrue(failed.getMessage().contains("cannot connect to Milvus at " + uri), failed.getMessage());
  }

  static Map<String, String> params(List<KeyValuePair> pairs) {
    return pairs.stream().collect(Collectors.toMap(KeyValuePair::getKey, KeyValuePair::getValue));
  }
}
