package io.voicehelper.streams.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.scoring.ScoringModel;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import io.voicehelper.streams.generation.FakeOpenAiServer;
import io.voicehelper.streams.generation.GenerationSettings;
import io.voicehelper.streams.generation.OpenAiCompatibleCompletion;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The LLM listwise reranker against a loopback OpenAI-compatible server, the cross-encoder at its model boundary. */
class RerankersTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private FakeOpenAiServer fake;

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void stopFake() {
    if (fake != null) fake.close();
  }

  private static List<RetrievedPassage> passages(String... texts) {
    DocumentRef doc = new DocumentRef("t1", "c1", "d1");
    return java.util.stream.IntStream.range(0, texts.length)
        .mapToObj(i -> new RetrievedPassage(new Chunk("c" + i, doc, 1, i, List.of("退货政策", "期限"), texts[i], 10),
            OptionalInt.of(i + 1), OptionalDouble.of(0.9 - i * 0.1), OptionalInt.empty(), OptionalDouble.empty(),
            1.0 / (61 + i), OptionalDouble.empty()))
        .toList();
  }

  private GenerationSettings llm(String baseUrl) {
    return GenerationSettings.fromConfig(ConfigFactory.parseString("provider = openai-compatible\nbase-url = \""
            + baseUrl + "\"\nmodel = \"ranker-model\"\nretry-backoff = 10ms\ntimeout = 5s\nmax-retries = 1")
        .withFallback(ConfigFactory.defaultReference().getConfig(GenerationSettings.CONFIG_PATH)));
  }

  private static List<String> ids(List<RetrievedPassage> passages) {
    return passages.stream().map(p -> p.chunk().chunkId()).toList();
  }

  @Test
  void theModelsRankingOrdersThePassagesAndThoseItLeftOutFollow() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.completion("ranker-model", "[3] > [1]", 200, 6));
    LlmListwiseReranker reranker = new LlmListwiseReranker(
        new OpenAiCompatibleCompletion(llm(fake.baseUrl()), testKit.system(), 0.0), 50);

    List<RetrievedPassage> ranked = reranker.rerank("拆封的摄像头能退吗",
        passages("签收 30 天内可退货。", "退款 7 个工作日内原路返回。", "已拆封的摄像头只支持 15 天内退货。"))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertEquals(List.of("c2", "c0", "c1"), ids(ranked));
    assertEquals(1.0, ranked.get(0).rerankScore().getAsDouble(), 1e-9);
    assertTrue(ranked.get(1).rerankScore().getAsDouble() > ranked.get(2).rerankScore().getAsDouble());
    assertEquals("llm:ranker-model", reranker.name());
    JsonNode body = fake.requests().get(0).body();
    assertEquals("ranker-model", body.path("model").asText());
    assertEquals(0.0, body.path("temperature").asDouble(-1), 1e-9);
    assertTrue(body.path("max_tokens").asInt() >= 3 * 8, body.toString());
    String prompt = body.path("messages").get(1).path("content").asText();
    assertTrue(prompt.startsWith("Question: 拆封的摄像头能退吗"), prompt);
    assertTrue(prompt.contains("[3] (退货政策 > 期限) 已拆封的摄像头只支持 15 天内退货。"), prompt);
    assertTrue(body.path("messages").get(0).path("content").asText().contains("[2] > [1] > [3]"));
  }

  @Test
  void anAnswerThatNamesNoPassageFailsSoTheFusionOrderStays() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.completion("ranker-model", "They are all relevant.", 200, 6));
    LlmListwiseReranker reranker = new LlmListwiseReranker(
        new OpenAiCompatibleCompletion(llm(fake.baseUrl()), testKit.system(), 0.0), 100);

    ExecutionException failure = assertThrows(ExecutionException.class, () -> reranker.rerank("q",
        passages("a", "b")).toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertInstanceOf(IllegalStateException.class, failure.getCause());
    // Numbers out of range or repeated are ignored, not trusted.
    assertEquals(List.of("c1", "c0"), ids(LlmListwiseReranker.order("[2] > [2] > [7] > [0]", passages("a", "b"))));
  }

  @Test
  void theCrossEncoderOrdersByItsScores() throws Exception {
    ScoringModel model = new ScoringModel() {
      @Override
      public Response<List<Double>> scoreAll(List<TextSegment> segments, String query) {
        return Response.from(segments.stream().map(s -> s.text().contains("摄像头") ? 4.2 : -1.0).toList());
      }
    };
    CrossEncoderReranker reranker = new CrossEncoderReranker(model, "cross-encoder:test", ForkJoinPool.commonPool());

    List<RetrievedPassage> ranked = reranker.rerank("拆封的摄像头能退吗",
        passages("签收 30 天内可退货。", "已拆封的摄像头只支持 15 天内退货。", "退款原路返回。"))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertEquals(List.of("c1", "c0", "c2"), ids(ranked));
    assertEquals(4.2, ranked.get(0).score(), 1e-9);
  }

  @Test
  void configurationChoosesTheRerankerAndSaysWhatIsMissing() {
    Config reference = ConfigFactory.defaultReference().getConfig(Rerankers.CONFIG_PATH);
    GenerationSettings none = GenerationSettings.fromConfig(ConfigFactory.parseString("provider = none")
        .withFallback(ConfigFactory.defaultReference().getConfig(GenerationSettings.CONFIG_PATH)));

    assertSame(Reranker.FUSION_ORDER, Rerankers.fromConfig(reference, none, testKit.system(), Runnable::run));
    IllegalArgumentException noModel = assertThrows(IllegalArgumentException.class, () -> Rerankers.fromConfig(
        ConfigFactory.parseString("provider = llm").withFallback(reference), none, testKit.system(), Runnable::run));
    assertTrue(noModel.getMessage().contains("voicehelper.llm.provider"), noModel.getMessage());
    IllegalArgumentException noFile = assertThrows(IllegalArgumentException.class, () -> Rerankers.fromConfig(
        ConfigFactory.parseString("provider = cross-encoder\ncross-encoder.model-path = /nonexistent/model.onnx\n"
            + "cross-encoder.tokenizer-path = /nonexistent/tokenizer.json").withFallback(reference), none,
        testKit.system(), Runnable::run));
    assertTrue(noFile.getMessage().contains(Path.of("/nonexistent/model.onnx").toString()), noFile.getMessage());
  }
}
