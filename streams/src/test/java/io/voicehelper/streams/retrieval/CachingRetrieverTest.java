package io.voicehelper.streams.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.retrieval.RetrievalQuery;
import io.voicehelper.entities.retrieval.RetrievalResult;
import io.voicehelper.entities.retrieval.Retriever;
import io.voicehelper.streams.knowledge.testing.InMemoryKnowledgeIndex;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CachingRetrieverTest {

  private final KnowledgeGenerations generations = new KnowledgeGenerations();

  /** Counts retrievals; answers degraded or failed when told to. */
  private static final class CountingRetriever implements Retriever {
    final AtomicInteger calls = new AtomicInteger();
    volatile List<String> degraded = List.of();
    volatile boolean fail;

    @Override
    public CompletionStage<RetrievalResult> retrieve(RetrievalQuery query) {
      calls.incrementAndGet();
      if (fail) return CompletableFuture.failedFuture(new IllegalStateException("index closed"));
      return CompletableFuture.completedFuture(new RetrievalResult(List.of(), RetrievalResult.Mode.HYBRID, degraded,
          "fusion", new RetrievalResult.Timings(1, 1, 1, 0, 3)));
    }
  }

  private static RetrievalQuery query(String tenant, Set<String> collections, String text) {
    return new RetrievalQuery(new SearchFilter(tenant, collections, Optional.empty()), text, 50, 5, Optional.empty());
  }

  private static RetrievalResult get(CompletionStage<RetrievalResult> stage) throws Exception {
    return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void theSameQueryIsAnsweredFromTheCacheUntilItsCollectionChanges() throws Exception {
    CountingRetriever retriever = new CountingRetriever();
    CachingRetriever cache = new CachingRetriever(retriever, generations, 100, Duration.ofMinutes(10));
    RetrievalQuery faq = query("t1", Set.of("faq"), "退货");

    assertFalse(get(cache.retrieve(faq)).cached());
    assertTrue(get(cache.retrieve(faq)).cached());
    assertEquals(1, retriever.calls.get());

    generations.changed("t1", "manuals"); // another collection: no effect on a search of faq
    assertTrue(get(cache.retrieve(faq)).cached());
    generations.changed("t2", "faq"); // another tenant's collection of the same id
    assertTrue(get(cache.retrieve(faq)).cached());

    generations.changed("t1", "faq");
    assertFalse(get(cache.retrieve(faq)).cached());
    assertEquals(2, retriever.calls.get());
  }

  @Test
  void searchesThatDifferOnlyInVersionOrMetadataAreCachedApart() throws Exception {
    CountingRetriever retriever = new CountingRetriever();
    CachingRetriever cache = new CachingRetriever(retriever, generations, 100, Duration.ofMinutes(10));
    List<SearchFilter> filters = List.of(
        new SearchFilter("t1", Set.of(), Optional.of("doc"), Optional.empty(), Map.of()),
        new SearchFilter("t1", Set.of(), Optional.of("doc"), Optional.of(1), Map.of()),
        new SearchFilter("t1", Set.of(), Optional.of("doc"), Optional.of(2), Map.of()),
        new SearchFilter("t1", Set.of(), Optional.of("doc"), Optional.empty(), Map.of("region", "eu")),
        new SearchFilter("t1", Set.of(), Optional.of("doc"), Optional.empty(), Map.of("region", "us")));
    for (SearchFilter filter : filters) {
      assertFalse(get(cache.retrieve(new RetrievalQuery(filter, "退货", 50, 5, Optional.empty()))).cached(),
          filter.toString());
    }
    assertEquals(filters.size(), retriever.calls.get());
    SearchFilter again = new SearchFilter("t1", Set.of(), Optional.of("doc"), Optional.empty(),
        new java.util.HashMap<>(Map.of("region", "us")));
    assertTrue(get(cache.retrieve(new RetrievalQuery(again, "退货", 50, 5, Optional.empty()))).cached());
  }

  @Test
  void aSearchOfAllCollectionsMovesOnWithAnyOfTheTenantsCollections() throws Exception {
    CountingRetriever retriever = new CountingRetriever();
    CachingRetriever cache = new CachingRetriever(retriever, generations, 100, Duration.ofMinutes(10));
    RetrievalQuery all = query("t1", Set.of(), "退货");

    get(cache.retrieve(all));
    generations.changed("t2", "x");
    assertTrue(get(cache.retrieve(all)).cached());
    generations.changed("t1", "manuals");
    assertFalse(get(cache.retrieve(all)).cached());
    generations.changedEverything();
    assertFalse(get(cache.retrieve(all)).cached());
    assertEquals(3, retriever.calls.get());
  }

  @Test
  void degradedAndFailedResultsAreNotKept() throws Exception {
    CountingRetriever retriever = new CountingRetriever();
    CachingRetriever cache = new CachingRetriever(retriever, generations, 100, Duration.ofMinutes(10));
    RetrievalQuery q = query("t1", Set.of(), "refund");

    retriever.degraded = List.of("vector search timed out");
    get(cache.retrieve(q));
    retriever.degraded = List.of();
    assertFalse(get(cache.retrieve(q)).cached());

    RetrievalQuery other = query("t1", Set.of(), "warranty");
    retriever.fail = true;
    assertThrows(ExecutionException.class, () -> get(cache.retrieve(other)));
    retriever.fail = false;
    assertFalse(get(cache.retrieve(other)).cached());
    assertEquals(4, retriever.calls.get());
  }

  @Test
  void differentParametersAreDifferentEntries() throws Exception {
    CountingRetriever retriever = new CountingRetriever();
    CachingRetriever cache = new CachingRetriever(retriever, generations, 100, Duration.ofMinutes(10));
    get(cache.retrieve(query("t1", Set.of(), "refund")));
    get(cache.retrieve(query("t2", Set.of(), "refund")));
    get(cache.retrieve(new RetrievalQuery(SearchFilter.tenant("t1"), "refund", 50, 6, Optional.empty())));
    assertEquals(3, retriever.calls.get());
  }

  @Test
  void everyCompletedWriteReportsTheCollectionItChanged() throws Exception {
    List<String> changed = new ArrayList<>();
    ObservedKnowledgeIndex index = new ObservedKnowledgeIndex(new InMemoryKnowledgeIndex(),
        (tenant, collection) -> changed.add(tenant + "/" + collection));
    DocumentRef doc = new DocumentRef("t1", "faq", "d1");
    Chunk chunk = new Chunk("d1-v1-0", doc, 1, 0, List.of(), "text", 1);

    index.upsert(List.of(new EmbeddedChunk(chunk, new float[] {1f}))).toCompletableFuture().get();
    index.removeVersion(doc, 1).toCompletableFuture().get();
    index.removeDocument(new DocumentRef("t1", "manuals", "d2"), 0).toCompletableFuture().get();
    index.removeCollection("t2", "faq").toCompletableFuture().get();

    assertEquals(List.of("t1/faq", "t1/faq", "t1/manuals", "t2/faq"), changed);
  }

  @Test
  void aQueryIsEmbeddedOnceAndCallersGetTheirOwnCopy() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Embedder model = new Embedder() {
      @Override
      public CompletionStage<List<float[]>> embedAll(List<String> texts) {
        calls.addAndGet(texts.size());
        return CompletableFuture.completedFuture(texts.stream().map(t -> new float[] {t.length(), 1f}).toList());
      }

      @Override
      public int dimension() {
        return 2;
      }

      @Override
      public String modelId() {
        return "test";
      }
    };
    CachingEmbedder embedder = new CachingEmbedder(model, 100);

    float[] first = embedder.embedAll(List.of("退货")).toCompletableFuture().get().get(0);
    first[0] = 99f;
    float[] second = embedder.embedAll(List.of("退货")).toCompletableFuture().get().get(0);
    assertEquals(2f, second[0]);
    assertEquals(1, calls.get());
    embedder.embedAll(List.of("a", "b")).toCompletableFuture().get(); // indexing batches pass through
    assertEquals(3, calls.get());
  }
}
