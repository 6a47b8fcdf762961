package io.voicehelper.streams.knowledge.lucene;

import static io.voicehelper.streams.knowledge.lucene.KnowledgeFixtures.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.streams.knowledge.embedding.InProcessEmbedder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vector search with the real in-process bge-small-zh model: for each of three Chinese and two English questions
 * (the router and the invoice one), the passage that answers it ranks first.
 */
class LuceneInProcessEmbedderTest {

  static final ExecutorService blocking = Executors.newFixedThreadPool(2);

  static final List<String> PASSAGES = List.of(
      "退货政策：商品签收后七天内可申请无理由退货，退款在三个工作日内原路返回。",
      "配送说明：订单付款后四十八小时内发货，偏远地区需要三到五天送达。",
      "会员积分：每消费一元积一分，积分可在结算时抵扣现金。",
      "To reset the router, hold the reset button for ten seconds until the lights blink.",
      "Invoices can be downloaded from the order details page at any time.");

  @TempDir Path dir;

  @AfterAll
  static void stop() {
    blocking.shutdown();
  }

  @Test
  void theAnsweringPassageRanksFirst() throws Exception {
    InProcessEmbedder embedder = new InProcessEmbedder(blocking, 8);
    DocumentRef doc = new DocumentRef("t", "faq", "faq");
    List<float[]> vectors = await(embedder.embedAll(PASSAGES));
    List<EmbeddedChunk> chunks = new ArrayList<>();
    for (int i = 0; i < PASSAGES.size(); i++) {
      String text = PASSAGES.get(i);
      chunks.add(new EmbeddedChunk(new Chunk(Chunk.idFor(doc, 1, i, text), doc, 1, i, List.of(), text, 20),
          vectors.get(i)));
    }
    try (LuceneKnowledgeIndex index = new LuceneKnowledgeIndex(dir, embedder.dimension(), embedder.modelId(),
        blocking)) {
      await(index.upsert(chunks));
      List<String> questions = List.of("我买的东西不想要了，能退钱吗？", "下单以后多久能发货？", "积分怎么用？",
          "My router is not working, how do I restart it?", "How do I download the invoice of my order?");
      for (int i = 0; i < questions.size(); i++) {
        float[] query = await(embedder.embedAll(List.of(questions.get(i)))).get(0);
        assertEquals(PASSAGES.get(i), await(index.searchVector(SearchFilter.tenant("t"), query, 3)).get(0).chunk()
            .text(), questions.get(i));
      }
    }
  }
}
