package io.voicehelper.streams.knowledge.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real bge-small-zh-v1.5 (quantized) model in this JVM. */
class InProcessEmbedderTest {

  static final ExecutorService blocking = Executors.newFixedThreadPool(1);
  static InProcessEmbedder embedder;

  @BeforeAll
  static void load() {
    embedder = new InProcessEmbedder(blocking, 4);
  }

  @AfterAll
  static void stop() {
    blocking.shutdown();
  }

  static List<float[]> embed(String... texts) throws Exception {
    try {
      return embedder.embedAll(List.of(texts)).toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  @Test
  void vectorsHave512NormalisedDimensions() throws Exception {
    List<float[]> vectors = embed("退货政策", "How do I reset my router?", "一", "二", "三", "四");
    assertEquals(6, vectors.size());
    for (float[] vector : vectors) {
      assertEquals(512, vector.length);
      assertEquals(1.0, Vectors.dot(vector, vector), 1e-4);
    }
    assertEquals(512, embedder.dimension());
    assertEquals("bge-small-zh-v1.5-q", embedder.modelId());
  }

  @Test
  void semanticallyCloserChineseTextsScoreHigher() throws Exception {
    List<float[]> v = embed(
        "我想退货，怎么申请退款？",
        "退货退款流程：在订单页面提交退货申请，审核通过后七天内退款。",
        "今天北京天气晴朗，最高气温二十五度。",
        "路由器指示灯一直闪烁，无法连接网络。",
        "网络连不上，路由器的灯在闪。");
    double refundPair = Vectors.dot(v.get(0), v.get(1));
    double routerPair = Vectors.dot(v.get(3), v.get(4));
    assertTrue(refundPair > Vectors.dot(v.get(0), v.get(2)), "refund vs weather");
    assertTrue(refundPair > Vectors.dot(v.get(0), v.get(3)), "refund vs router");
    assertTrue(routerPair > Vectors.dot(v.get(3), v.get(2)), "router vs weather");
    assertTrue(routerPair > Vectors.dot(v.get(4), v.get(1)), "router vs refund");
  }

  @Test
  void embeddingTheSameTextTwiceGivesTheSameVector() throws Exception {
    List<float[]> v = embed("发货时间", "发货时间");
    assertEquals(1.0, Vectors.dot(v.get(0), v.get(1)), 1e-5);
  }
}
