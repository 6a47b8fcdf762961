package io.voicehelper.streams.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.KnowledgeIndex;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.entities.retrieval.Fusion;
import io.voicehelper.entities.retrieval.RetrievalSettings;
import io.voicehelper.entities.retrieval.RetrievalUnavailableException;
import io.voicehelper.entities.retrieval.RetrievalQuery;
import io.voicehelper.entities.retrieval.RetrievalResult;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class HybridRetrieverTest {

  private static final DocumentRef DOC = new DocumentRef("t1", "c1", "d1");
  private static final SearchFilter FILTER = SearchFilter.tenant("t1");

  private static Chunk chunk(String name) {
    return new Chunk(name, DOC, 1, name.charAt(0) - 'a', List.of("Heading"), "text of " + name, 3);
  }

  private static List<SearchHit> hits(Object... nameAndScore) {
    List<SearchHit> hits = new ArrayList<>();
    for (int i = 0; i < nameAndScore.length; i += 2) {
      hits.add(new SearchHit(chunk((String) nameAndScore[i]), (Double) nameAndScore[i + 1]));
    }
    return hits;
  }

  private static RetrievalSettings settings(Fusion fusion) {
    return new RetrievalSettings(50, 5, 1000, 1000, fusion, 20, Duration.ofMillis(300), 2000);
  }

  private static RetrievalQuery query(int topK) {
    return new RetrievalQuery(FILTER, "how do I return a camera", 50, topK, Optional.empty());
  }

  private static List<String> ids(RetrievalResult result) {
    return result.passages().stream().map(p -> p.chunk().chunkId()).toList();
  }

  private static RetrievalResult get(CompletionStage<RetrievalResult> stage) throws Exception {
    return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void reciprocalRankFusionOrdersTheUnionAndKeepsEveryHalfsRankAndScore() throws Exception {
    ScriptedIndex index = new ScriptedIndex(
        () -> done(hits("a", 0.9, "b", 0.8, "c", 0.7)), () -> done(hits("c", 12.0, "a", 9.0, "d", 4.0)));
    HybridRetriever retriever = new HybridRetriever(index, new CountingEmbedder(), Reranker.FUSION_ORDER,
        settings(new Fusion.ReciprocalRank(60)));

    RetrievalResult result = get(retriever.retrieve(query(5)));

    // a: 1/61 + 1/62, c: 1/63 + 1/61, b: 1/62, d: 1/63
    assertEquals(List.of("a", "c", "b", "d"), ids(result));
    assertEquals(RetrievalResult.Mode.HYBRID, result.mode());
    assertEquals(List.of(), result.degraded());
    assertEquals("fusion", result.reranker());
    RetrievedPassage c = result.passages().get(1);
    assertEquals(3, c.vectorRank().getAsInt());
    assertEquals(0.7, c.vectorScore().getAsDouble(), 1e-9);
    assertEquals(1, c.keywordRank().getAsInt());
    assertEquals(12.0, c.keywordScore().getAsDouble(), 1e-9);
    assertEquals(1.0 / 63 + 1.0 / 61, c.fusedScore(), 1e-12);
    assertTrue(result.passages().get(2).keywordRank().isEmpty());
    assertTrue(result.passages().get(3).vectorScore().isEmpty());
  }

  @Test
  void weightedFusionNormalisesEachHalfAndWeighsThem() throws Exception {
    ScriptedIndex index = new ScriptedIndex(
        () -> done(hits("a", 0.9, "b", 0.5)), () -> done(hits("b", 10.0, "c", 2.0)));
    HybridRetriever retriever = new HybridRetriever(index, new CountingEmbedder(), Reranker.FUSION_ORDER,
        settings(new Fusion.Weighted(0.7)));

    RetrievalResult result = get(retriever.retrieve(query(5)));

    assertEquals(List.of("a", "b", "c"), ids(result));
    assertEquals(0.7, result.passages().get(0).fusedScore(), 1e-9); // vector max, keyword absent
    assertEquals(0.3, result.passages().get(1).fusedScore(), 1e-9); // vector min, keyword max
    assertEquals(0.0, result.passages().get(2).fusedScore(), 1e-9); // keyword min
  }

  @Test
  void whenTheVectorHalfFailsBm25AnswersAloneAndTheResultSaysSo() throws Exception {
    ScriptedIndex index = new ScriptedIndex(() -> done(hits("a", 0.9)), () -> done(hits("c", 3.0, "d", 2.0)));
    CountingEmbedder failing = new CountingEmbedder() {
      @Override
      public CompletionStage<List<float[]>> embedAll(List<String> texts) {
        return CompletableFuture.failedFuture(new IllegalStateException("model server at 10.0.0.7 refused"));
      }
    };
    HybridRetriever retriever = new HybridRetriever(index, failing, Reranker.FUSION_ORDER,
        settings(new Fusion.ReciprocalRank(60)));

    RetrievalResult result = get(retriever.retrieve(query(5)));

    assertEquals(List.of("c", "d"), ids(result));
    assertEquals(RetrievalResult.Mode.KEYWORD_ONLY, result.mode());
    assertEquals(List.of("vector search failed (IllegalStateException)"), result.degraded());
    assertEquals(3.0, result.passages().get(0).fusedScore(), 1e-9); // ranked by BM25 itself
  }

  @Test
  void whenTheKeywordHalfHangsTheVectorHalfAnswersAfterTheStageTimeout() throws Exception {
    ScriptedIndex index = new ScriptedIndex(() -> done(hits("a", 0.9, "b", 0.4)), CompletableFuture::new);
    HybridRetriever retriever = new HybridRetriever(index, new CountingEmbedder(), Reranker.FUSION_ORDER,
        settings(new Fusion.ReciprocalRank(60)));

    long start = System.nanoTime();
    RetrievalResult result = get(retriever.retrieve(query(5)));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertEquals(List.of("a", "b"), ids(result));
    assertEquals(RetrievalResult.Mode.VECTOR_ONLY, result.mode());
    assertEquals(List.of("keyword search timed out"), result.degraded());
    assertTrue(tookMs >= 300 && tookMs < 3000, "took " + tookMs + " ms");
  }

  @Test
  void whenBothHalvesFailTheStageFails() {
    ScriptedIndex index = new ScriptedIndex(() -> CompletableFuture.failedFuture(new RuntimeException("down")),
        () -> { throw new IllegalStateException("index closed"); });
    HybridRetriever retriever = new HybridRetriever(index, new CountingEmbedder(), Reranker.FUSION_ORDER,
        settings(new Fusion.ReciprocalRank(60)));

    ExecutionException failure = assertThrows(ExecutionException.class, () -> get(retriever.retrieve(query(5))));

    assertInstanceOf(RetrievalUnavailableException.class, failure.getCause());
    assertEquals("no search could answer: vector search failed (RuntimeException); keyword search failed "
        + "(IllegalStateException)", failure.getCause().getMessage());
  }

  @Test
  void aKeywordOnlyQueryDoesNotEmbed() throws Exception {
    ScriptedIndex index = new ScriptedIndex(() -> done(hits("a", 0.9)), () -> done(hits("c", 3.0)));
    CountingEmbedder embedder = new CountingEmbedder();
    HybridRetriever retriever = new HybridRetriever(index, embedder, Reranker.FUSION_ORDER,
        settings(new Fusion.ReciprocalRank(60)));

    RetrievalResult result = get(retriever.retrieve(
        new RetrievalQuery(FILTER, "camera", 50, 5, Optional.of(new Fusion.KeywordOnly()))));

    assertEquals(List.of("c"), ids(result));
    assertEquals(RetrievalResult.Mode.KEYWORD_ONLY, result.mode());
    assertEquals(List.of(), result.degraded());
    assertEquals(0, embedder.calls.get());
    assertEquals(0, index.vectorCalls.get());
  }

  @Test
  void theRerankerOrdersTheWindowAndTheTopKIsCut() throws Exception {
    ScriptedIndex index = new ScriptedIndex(
        () -> done(hits("a", 0.9, "b", 0.8, "c", 0.7, "d", 0.6)), () -> done(List.of()));
    Reranker byChunkIdDescending = new Reranker() {
      @Override
      public String name() {
        return "reverse";
      }

      @Override
      public CompletionStage<List<RetrievedPassage>> rerank(String query, List<RetrievedPassage> passages) {
        return done(passages.stream()
            .sorted(Comparator.comparing((RetrievedPassage p) -> p.chunk().chunkId()).reversed())
            .map(p -> p.withRerankScore(p.chunk().chunkId().charAt(0)))
            .toList());
      }
    };
    HybridRetriever retriever = new HybridRetriever(index, new CountingEmbedder(), byChunkIdDescending,
        settings(new Fusion.ReciprocalRank(60)));

    RetrievalResult result = get(retriever.retrieve(query(2)));

    assertEquals(List.of("d", "c"), ids(result));
    assertEquals("reverse", result.reranker());
    assertEquals('d', result.passages().get(0).score(), 1e-9);
  }

  @Test
  void aFailingRerankerLeavesTheFusionOrder() throws Exception {
    ScriptedIndex index = new ScriptedIndex(() -> done(hits("a", 0.9, "b", 0.8)), () -> done(List.of()));
    Reranker failing = new Reranker() {
      @Override
      public String name() {
        return "cross-encoder";
      }

      @Override
      public CompletionStage<List<RetrievedPassage>> rerank(String query, List<RetrievedPassage> passages) {
        return CompletableFuture.failedFuture(new IllegalStateException("model file missing"));
      }
    };
    HybridRetriever retriever = new HybridRetriever(index, new CountingEmbedder(), failing,
        settings(new Fusion.ReciprocalRank(60)));

    RetrievalResult result = get(retriever.retrieve(query(5)));

    assertEquals(List.of("a", "b"), ids(result));
    assertEquals("fusion", result.reranker());
    assertEquals(List.of("rerank failed (IllegalStateException)"), result.degraded());
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  private static class CountingEmbedder implements Embedder {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public CompletionStage<List<float[]>> embedAll(List<String> texts) {
      calls.incrementAndGet();
      return done(texts.stream().map(t -> new float[] {1f, 0f}).toList());
    }

    @Override
    public int dimension() {
      return 2;
    }

    @Override
    public String modelId() {
      return "test";
    }
  }

  /** Answers each half from a script; writes are not used here. */
  private static final class ScriptedIndex implements KnowledgeIndex {
    final Supplier<CompletionStage<List<SearchHit>>> vector;
    final Supplier<CompletionStage<List<SearchHit>>> keyword;
    final AtomicInteger vectorCalls = new AtomicInteger();

    ScriptedIndex(Supplier<CompletionStage<List<SearchHit>>> vector,
        Supplier<CompletionStage<List<SearchHit>>> keyword) {
      this.vector = vector;
      this.keyword = keyword;
    }

    @Override
    public CompletionStage<List<SearchHit>> searchVector(SearchFilter filter, float[] v, int limit) {
      vectorCalls.incrementAndGet();
      return vector.get();
    }

    @Override
    public CompletionStage<List<SearchHit>> searchKeyword(SearchFilter filter, String query, int limit) {
      return keyword.get();
    }

    @Override
    public CompletionStage<Void> upsert(List<EmbeddedChunk> chunks) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Void> removeDocument(DocumentRef document, int keepVersion) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Void> removeVersion(DocumentRef document, int version) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Void> removeCollection(String tenantId, String collectionId) {
      throw new UnsupportedOperationException();
    }
  }
}
