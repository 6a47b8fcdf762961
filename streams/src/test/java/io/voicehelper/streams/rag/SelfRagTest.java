package io.voicehelper.streams.rag;

import static io.voicehelper.streams.rag.RagFixtures.ask;
import static io.voicehelper.streams.rag.RagFixtures.grounding;
import static io.voicehelper.streams.rag.RagFixtures.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.ReplyGenerator.Finished;
import io.voicehelper.entities.conversation.ReplyGenerator.Grounding;
import io.voicehelper.entities.conversation.ReplyGenerator.Output;
import io.voicehelper.entities.conversation.ReplyGenerator.Request;
import io.voicehelper.entities.conversation.ReplyGenerator.Token;
import io.voicehelper.entities.retrieval.RetrievalResult;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import io.voicehelper.streams.generation.FakeOpenAiServer;
import io.voicehelper.streams.generation.OpenAiCompatibleReplyGenerator;
import io.voicehelper.streams.generation.TemplateReplyGenerator;
import io.voicehelper.streams.rag.RagFixtures.ScriptedRetriever;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Self-RAG rounds: grading, support checks, retries with another query, the support level and what is charged. */
class SelfRagTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static RagSettings settings(String overrides) {
    return RagSettings.fromConfig(ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.defaultReference().getConfig(RagSettings.CONFIG_PATH)));
  }

  private static List<Output> run(ReplyGenerator generator, Request request) throws Exception {
    return RagFixtures.run(generator, request, testKit.system());
  }


  private static Finished finished(List<Output> outputs) {
    return (Finished) outputs.get(outputs.size() - 1);
  }

  /** Answers the first query with {@code first}, every later one with {@code later}. */
  private static ScriptedRetriever firstThen(List<RetrievedPassage> first, List<RetrievedPassage> later) {
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    return new ScriptedRetriever(q -> CompletableFuture.completedFuture(new RetrievalResult(
        calls.getAndIncrement() == 0 ? first : later, RetrievalResult.Mode.HYBRID, List.of(), "fusion",
        new RetrievalResult.Timings(0, 0, 0, 0, 0))));
  }

  private static List<RetrievedPassage> shippingOnly() {
    return List.of(RagFixtures.policyPassages().get(2));
  }

  private static GroundedReplyGenerator extractive(ScriptedRetriever retriever, RagSettings settings) {
    return GroundedReplyGenerator.extractive(new TemplateReplyGenerator(0), retriever,
        RagFixtures.NamingCatalog.standard(), Optional.empty(), Optional.empty(), settings, 1000, 0,
        testKit.system());
  }

  private static GroundedReplyGenerator withModel(FakeOpenAiServer fake, ScriptedRetriever retriever,
      RagSettings settings) {
    return GroundedReplyGenerator.withModel(new OpenAiCompatibleReplyGenerator(GroundedReplyGeneratorTest.llm(fake)),
        retriever, RagFixtures.NamingCatalog.standard(), Optional.empty(), settings, 1000, testKit.system());
  }

  @Test
  void withoutAModelThereIsNoSecondRound() throws Exception {
    // The rule has no other query worth a round (measured: widening with the question's key phrases cited wrong
    // sections more often than right ones), so a question nothing relevant answers gets the honest answer at once.
    ScriptedRetriever retriever = firstThen(shippingOnly(), RagFixtures.policyPassages());
    Grounding grounding = grounding(run(extractive(retriever, settings("self-rag.max-rounds = 3")),
        ask("请问退货期限是多久？")));
    assertEquals("none", grounding.support());
    assertEquals(1, retriever.queries.size());

    ScriptedRetriever once = ScriptedRetriever.finding(shippingOnly());
    Grounding chat = grounding(run(extractive(once, settings("self-rag.max-rounds = 3")),
        ask("the weather in Berlin today")));
    assertEquals("chat", chat.mode());
    assertEquals(1, once.queries.size(), "nothing relevant for a message no rule decides: chat");
  }

  @Test
  void aQuestionNothingRelevantAnswersIsSearchedAgainWithTheModelsQueryAndAWiderNet() throws Exception {
    ModelScript script = new ModelScript()
        .on(ModelGrader.INSTRUCTION, ModelScript.says("NONE", 100, 1))
        .on(ModelQueryRewriter.RETRY_INSTRUCTION, ModelScript.says("doorbell pairing wifi setup", 50, 5),
            ModelScript.says("connect video doorbell to wireless network", 50, 6));
    try (FakeOpenAiServer fake = FakeOpenAiServer.start(script.step())) {
      ScriptedRetriever retriever = ScriptedRetriever.finding(RagFixtures.policyPassages());
      List<Output> outputs = run(withModel(fake, retriever, settings("self-rag.max-rounds = 3\nself-rag.widen = 2")),
          ask("How do I pair the doorbell?"));
      assertEquals(ExtractiveAnswerer.NOT_COVERED_EN, text(outputs));
      Grounding grounding = grounding(outputs);
      assertEquals("none", grounding.support());
      assertTrue(grounding.reason().contains("round 3: no passage relevant enough (3 retrieved, graded by the model) "
          + "for 'connect video doorbell to wireless network'"), grounding.reason());
      assertEquals(List.of("How do I pair the doorbell?", "doorbell pairing wifi setup",
          "connect video doorbell to wireless network"), retriever.queries.stream().map(q -> q.text()).toList());
      assertEquals(List.of(20, 40, 40), retriever.queries.stream().map(q -> q.candidates()).toList());
      assertEquals(List.of(5, 10, 10), retriever.queries.stream().map(q -> q.topK()).toList());
      // The helper calls are charged though no model wrote the answer: three gradings, two retry queries.
      assertEquals(3 * 100 + 2 * 50, finished(outputs).inputTokens());
      assertEquals(GroundedReplyGenerator.NO_SOURCE_MODEL, finished(outputs).model());
    }
  }

  @Test
  void anUnsupportedDraftIsReplacedByTheNextRoundsAnswerAndStillPaidFor() throws Exception {
    ModelScript script = new ModelScript()
        .on(ModelGrader.INSTRUCTION, ModelScript.says("2", 100, 1))
        .on(GroundedPrompt.INSTRUCTION,
            ModelScript.says("Refunds are instant and include a free gift [1].", 300, 12),
            ModelScript.says("Refunds reach the original payment method within 7 working days [1].", 310, 14))
        .on(ModelSupportChecker.INSTRUCTION, ModelScript.says("UNSUPPORTED", 200, 1),
            ModelScript.says("SUPPORTED", 210, 1))
        .on(ModelQueryRewriter.RETRY_INSTRUCTION, ModelScript.says("refund processing time payment method", 50, 6));
    try (FakeOpenAiServer fake = FakeOpenAiServer.start(script.step())) {
      ScriptedRetriever retriever = ScriptedRetriever.finding(RagFixtures.policyPassages());
      List<Output> outputs = run(withModel(fake, retriever, settings("")), ask("How long do refunds take?"));

      assertEquals("Refunds reach the original payment method within 7 working days [1].", text(outputs));
      Grounding grounding = grounding(outputs);
      assertEquals("supported", grounding.support());
      assertEquals(2, grounding.rounds());
      assertTrue(grounding.reason().contains("answer unsupported (judged by the model)"), grounding.reason());
      assertTrue(grounding.reason().contains("round 2: answer supported (judged by the model)"), grounding.reason());
      assertEquals("refund processing time payment method money back reimbursement", retriever.queries.get(1).text(),
          "the model's retry query, with the synonyms of what it names");
      String retry = ModelScript.lastMessage(ModelScript.requests(fake, ModelQueryRewriter.RETRY_INSTRUCTION).get(0));
      assertTrue(retry.contains("Question: How long do refunds take?") && retry.contains("was unsupported"), retry);
      // Every call is charged: two gradings, two drafts (one discarded), two checks, one retry query.
      assertEquals(100 + 100 + 300 + 310 + 200 + 210 + 50, finished(outputs).inputTokens());
      assertEquals(1 + 1 + 12 + 14 + 1 + 1 + 6, finished(outputs).outputTokens());
      assertEquals(2, script.asked(GroundedPrompt.INSTRUCTION));
    }
  }

  @Test
  void afterTheLastRoundTheBestAnswerIsSentWithItsSupportLevelStated() throws Exception {
    ModelScript script = new ModelScript()
        .on(ModelGrader.INSTRUCTION, ModelScript.says("NONE", 100, 1), ModelScript.says("2", 100, 1))
        .on(GroundedPrompt.INSTRUCTION, FakeOpenAiServer.stream("gpt-fake",
            List.of("Refunds take 7 working days [1].", " Shipping is free worldwide [1]."), 300, 12))
        .on(ModelSupportChecker.INSTRUCTION, ModelScript.says("Partial", 200, 1))
        .on(ModelQueryRewriter.RETRY_INSTRUCTION, ModelScript.says("refund time", 50, 3));
    try (FakeOpenAiServer fake = FakeOpenAiServer.start(script.step())) {
      List<Output> outputs = run(withModel(fake, ScriptedRetriever.finding(RagFixtures.policyPassages()),
          settings("")), ask("How long do refunds take?"));

      // The last round streamed as the model wrote it; the note follows.
      assertTrue(outputs.stream().filter(o -> o instanceof Token).count() >= 2);
      assertEquals("Refunds take 7 working days [1]. Shipping is free worldwide [1].\n\n"
          + GroundedReplyGenerator.NOTE_PARTIAL_EN, text(outputs));
      Grounding grounding = grounding(outputs);
      assertEquals("partial", grounding.support());
      assertEquals(2, grounding.rounds());
      assertTrue(grounding.reason().contains("no passage relevant enough (3 retrieved, graded by the model)"),
          grounding.reason());
      // The check ran on the whole streamed answer, after it ended.
      String checked = ModelScript.lastMessage(ModelScript.requests(fake, ModelSupportChecker.INSTRUCTION).get(0));
      assertTrue(checked.endsWith("Answer: Refunds take 7 working days [1]. Shipping is free worldwide [1]."), checked);
    }
  }

  @Test
  void aGraderOrCheckerThatFailsLeavesItToTheRules() throws Exception {
    ModelScript script = new ModelScript()
        .on(GroundedPrompt.INSTRUCTION, ModelScript.says("We inspect returned items within two days [1].", 300, 12))
        .otherwise(FakeOpenAiServer.error(400, "{\"error\":{\"message\":\"bad request\"}}"));
    try (FakeOpenAiServer fake = FakeOpenAiServer.start(script.step())) {
      List<Output> outputs = run(withModel(fake, ScriptedRetriever.finding(RagFixtures.policyPassages()),
          settings("")), ask("How long do refunds take?"));
      Grounding grounding = grounding(outputs);
      assertTrue(grounding.reason().contains("(key terms (model grading failed))"), grounding.reason());
      assertEquals("supported", grounding.support(), grounding.reason());
      assertTrue(grounding.reason().contains("found in their sources (model check failed)"), grounding.reason());
    }
  }

  @Test
  void theModelRoutesWhatNoKeywordDecides() throws Exception {
    ModelScript script = new ModelScript()
        .on(ModelModeClassifier.INSTRUCTION, ModelScript.says("CHAT", 40, 1), ModelScript.says("DOCS", 40, 1),
            FakeOpenAiServer.error(400, "{\"error\":{\"message\":\"bad request\"}}"))
        .otherwise(ModelScript.says("Lovely indeed!", 20, 3));
    try (FakeOpenAiServer fake = FakeOpenAiServer.start(script.step())) {
      ScriptedRetriever retriever = ScriptedRetriever.finding(shippingOnly());
      GroundedReplyGenerator generator = withModel(fake, retriever, settings("self-rag.grade-passages = terms"));

      List<Output> talk = run(generator, ask("lovely weather today"));
      assertEquals("chat", grounding(talk).mode());
      assertEquals("model: conversation", grounding(talk).reason());
      assertEquals(20 + 40, finished(talk).inputTokens(), "the routing call is charged");
      assertTrue(retriever.queries.isEmpty());

      // Decided by the model as a document question: nothing relevant gives the honest answer, not chat.
      Grounding docs = grounding(run(generator, ask("doorbell chime volume")));
      assertEquals("rag", docs.mode());
      assertEquals("none", docs.support());
      assertTrue(docs.reason().startsWith("model: a question for the documents"), docs.reason());

      // A failing model: the question rule decides.
      Grounding byRule = grounding(run(generator, ask("Is the doorbell waterproof?")));
      assertTrue(byRule.reason().startsWith("rule: a question"), byRule.reason());
      // Keyword rules decide without asking the model.
      int asked = script.asked(ModelModeClassifier.INSTRUCTION);
      run(generator, ask("What is the warranty?"));
      assertEquals(asked, script.asked(ModelModeClassifier.INSTRUCTION));
    }
  }
}
