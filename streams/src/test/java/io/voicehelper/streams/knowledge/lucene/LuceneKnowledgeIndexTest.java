package io.voicehelper.streams.knowledge.lucene;

import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.await;
import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.chunk;
import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.texts;
import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.withMetadata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node-local Lucene index with 4-d hand-made vectors: both searches, their filters, writes, reopening. */
class LuceneKnowledgeIndexTest {

  static final ExecutorService blocking = Executors.newFixedThreadPool(2);
  static final ActorTestKit testKit = ActorTestKit.create();
  static final String MODEL = "test-model-v1";

  static final DocumentRef RETURNS = new DocumentRef("tenant-a", "policies", "returns");
  static final DocumentRef SHIPPING = new DocumentRef("tenant-a", "policies", "shipping");
  static final DocumentRef MANUAL = new DocumentRef("tenant-a", "manuals", "router");
  static final DocumentRef OTHER_TENANT = new DocumentRef("tenant-b", "policies", "returns");

  static final String RETURNS_ZH = "退货政策：自签收之日起七天内可以申请无理由退货，退款将在三个工作日内原路退回。";
  static final String SHIPPING_ZH = "配送说明：订单在付款后四十八小时内发货，偏远地区可能需要更长时间。";
  static final String ROUTER_EN = "To reset the router, hold the reset button for ten seconds until the lights blink.";
  static final String REFUND_EN = "Refunds are issued to the original payment method within three business days.";
  static final String SECRET_B = "Tenant B private: refunds and 退货政策 for VIP customers only.";

