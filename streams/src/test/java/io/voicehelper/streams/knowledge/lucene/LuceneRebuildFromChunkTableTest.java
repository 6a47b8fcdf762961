package io.voicehelper.streams.knowledge.lucene;

import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.await;
import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.chunk;
import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.streams.knowledge.jdbc.JdbcChunkStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.Materializer;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Lucene index rebuilt from the chunk table: chunks written through {@link JdbcChunkStore} (H2, the node's
 * migrations, pages of 7 rows), some versions published, then a fresh index rebuilt from {@code published()} answers
 * like an index that was written directly with the published chunks, and never with an unpublished version.
 */
class LuceneRebuildFromChunkTableTest {

  static final ExecutorService blocking = Executors.newFixedThreadPool(2);
  static final ActorTestKit testKit = ActorTestKit.create();

  static final DocumentRef RETURNS = new DocumentRef("tenant-a", "policies", "returns");
  static final DocumentRef SHIPPING = new DocumentRef("tenant-a", "policies", "shipping");
  static final DocumentRef DRAFT = new DocumentRef("tenant-a", "policies", "draft");
  static final DocumentRef RETURNS_OF_B = new DocumentRef("tenant-b", "policies", "returns");

  @TempDir Path rebuiltDir;
  @TempDir Path directDir;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    blocking.shutdown();
  }

  /** {@code count} chunks of a version: text about returns in v1, refunds in v2, with spread-out vectors. */
  static List<EmbeddedChunk> version(DocumentRef doc, int version, int count) {
    List<EmbeddedChunk> chunks = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String topic = version == 1 ? "退货政策 return policy" : "退款说明 refund rules";
      double angle = (i + 10 * version) * 0.1;
      chunks.add(chunk(doc, version, i, doc.documentId() + " " + topic + " part " + i,
          (float) Math.cos(angle), (float) Math.sin(angle), version, 0.5f));
    }
    return chunks;
  }

  @Test
  void aRebuiltIndexAnswersLikeTheChunksItWasBuiltFromAndHoldsNoUnpublishedVersion() throws Exception {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:rebuild-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    Flyway.configure().dataSource(h2).locations("filesystem:../cluster/src/main/resources/db/migration/h2").load()
        .migrate();
    JdbcChunkStore store = new JdbcChunkStore(h2, blocking, 7);
    List<EmbeddedChunk> published = new ArrayList<>();
    for (DocumentRef doc : List.of(RETURNS, SHIPPING, RETURNS_OF_B)) {
      await(store.save(version(doc, 1, 12)));
      await(store.save(version(doc, 2, 9)));
    }
    await(store.save(version(DRAFT, 1, 5)));
    await(store.publish(RETURNS, 2));
    published.addAll(version(RETURNS, 2, 9));
    await(store.publish(SHIPPING, 1));
    published.addAll(version(SHIPPING, 1, 12));
    await(store.publish(RETURNS_OF_B, 1));
    published.addAll(version(RETURNS_OF_B, 1, 12));

    Materializer materializer = Materializer.matFromSystem(testKit.system());
    try (LuceneKnowledgeIndex rebuilt = new LuceneKnowledgeIndex(rebuiltDir, 4, "m", blocking);
        LuceneKnowledgeIndex direct = new LuceneKnowledgeIndex(directDir, 4, "m", blocking)) {
      assertTrue(rebuilt.needsRebuild());
      await(rebuilt.upsert(version(DRAFT, 1, 5))); // stale content a rebuild must drop
      await(rebuilt.rebuild(store.published(), materializer));
      assertFalse(rebuilt.needsRebuild());
      await(direct.upsert(published));

      SearchFilter tenantA = SearchFilter.tenant("tenant-a");
      SearchFilter tenantB = SearchFilter.tenant("tenant-b");
      for (SearchFilter filter : List.of(tenantA, tenantB)) {
        for (String query : List.of("退货政策", "refund", "return policy part 3", "shipping 退款")) {
          List<SearchHit> expected = await(direct.searchKeyword(filter, query, 50));
          List<SearchHit> actual = await(rebuilt.searchKeyword(filter, query, 50));
          assertEquals(ids(expected), ids(actual), query);
          assertEquals(expected.stream().map(SearchHit::score).toList(),
              actual.stream().map(SearchHit::score).toList(), query);
        }
        float[] probe = {1, 0.3f, 1.5f, 0.5f};
        assertEquals(ids(await(direct.searchVector(filter, probe, 50))),
            ids(await(rebuilt.searchVector(filter, probe, 50))));
      }

      List<SearchHit> all = await(rebuilt.searchVector(tenantA, new float[] {1, 0, 1, 0}, 100));
      assertEquals(21, all.size()); // returns v2 (9) + shipping v1 (12); no draft, no returns v1, no shipping v2
      assertEquals(List.of("returns v2", "shipping v1"), all.stream()
          .map(hit -> hit.chunk().document().documentId() + " v" + hit.chunk().version()).distinct().sorted()
          .toList());
      assertEquals(12, await(rebuilt.searchVector(tenantB, new float[] {1, 0, 1, 0}, 100)).size());
    }
  }
}
