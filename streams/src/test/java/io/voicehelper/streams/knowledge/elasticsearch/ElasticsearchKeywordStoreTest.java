package io.voicehelper.streams.knowledge.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.withMetadata;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

/**
 * The Elasticsearch keyword store against {@link FakeElasticsearchServer}, or against a real Elasticsearch 8 when
 * {@code -Delasticsearch.url=...} is set (then the fault-injection tests are skipped; {@code
 * -Delasticsearch.analyzer=smartcn} picks the analyzer).
 */
class ElasticsearchKeywordStoreTest {

  static final String REAL_URL = System.getProperty("elasticsearch.url", "").strip();
  static final String ANALYZER = System.getProperty("elasticsearch.analyzer", "standard").strip();

  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private final String prefix = "vhtest-" + UUID.randomUUID().toString().substring(0, 8);
  private FakeElasticsearchServer fake;
  private final List<ElasticsearchKeywordStore> stores = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (ElasticsearchKeywordStore store : stores) store.close();
    if (fake != null) fake.close();
    if (!REAL_URL.isEmpty()) {
      HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(REAL_URL + "/" + prefix + "-*"))
          .DELETE().build(), HttpResponse.BodyHandlers.discarding());
    }
    executor.shutdownNow();
  }

  ElasticsearchSettings settings() throws Exception {
    String url = REAL_URL;
    if (url.isEmpty()) {
      if (fake == null) fake = FakeElasticsearchServer.start();
      url = fake.url();
    }
    return ElasticsearchSettings.defaults(url).withIndexPrefix(prefix).withShards(1, 0)
        .withAnalyzers(ANALYZER, "");
  }

  ElasticsearchKeywordStore store() throws Exception {
    return store(settings());
  }

  ElasticsearchKeywordStore store(ElasticsearchSettings settings) {
    ElasticsearchKeywordStore store = new ElasticsearchKeywordStore(settings, executor);
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
      String text) {
    DocumentRef ref = new DocumentRef(tenant, collection, document);
    return new EmbeddedChunk(new Chunk(Chunk.idFor(ref, version, position, text), ref, version, position,
        List.of("FAQ", "Returns"), text, text.length() / 4 + 1), new float[] {1, 0});
  }

  static List<String> texts(List<SearchHit> hits) {
    return hits.stream().map(h -> h.chunk().text()).collect(Collectors.toList());
  }

  // -------------------------------------------------------------------------------------------------------------

  @Test
  void searchRanksTheTenantsMatchingChunksByBm25WithTheirFields() throws Exception {
    ElasticsearchKeywordStore store = store();
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "Refunds are paid within five days. Refunds need the receipt."),
        chunk("acme", "faq", "d1", 1, 1, "Shipping is free above fifty euros, refunds excepted from that rule."),
        chunk("acme", "faq", "d2", 1, 0, "Opening hours are nine to five."),
        chunk("globex", "faq", "d1", 1, 0, "Globex refunds are secret."))));

    List<SearchHit> hits = await(store.searchKeyword(SearchFilter.tenant("acme"), "refunds receipt", 10));

    assertEquals(2, hits.size(), texts(hits).toString());
    assertTrue(hits.get(0).chunk().text().startsWith("Refunds are paid"), texts(hits).toString());
    assertTrue(hits.get(0).score() > hits.get(1).score());
    Chunk best = hits.get(0).chunk();
    assertEquals(new DocumentRef("acme", "faq", "d1"), best.document());
    assertEquals(List.of("FAQ", "Returns"), best.headingPath());
    assertEquals(Chunk.idFor(best.document(), 1, 0, best.text()), best.chunkId());
    assertEquals(best.text().length() / 4 + 1, best.tokens());

    assertEquals(List.of("Globex refunds are secret."),
        texts(await(store.searchKeyword(SearchFilter.tenant("globex"), "refunds", 10))));
    assertEquals(List.of(), texts(await(store.searchKeyword(SearchFilter.tenant("nobody"), "refunds", 10))));
  }

  @Test
  void versionAndEveryMetadataPairFilterTheSearch() throws Exception {
    ElasticsearchKeywordStore store = store();
    Map<String, String> eu = Map.of("region", "eu", "product.line", "camera");
    await(store.upsert(List.of(
        withMetadata(chunk("acme", "faq", "d1", 2, 0, "Refunds for cameras in Europe."), eu),
        withMetadata(chunk("acme", "faq", "d2", 1, 0, "Refunds for cameras in America."), Map.of("region", "us")),
        chunk("acme", "faq", "d3", 1, 0, "Refunds without any metadata."))));

    List<SearchHit> found = await(store.searchKeyword(filter(Optional.empty(), Optional.empty(), eu), "refunds", 10));
    assertEquals(List.of("Refunds for cameras in Europe."), texts(found));
    assertEquals(eu, found.get(0).chunk().metadata());
    assertEquals(List.of("Refunds for cameras in America."), texts(await(store.searchKeyword(
        filter(Optional.empty(), Optional.empty(), Map.of("region", "us")), "refunds", 10))));
    assertEquals(List.of(), texts(await(store.searchKeyword(
        filter(Optional.empty(), Optional.empty(), Map.of("region", "eu", "product.line", "phone")), "refunds", 10))));
    assertEquals(List.of("Refunds for cameras in Europe."), texts(await(store.searchKeyword(
        filter(Optional.of("d1"), Optional.of(2), Map.of()), "refunds", 10))));
    assertEquals(List.of(), texts(await(store.searchKeyword(filter(Optional.of("d1"), Optional.of(1), Map.of()),
        "refunds", 10))));
    assertEquals(Map.of(), await(store.searchKeyword(filter(Optional.of("d3"), Optional.empty(), Map.of()),
        "refunds", 10)).get(0).chunk().metadata());
  }

  @Test
  void anIndexCreatedBeforeMetadataGetsTheFieldMapped() throws Exception {
    assumeTrue(REAL_URL.isEmpty(), "needs the fake to stand in for an old index");
    await(store().upsert(List.of(chunk("acme", "faq", "old", 1, 0, "Refunds, the old way."))));
    ObjectNode properties = (ObjectNode) fake.index(prefix + "-acme").mappings.get("properties");
    assertEquals("flattened", properties.path("metadata").path("type").asText());
    properties.remove("metadata"); // as created before chunks had metadata: strict mapping refuses the field

    ElasticsearchKeywordStore restarted = store(); // a new process checks the index again
    await(restarted.upsert(List.of(withMetadata(chunk("acme", "faq", "new", 1, 0, "Refunds, the new way."),
        Map.of("region", "eu")))));
    assertEquals(1, fake.requests("put_mapping").size());
    assertEquals(List.of("Refunds, the new way."), texts(await(restarted.searchKeyword(
        filter(Optional.empty(), Optional.empty(), Map.of("region", "eu")), "refunds", 10))));
    assertEquals(2, await(restarted.searchKeyword(SearchFilter.tenant("acme"), "refunds", 10)).size());
  }

  static SearchFilter filter(Optional<String> document, Optional<Integer> version, Map<String, String> metadata) {
    return new SearchFilter("acme", Set.of(), document, version, metadata);
  }

  @Test
  void chineseTextIsFound() throws Exception {
    ElasticsearchKeywordStore store = store();
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "退款将在五个工作日内到账。"),
        chunk("acme", "faq", "d2", 1, 0, "我们的营业时间是早九点到晚五点。"))));
    assertEquals(List.of("退款将在五个工作日内到账。"),
        texts(await(store.searchKeyword(SearchFilter.tenant("acme"), "退款", 10))));
  }

  @Test
  void searchHonoursCollectionsDocumentAndLimit() throws Exception {
    ElasticsearchKeywordStore store = store();
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "password reset steps"),
        chunk("acme", "faq", "d2", 1, 0, "password reset password reset"),
        chunk("acme", "manuals", "d3", 1, 0, "password policy"),
        chunk("acme", "internal", "d4", 1, 0, "password vault"))));

    assertEquals(Set.of("password reset steps", "password reset password reset", "password policy"),
        Set.copyOf(texts(await(store.searchKeyword(
            new SearchFilter("acme", Set.of("faq", "manuals"), Optional.empty()), "password", 10)))));
    assertEquals(List.of("password reset steps"), texts(await(store.searchKeyword(
        new SearchFilter("acme", Set.of("faq"), Optional.of("d1")), "password", 10))));
    assertEquals(2, await(store.searchKeyword(SearchFilter.tenant("acme"), "password", 2)).size());
  }

  @Test
  void upsertReplacesByChunkId() throws Exception {
    ElasticsearchKeywordStore store = store();
    EmbeddedChunk chunk = chunk("acme", "faq", "d1", 1, 0, "same chunk twice");
    await(store.upsert(List.of(chunk)));
    await(store.upsert(List.of(chunk)));
    assertEquals(1, await(store.searchKeyword(SearchFilter.tenant("acme"), "chunk", 10)).size());
  }

  @Test
  void removeDocumentKeepsOnlyTheKeptVersion() throws Exception {
    ElasticsearchKeywordStore store = store();
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "warranty old version"),
        chunk("acme", "faq", "d1", 2, 0, "warranty new version"),
        chunk("acme", "faq", "d2", 1, 0, "warranty other document"),
        chunk("globex", "faq", "d1", 1, 0, "warranty other tenant"))));

    await(store.removeDocument(new DocumentRef("acme", "faq", "d1"), 2));
    assertEquals(Set.of("warranty new version", "warranty other document"),
        Set.copyOf(texts(await(store.searchKeyword(SearchFilter.tenant("acme"), "warranty", 10)))));

    await(store.removeDocument(new DocumentRef("acme", "faq", "d1"), 0));
    assertEquals(List.of("warranty other document"),
        texts(await(store.searchKeyword(SearchFilter.tenant("acme"), "warranty", 10))));
    assertEquals(List.of("warranty other tenant"),
        texts(await(store.searchKeyword(SearchFilter.tenant("globex"), "warranty", 10))));
  }

  @Test
  void removeVersionRemovesExactlyThatVersionOfThatDocumentOfThatTenant() throws Exception {
    ElasticsearchKeywordStore store = store();
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "warranty old version"),
        chunk("acme", "faq", "d1", 2, 0, "warranty new version"),
        chunk("acme", "faq", "d2", 1, 0, "warranty other document"),
        chunk("acme", "manuals", "d1", 1, 0, "warranty other collection"),
        chunk("globex", "faq", "d1", 1, 0, "warranty other tenant"))));

    await(store.removeVersion(new DocumentRef("acme", "faq", "d1"), 1));

    assertEquals(Set.of("warranty new version", "warranty other document", "warranty other collection"),
        Set.copyOf(texts(await(store.searchKeyword(SearchFilter.tenant("acme"), "warranty", 10)))));
    assertEquals(List.of("warranty other tenant"),
        texts(await(store.searchKeyword(SearchFilter.tenant("globex"), "warranty", 10))));
    await(store.removeVersion(new DocumentRef("nobody", "faq", "d1"), 1)); // no index yet: a no-op
  }

  @Test
  void removeCollectionRemovesOnlyThatCollectionOfThatTenant() throws Exception {
    ElasticsearchKeywordStore store = store();
    await(store.upsert(List.of(
        chunk("acme", "faq", "d1", 1, 0, "invoice faq"),
        chunk("acme", "manuals", "d2", 1, 0, "invoice manual"),
        chunk("globex", "faq", "d1", 1, 0, "invoice globex"))));

    await(store.removeCollection("acme", "faq"));

    assertEquals(List.of("invoice manual"),
        texts(await(store.searchKeyword(SearchFilter.tenant("acme"), "invoice", 10))));
    assertEquals(List.of("invoice globex"),
        texts(await(store.searchKeyword(SearchFilter.tenant("globex"), "invoice", 10))));
  }

  @Test
  void removingFromATenantWithoutAnIndexIsANoOp() throws Exception {
    ElasticsearchKeywordStore store = store();
    await(store.removeCollection("nobody", "faq"));
    await(store.removeDocument(new DocumentRef("nobody", "faq", "d1"), 0));
  }

  @Test
  void tenantIndexNamesAreValidAndDistinct() throws Exception {
    ElasticsearchKeywordStore store = store();
    assertEquals(prefix + "-acme", store.indexName("acme"));
    Set<String> names = Set.of(store.indexName("Acme"), store.indexName("acme"), store.indexName("a c/m*e"),
        store.indexName("a_c_m_e"));
    assertEquals(4, names.size());
    for (String name : names) assertTrue(name.matches("[a-z0-9][a-z0-9_-]*"), name);
    assertTrue(store.indexName("租户".repeat(100)).length() < 200);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Against the fake only: what the wire carried, faults

  @Test
  void theIndexIsCreatedOnceWithStrictMappingsAndTheAnalyzer() throws Exception {
    assumeTrue(REAL_URL.isEmpty(), "needs the fake");
    ElasticsearchKeywordStore store = store(settings().withAnalyzers("ik_max_word", "ik_smart"));
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      writes.add(store.upsert(List.of(chunk("acme", "faq", "d" + i, 1, 0, "text " + i))).toCompletableFuture());
    }
    for (CompletableFuture<Void> write : writes) await(write);
    await(store.upsert(List.of(chunk("acme", "faq", "d9", 1, 0, "later"))));

    assertEquals(1, fake.requests("create").size());
    JsonNode mappings = fake.index(prefix + "-acme").mappings;
    assertEquals("strict", mappings.path("dynamic").asText());
    assertEquals("ik_max_word", mappings.path("properties").path("text").path("analyzer").asText());
    assertEquals("ik_smart", mappings.path("properties").path("text").path("search_analyzer").asText());
    assertEquals("keyword", mappings.path("properties").path("tenant").path("type").asText());
    for (FakeElasticsearchServer.Recorded bulk : fake.requests("bulk")) {
      assertEquals("wait_for", bulk.params().get("refresh"));
    }
  }

  @Test
  void theSearchIsABoolOfMatchAndFilters() throws Exception {
    assumeTrue(REAL_URL.isEmpty(), "needs the fake");
    ElasticsearchKeywordStore store = store();
    await(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "hello"))));
    await(store.searchKeyword(new SearchFilter("acme", Set.of("faq", "b"), Optional.of("d1")), "hello", 7));

    JsonNode search = FakeElasticsearchServer.JSON.readTree(fake.requests("search").get(0).body());
    assertEquals(7, search.path("size").asInt());
    JsonNode bool = search.path("query").path("bool");
    assertEquals("hello", bool.path("must").get(0).path("match").path("text").path("query").asText());
    assertEquals("acme", bool.path("filter").get(0).path("term").path("tenant").path("value").asText());
    assertEquals("[\"b\",\"faq\"]", bool.path("filter").get(1).path("terms").path("collection").toString());
    assertEquals("d1", bool.path("filter").get(2).path("term").path("document").path("value").asText());
  }

  @Test
  void credentialsAreSent() throws Exception {
    assumeTrue(REAL_URL.isEmpty(), "needs the fake");
    await(store(settings().withCredentials("a2V5OnNlY3JldA==", "", "")).removeCollection("acme", "faq"));
    await(store(settings().withCredentials("", "elastic", "pa:ss")).removeCollection("acme", "faq"));
    List<FakeElasticsearchServer.Recorded> requests = fake.requests();
    assertEquals("ApiKey a2V5OnNlY3JldA==", requests.get(0).authorization());
    assertEquals("Basic ZWxhc3RpYzpwYTpzcw==", requests.get(1).authorization());
  }

  @Test
  void aFailedBulkItemFailsTheStageNamingTheChunk() throws Exception {
    assumeTrue(REAL_URL.isEmpty(), "needs the fake");
    ElasticsearchKeywordStore store = store();
    EmbeddedChunk good = chunk("acme", "faq", "d1", 1, 0, "good chunk");
    EmbeddedChunk bad = chunk("acme", "faq", "d1", 1, 1, "bad chunk");
    fake.failBulkItems(bad.chunk().chunkId()::equals);

    Throwable failed = failure(store.upsert(List.of(good, bad)));

    assertInstanceOf(ElasticsearchKeywordStore.ElasticsearchStoreException.class, failed);
    assertTrue(failed.getMessage().contains("1 of 2 chunks failed"), failed.getMessage());
    assertTrue(failed.getMessage().contains(bad.chunk().chunkId() + ": mapper_parsing_exception"),
        failed.getMessage());
  }

  @Test
  void aRejectedRequestFailsTheStageWithTheServersReason() throws Exception {
    assumeTrue(REAL_URL.isEmpty(), "needs the fake");
    ElasticsearchKeywordStore store = store();
    await(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "hello"))));
    fake.failNext("search", 1, new FakeElasticsearchServer.Fault.Error(429, "es_rejected_execution_exception",
        "rejected execution of search: queue capacity 1000 reached"));
    fake.failNext("bulk", 1, new FakeElasticsearchServer.Fault.Error(500, "illegal_state_exception", "disk broken"));

    Throwable rejected = failure(store.searchKeyword(SearchFilter.tenant("acme"), "hello", 3));
    Throwable broken = failure(store.upsert(List.of(chunk("acme", "faq", "d2", 1, 0, "x"))));

    assertInstanceOf(ElasticsearchKeywordStore.ElasticsearchStoreException.class, rejected);
    assertTrue(rejected.getMessage().contains("search in " + prefix + "-acme failed: status 429, "
        + "es_rejected_execution_exception: rejected execution"), rejected.getMessage());
    assertTrue(broken.getMessage().contains("bulk upsert of 1 chunks into " + prefix + "-acme failed: status 500"),
        broken.getMessage());
    assertEquals(List.of("hello"), texts(await(store.searchKeyword(SearchFilter.tenant("acme"), "hello", 3))));
  }

  @Test
  void aFailedIndexCreationIsRetriedByTheNextWrite() throws Exception {
    assumeTrue(REAL_URL.isEmpty(), "needs the fake");
    ElasticsearchKeywordStore store = store();
    fake.failNext("create", 1, new FakeElasticsearchServer.Fault.Error(400, "illegal_argument_exception",
        "failed to find analyzer [smartcn]"));

    Throwable failed = failure(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "hello"))));
    assertTrue(failed.getMessage().contains("creation of index " + prefix + "-acme failed"), failed.getMessage());
    assertTrue(failed.getMessage().contains("failed to find analyzer [smartcn]"), failed.getMessage());
    assertEquals(0, fake.requests("bulk").size());

    await(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "hello"))));
    assertEquals(2, fake.requests("create").size());
  }

  @Test
  void anIndexCreatedMeanwhileByAnotherNodeIsAccepted() throws Exception {
    assumeTrue(REAL_URL.isEmpty(), "needs the fake");
    ElasticsearchKeywordStore other = store();
    ElasticsearchKeywordStore store = store();
    await(other.upsert(List.of(chunk("acme", "faq", "d0", 1, 0, "first"))));
    // the index did not exist yet when this node looked
    fake.failNext("exists", 1, new FakeElasticsearchServer.Fault.Error(404, "", ""));

    await(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "second"))));

    assertEquals(2, fake.requests("create").size());
    assertEquals(2, await(store.searchKeyword(SearchFilter.tenant("acme"), "first second", 3)).size());
  }

  @Test
  void aSilentServerFailsTheStageAtTheRequestTimeout() throws Exception {
    assumeTrue(REAL_URL.isEmpty(), "needs the fake");
    ElasticsearchKeywordStore store = store(settings().withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500)));
    await(store.upsert(List.of(chunk("acme", "faq", "d1", 1, 0, "hello"))));
    fake.failNext("search", 1, new FakeElasticsearchServer.Fault.Stall());

    long start = System.nanoTime();
    Throwable failed = failure(store.searchKeyword(SearchFilter.tenant("acme"), "hello", 3));
    long tookMs = (System.nanoTime() - start) / 1_000_000;

    assertInstanceOf(ElasticsearchKeywordStore.ElasticsearchStoreException.class, failed);
    assertTrue(failed.getMessage().contains("SocketTimeoutException"), failed.getMessage());
    assertTrue(tookMs < 5_000, "took " + tookMs + " ms");
  }

  @Test
  void anUnreachableServerFailsTheStage() throws Exception {
    assumeTrue(REAL_URL.isEmpty(), "needs the fake");
    FakeElasticsearchServer gone = FakeElasticsearchServer.start();
    String url = gone.url();
    gone.close();
    ElasticsearchKeywordStore store = store(ElasticsearchSettings.defaults(url).withIndexPrefix(prefix));

    Throwable failed = failure(store.searchKeyword(SearchFilter.tenant("acme"), "hello", 3));

    assertTrue(failed.getMessage().contains("Elasticsearch search in " + prefix + "-acme failed: Connect"),
        failed.getMessage());
  }
}