  @TempDir Path dir;
  LuceneKnowledgeIndex index;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    blocking.shutdown();
  }

  @BeforeEach
  void open() throws Exception {
    index = new LuceneKnowledgeIndex(dir, 4, MODEL, blocking);
    await(index.upsert(List.of(
        chunk(RETURNS, 1, 0, RETURNS_ZH, 1, 0, 0, 0),
        chunk(RETURNS, 1, 1, REFUND_EN, 0.9f, 0.1f, 0, 0),
        chunk(SHIPPING, 1, 0, SHIPPING_ZH, 0, 1, 0, 0),
        chunk(MANUAL, 3, 0, ROUTER_EN, 0, 0, 1, 0),
        chunk(OTHER_TENANT, 1, 0, SECRET_B, 1, 0, 0, 0))));
  }

  @AfterEach
  void close() throws Exception {
    index.close();
  }

  static SearchFilter tenantA() {
    return SearchFilter.tenant("tenant-a");
  }

  @Test
  void keywordSearchFindsChineseTextByAChineseQuery() throws Exception {
    assertEquals(RETURNS_ZH, texts(await(index.searchKeyword(tenantA(), "退货政策", 5))).get(0));
    assertEquals(RETURNS_ZH, texts(await(index.searchKeyword(tenantA(), "怎么退款", 5))).get(0));
    assertEquals(SHIPPING_ZH, texts(await(index.searchKeyword(tenantA(), "什么时候发货", 5))).get(0));
  }

  @Test
  void keywordSearchFindsEnglishTextByAnEnglishQueryWithOtherWordForms() throws Exception {
    assertEquals(ROUTER_EN, texts(await(index.searchKeyword(tenantA(), "How do I reset my router?", 5))).get(0));
    List<SearchHit> refund = await(index.searchKeyword(tenantA(), "refund", 5));
    assertEquals(REFUND_EN, texts(refund).get(0));
    assertTrue(refund.get(0).score() > 0);
  }

  @Test
  void keywordSearchReconstructsTheChunk() throws Exception {
    EmbeddedChunk written = chunk(MANUAL, 3, 0, ROUTER_EN, 0, 0, 1, 0);
    SearchHit hit = await(index.searchKeyword(tenantA(), "router", 1)).get(0);
    assertEquals(written.chunk(), hit.chunk());
  }

  @Test
  void aQueryWithoutWordsFindsNothing() throws Exception {
    assertEquals(List.of(), await(index.searchKeyword(tenantA(), "？！。", 5)));
    assertEquals(List.of(), await(index.searchKeyword(tenantA(), "   ", 5)));
  }

  @Test
  void aVeryLongQueryIsSearchedByItsBeginningInsteadOfFailing() throws Exception {
    String chinese = RETURNS_ZH.repeat(200); // ~8,000 characters: thousands of words and bigrams
    List<SearchHit> hits = await(index.searchKeyword(tenantA(), chinese, 10));
    assertFalse(hits.isEmpty());
    assertEquals(RETURNS_ZH, hits.get(0).chunk().text());

    String english = "refunds original payment ".repeat(2_000);
    assertEquals(REFUND_EN, texts(await(index.searchKeyword(tenantA(), english, 10))).get(0));
  }

  @Test
  void vectorSearchReturnsTheNearestFirstWithCosineScores() throws Exception {
    List<SearchHit> hits = await(index.searchVector(tenantA(), new float[] {0, 0.2f, 2, 0}, 2));
    assertEquals(List.of(ROUTER_EN, SHIPPING_ZH), texts(hits));
    assertEquals(2 / Math.sqrt(4.04), hits.get(0).score(), 1e-5);
    assertEquals(0.2 / Math.sqrt(4.04), hits.get(1).score(), 1e-5);
  }

  @Test
  void tenantBNeverSeesTenantAAndViceVersa() throws Exception {
    SearchFilter tenantB = SearchFilter.tenant("tenant-b");
    assertEquals(List.of(SECRET_B), texts(await(index.searchKeyword(tenantB, "refunds 退货政策 router 发货", 10))));
    assertEquals(List.of(SECRET_B), texts(await(index.searchVector(tenantB, new float[] {0, 0, 1, 0}, 10))));
    assertFalse(texts(await(index.searchKeyword(tenantA(), "VIP private refunds", 10))).contains(SECRET_B));
    assertFalse(texts(await(index.searchVector(tenantA(), new float[] {1, 0, 0, 0}, 10))).contains(SECRET_B));
    assertEquals(List.of(), await(index.searchVector(SearchFilter.tenant("tenant-c"), new float[] {1, 0, 0, 0}, 10)));
  }

  @Test
  void collectionAndDocumentFiltersApplyToBothSearches() throws Exception {
    SearchFilter manuals = new SearchFilter("tenant-a", Set.of("manuals"), Optional.empty());
    assertEquals(List.of(ROUTER_EN), texts(await(index.searchVector(manuals, new float[] {1, 0, 0, 0}, 10))));
    assertEquals(List.of(), await(index.searchKeyword(manuals, "退货政策", 10)));
    SearchFilter both = new SearchFilter("tenant-a", Set.of("manuals", "policies"), Optional.empty());
    assertEquals(4, await(index.searchVector(both, new float[] {1, 0, 0, 0}, 10)).size());
    SearchFilter shipping = new SearchFilter("tenant-a", Set.of(), Optional.of("shipping"));
    assertEquals(List.of(SHIPPING_ZH), texts(await(index.searchVector(shipping, new float[] {1, 0, 0, 0}, 10))));
    assertEquals(List.of(), await(index.searchKeyword(shipping, "退货政策 refund", 10)));
  }

  @Test
  void aVersionFilterFindsOnlyThatVersionOfTheDocument() throws Exception {
    SearchFilter v3 = new SearchFilter("tenant-a", Set.of(), Optional.of("router"), Optional.of(3), Map.of());
    assertEquals(List.of(ROUTER_EN), texts(await(index.searchVector(v3, new float[] {1, 0, 0, 0}, 10))));
    assertEquals(List.of(ROUTER_EN), texts(await(index.searchKeyword(v3, "reset the router", 10))));
    SearchFilter v2 = new SearchFilter("tenant-a", Set.of(), Optional.of("router"), Optional.of(2), Map.of());
    assertEquals(List.of(), await(index.searchVector(v2, new float[] {0, 0, 1, 0}, 10)));
    assertEquals(List.of(), await(index.searchKeyword(v2, "reset the router", 10)));
  }

  @Test
  void metadataFiltersNeedEveryPairAndTheHitsCarryTheMetadata() throws Exception {
    Map<String, String> eu = Map.of("region", "eu", "lang", "zh-cn");
    await(index.upsert(List.of(
        withMetadata(chunk(RETURNS, 1, 0, RETURNS_ZH, 1, 0, 0, 0), eu),
        withMetadata(chunk(SHIPPING, 1, 0, SHIPPING_ZH, 0, 1, 0, 0), Map.of("region", "us", "lang", "zh-cn")))));
    float[] any = {1, 1, 1, 0};
    List<SearchHit> euHits = await(index.searchVector(metadata(Map.of("region", "eu")), any, 10));
    assertEquals(List.of(RETURNS_ZH), texts(euHits));
    assertEquals(eu, euHits.get(0).chunk().metadata());
    assertEquals(List.of(RETURNS_ZH), texts(await(index.searchKeyword(metadata(eu), "退货政策 配送", 10))));
    assertEquals(2, await(index.searchVector(metadata(Map.of("lang", "zh-cn")), any, 10)).size());
    assertEquals(List.of(), await(index.searchVector(metadata(Map.of("region", "eu", "lang", "en")), any, 10)));
    assertEquals(List.of(), await(index.searchKeyword(metadata(Map.of("region", "eu=x")), "退货政策", 10)));
    assertEquals(Map.of(), await(index.searchKeyword(tenantA(), "router", 1)).get(0).chunk().metadata());
  }

  static SearchFilter metadata(Map<String, String> pairs) {
    return new SearchFilter("tenant-a", Set.of(), Optional.empty(), Optional.empty(), pairs);
  }

  @Test
  void upsertingTheSameChunkAgainReplacesIt() throws Exception {
    await(index.upsert(List.of(chunk(MANUAL, 3, 0, ROUTER_EN, 0, 0, 0, 1))));
    List<SearchHit> hits = await(index.searchVector(tenantA(), new float[] {0, 0, 0, 1}, 10));
    assertEquals(4, hits.size());
    assertEquals(ROUTER_EN, hits.get(0).chunk().text());
    assertEquals(1.0, hits.get(0).score(), 1e-5);
  }

  @Test
  void removeDocumentKeepsOnlyTheKeptVersion() throws Exception {
    await(index.upsert(List.of(
        chunk(RETURNS, 2, 0, "退货政策（新版）：十五天内可以退货。", 1, 0, 0, 0),
        chunk(RETURNS, 3, 0, "退货政策（草稿）：三十天内可以退货。", 1, 0, 0, 0))));
    await(index.removeDocument(RETURNS, 2));
    SearchFilter returns = new SearchFilter("tenant-a", Set.of(), Optional.of("returns"));
    List<SearchHit> left = await(index.searchVector(returns, new float[] {1, 0, 0, 0}, 10));
    assertEquals(List.of(2), left.stream().map(hit -> hit.chunk().version()).toList());
    assertEquals(1, await(index.searchKeyword(tenantA(), "退货", 10)).size()); // the kept version, nothing else of A
    assertEquals(List.of(SECRET_B), texts(await(index.searchVector(SearchFilter.tenant("tenant-b"),
        new float[] {1, 0, 0, 0}, 10)))); // same document id in tenant B: untouched

    await(index.removeDocument(RETURNS, 0));
    assertEquals(List.of(), await(index.searchVector(returns, new float[] {1, 0, 0, 0}, 10)));
  }

  @Test
  void removeVersionRemovesExactlyThatVersionOfThatDocumentOfThatTenant() throws Exception {
    await(index.upsert(List.of(chunk(RETURNS, 2, 0, "退货政策（新版）：十五天内可以退货。", 1, 0, 0, 0))));
    await(index.removeVersion(RETURNS, 1));
    SearchFilter returns = new SearchFilter("tenant-a", Set.of(), Optional.of("returns"));
    assertEquals(List.of(2), await(index.searchVector(returns, new float[] {1, 0, 0, 0}, 10)).stream()
        .map(hit -> hit.chunk().version()).toList());
    assertEquals(List.of(SHIPPING_ZH), texts(await(index.searchVector(
        new SearchFilter("tenant-a", Set.of(), Optional.of("shipping")), new float[] {0, 1, 0, 0}, 10))));
    assertEquals(List.of(SECRET_B), texts(await(index.searchVector(SearchFilter.tenant("tenant-b"),
        new float[] {1, 0, 0, 0}, 10)))); // same document id and version in tenant B: untouched

    await(index.removeVersion(MANUAL, 1)); // a version the document does not have: nothing happens
    assertEquals(List.of(ROUTER_EN), texts(await(index.searchKeyword(tenantA(), "router", 10))));
  }

  @Test
  void removeCollectionRemovesOnlyThatCollectionOfThatTenant() throws Exception {
    await(index.removeCollection("tenant-a", "policies"));
    assertEquals(List.of(ROUTER_EN), texts(await(index.searchVector(tenantA(), new float[] {1, 0, 0, 0}, 10))));
    assertEquals(1, await(index.searchVector(SearchFilter.tenant("tenant-b"), new float[] {1, 0, 0, 0}, 10)).size());
  }

  @Test
  void reopeningFromDiskKeepsTheChunks() throws Exception {
    assertTrue(index.needsRebuild(), "a new index has not been rebuilt from the chunk table");
    await(index.rebuild(Source.single(chunk(MANUAL, 3, 0, ROUTER_EN, 0, 0, 1, 0)), materializer()));
    await(index.upsert(List.of(chunk(RETURNS, 1, 0, RETURNS_ZH, 1, 0, 0, 0))));
    index.close();

    index = new LuceneKnowledgeIndex(dir, 4, MODEL, blocking);
    assertFalse(index.needsRebuild());
    assertEquals(List.of(ROUTER_EN, RETURNS_ZH),
        texts(await(index.searchVector(tenantA(), new float[] {0, 0, 1, 0}, 10))));
    assertEquals(RETURNS_ZH, texts(await(index.searchKeyword(tenantA(), "退货", 10))).get(0));
  }

  @Test
  void anIndexOfAnotherModelOrDimensionIsDiscardedAndNeedsARebuild() throws Exception {
    await(index.rebuild(Source.single(chunk(MANUAL, 3, 0, ROUTER_EN, 0, 0, 1, 0)), materializer()));
    index.close();

    index = new LuceneKnowledgeIndex(dir, 4, "another-model", blocking);
    assertTrue(index.needsRebuild());
    assertEquals(List.of(), await(index.searchKeyword(tenantA(), "router", 10)));
    await(index.rebuild(Source.single(chunk(MANUAL, 3, 0, ROUTER_EN, 0, 0, 1, 0)), materializer()));
    assertFalse(index.needsRebuild());
    index.close();

    index = new LuceneKnowledgeIndex(dir, 8, "another-model", blocking);
    assertTrue(index.needsRebuild());
    assertEquals(List.of(), await(index.searchKeyword(tenantA(), "router", 10)));
  }

  @Test
  void aVectorOfTheWrongDimensionFailsTheWriteAndWritesNothing() throws Exception {
    Exception failure = assertThrows(IllegalArgumentException.class, () -> await(index.upsert(List.of(
        chunk(MANUAL, 4, 0, "router firmware update", 0, 0, 1, 0),
        chunk(MANUAL, 4, 1, "router warranty", 0, 0, 1)))));
    assertTrue(failure.getMessage().contains("3 dimensions"), failure.getMessage());
    await(index.removeCollection("tenant-z", "nothing")); // another commit and refresh
    assertEquals(List.of(), await(index.searchKeyword(tenantA(), "firmware", 10)));
  }

  @Test
  void aRebuildReplacesEverythingAndAFailedOneLeavesTheIndexInNeedOfAnother() throws Exception {
    await(index.rebuild(Source.single(chunk(SHIPPING, 1, 0, SHIPPING_ZH, 0, 1, 0, 0)), materializer()));
    assertEquals(List.of(SHIPPING_ZH), texts(await(index.searchVector(tenantA(), new float[] {1, 0, 0, 0}, 10))));
    assertEquals(List.of(), await(index.searchVector(SearchFilter.tenant("tenant-b"), new float[] {1, 0, 0, 0}, 10)));
    assertFalse(index.needsRebuild());

    Source<EmbeddedChunk, ?> broken = Source.single(chunk(MANUAL, 3, 0, ROUTER_EN, 0, 0, 1, 0))
        .concat(Source.failed(new IllegalStateException("database gone")));
    assertThrows(IllegalStateException.class, () -> await(index.rebuild(broken, materializer())));
    assertTrue(index.needsRebuild());
    index.close();
    index = new LuceneKnowledgeIndex(dir, 4, MODEL, blocking);
    assertTrue(index.needsRebuild(), "the unfinished rebuild is remembered across a restart");
  }

  @Test
  void aPublishDuringARebuildIsNotUndoneByALaterPageOfIt() throws Exception {
    // The rebuild reads version 1 of the manual from the chunk table; while it is still reading, version 2 is
    // published (upsert, then everything but version 2 removed). The rebuild's later page must not bring 1 back.
    CompletableFuture<EmbeddedChunk> laterPage = new CompletableFuture<>();
    CompletionStage<Void> rebuilt = index.rebuild(Source.single(chunk(SHIPPING, 1, 0, SHIPPING_ZH, 0, 1, 0, 0))
        .concat(Source.completionStage(laterPage)), materializer());
    CompletionStage<Void> upserted = index.upsert(List.of(chunk(MANUAL, 2, 0, "router manual two", 0, 0, 1, 0)));
    CompletionStage<Void> removed = index.removeDocument(MANUAL, 2);
    laterPage.complete(chunk(MANUAL, 1, 0, ROUTER_EN, 0, 0, 1, 0));
    await(rebuilt);
    await(upserted);
    await(removed);
    assertEquals(List.of("router manual two"),
        texts(await(index.searchVector(tenantA(), new float[] {0, 0, 1, 0}, 1))));
    assertEquals(List.of(), await(index.searchKeyword(tenantA(), "router firmware", 10)).stream()
        .filter(hit -> hit.chunk().version() == 1).toList());
  }

  @Test
  void chunkIdsByVersionTellWhatTheIndexHoldsOfOneDocument() throws Exception {
    await(index.upsert(List.of(chunk(RETURNS, 2, 0, "returns v2", 1, 0, 0, 0))));
    assertEquals(Map.of(
            1, Set.of(chunk(RETURNS, 1, 0, RETURNS_ZH, 1).chunk().chunkId(),
                chunk(RETURNS, 1, 1, REFUND_EN, 1).chunk().chunkId()),
            2, Set.of(chunk(RETURNS, 2, 0, "returns v2", 1).chunk().chunkId())),
        await(index.chunkIdsByVersion(RETURNS)));
    assertEquals(Map.of(), await(index.chunkIdsByVersion(new DocumentRef("tenant-a", "policies", "none"))));

    await(index.removeChunks(RETURNS, List.of(chunk(RETURNS, 1, 1, REFUND_EN, 1).chunk().chunkId())));
    assertEquals(Map.of(1, Set.of(chunk(RETURNS, 1, 0, RETURNS_ZH, 1).chunk().chunkId()),
        2, Set.of(chunk(RETURNS, 2, 0, "returns v2", 1).chunk().chunkId())), await(index.chunkIdsByVersion(RETURNS)));
    assertEquals(1, await(index.chunkIdsByVersion(OTHER_TENANT)).get(1).size(), "another tenant's same ids stay");
  }

  @Test
  void journalOffsetsAreCommittedWithTheIndexAndGoWithIt() throws Exception {
    assertEquals(Map.of(), index.journalOffsets(), "a new index knows no offsets");
    await(index.rebuild(Map.of("document-0", 7L, "document-1", 7L), Source.single(chunk(MANUAL, 3, 0, ROUTER_EN, 0,
        0, 1, 0)), materializer()));
    assertEquals(Map.of("document-0", 7L, "document-1", 7L), index.journalOffsets());
    await(index.saveJournalOffsets(Map.of("document-1", 12L)));
    index.close();

    index = new LuceneKnowledgeIndex(dir, 4, MODEL, blocking);
    assertEquals(Map.of("document-0", 7L, "document-1", 12L), index.journalOffsets(), "a restart resumes");
    await(index.rebuild(Source.single(chunk(MANUAL, 3, 0, ROUTER_EN, 0, 0, 1, 0)), materializer()));
    assertEquals(Map.of(), index.journalOffsets(), "a rebuild without offsets forgets them");
    await(index.rebuild(Map.of("document-0", 20L), Source.single(chunk(MANUAL, 3, 0, ROUTER_EN, 0, 0, 1, 0)),
        materializer()));
    index.close();

    index = new LuceneKnowledgeIndex(dir, 4, "another-model", blocking);
    assertEquals(Map.of(), index.journalOffsets(), "a discarded index has no offsets");
  }

  static Materializer materializer() {
    return Materializer.matFromSystem(testKit.system());
  }
}
