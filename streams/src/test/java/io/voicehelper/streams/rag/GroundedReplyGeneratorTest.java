package io.voicehelper.streams.rag;

import static io.voicehelper.streams.rag.RagFixtures.ask;
import static io.voicehelper.streams.rag.RagFixtures.grounding;
import static io.voicehelper.streams.rag.RagFixtures.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.Citation;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.ReplyGenerator.Finished;
import io.voicehelper.entities.conversation.ReplyGenerator.Grounding;
import io.voicehelper.entities.conversation.ReplyGenerator.Output;
import io.voicehelper.entities.conversation.ReplyGenerator.Request;
import io.voicehelper.entities.conversation.ReplyGenerator.Token;
import io.voicehelper.entities.retrieval.RetrievalUnavailableException;
import io.voicehelper.streams.generation.FakeOpenAiServer;
import io.voicehelper.streams.generation.GenerationSettings;
import io.voicehelper.streams.generation.OpenAiCompatibleReplyGenerator;
import io.voicehelper.streams.generation.TemplateReplyGenerator;
import io.voicehelper.streams.rag.RagFixtures.ScriptedRetriever;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GroundedReplyGeneratorTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static GroundedReplyGenerator embedded(ScriptedRetriever retriever) {
    RagSettings settings = RagFixtures.settings();
    return GroundedReplyGenerator.extractive(new TemplateReplyGenerator(0), retriever,
        RagFixtures.NamingCatalog.standard(), java.util.Optional.empty(), java.util.Optional.empty(), settings, 1000,
        0, testKit.system());
  }

  private static List<Output> run(ReplyGenerator generator, Request request) throws Exception {
    return RagFixtures.run(generator, request, testKit.system());
  }


  @Test
  void withoutAModelARagQuestionIsAnsweredByQuotingTheRightChunkWithItsCitation() throws Exception {
    ScriptedRetriever retriever = ScriptedRetriever.finding(RagFixtures.policyPassages());
    List<Output> outputs = run(embedded(retriever), ask("退货期限是多久？"));

    assertTrue(outputs.stream().filter(o -> o instanceof Token).count() > 5, "streamed token by token");
    assertEquals(ExtractiveAnswerer.INTRO_ZH + "自签收之日起 30 天内可以申请退货。 [1]", text(outputs));
    Grounding grounding = grounding(outputs);
    assertEquals("rag", grounding.mode());
    assertEquals("supported", grounding.support());
    assertTrue(grounding.reason().contains("rule"), grounding.reason());
    Citation citation = grounding.citations().get(0);
    assertEquals(1, grounding.citations().size());
    assertEquals(1, citation.number());
    assertEquals("returns-md", citation.documentId());
    assertEquals("returns.md", citation.documentName());
    assertEquals(2, citation.version());
    assertEquals(RagFixtures.policyPassages().get(0).chunk().chunkId(), citation.chunkId());
    assertEquals(List.of("退货政策", "退货期限"), citation.headingPath());
    assertTrue(citation.snippet().startsWith("自签收之日起"));
    assertEquals(GroundedReplyGenerator.EXTRACTIVE_MODEL, ((Finished) outputs.get(outputs.size() - 1)).model());

    // The conversation's scope and tenant reach the retriever.
    assertEquals("acme", retriever.queries.get(0).filter().tenantId());
    assertEquals(Set.of("faq"), retriever.queries.get(0).filter().collectionIds());
  }

  @Test
  void aFollowUpIsSearchedWithThePreviousQuestionsTerms() throws Exception {
    ScriptedRetriever retriever = ScriptedRetriever.finding(RagFixtures.policyPassages());
    run(embedded(retriever), ask("那摄像头呢？", ChatTurn.user("退货期限是多久？"), ChatTurn.assistant("30 天。")));
    // ... and with the synonyms of what it names.
    assertEquals("那摄像头呢？ 退货期限 退换 退回", retriever.queries.get(0).text());
  }

  @Test
  void chitChatGoesToTheModelWithoutRetrieval() throws Exception {
    ScriptedRetriever retriever = ScriptedRetriever.finding(RagFixtures.policyPassages());
    List<Output> outputs = run(embedded(retriever), ask("你好"));
    assertTrue(text(outputs).startsWith(TemplateReplyGenerator.LABEL_ZH));
    Grounding grounding = grounding(outputs);
    assertEquals("chat", grounding.mode());
    assertTrue(grounding.citations().isEmpty());
    assertTrue(retriever.queries.isEmpty());
  }

  @Test
  void messagesNoKeywordDecidesAreRoutedByEmbeddingSimilarityWhenConfigured() throws Exception {
    ScriptedRetriever retriever = ScriptedRetriever.finding(RagFixtures.policyPassages());
    RagSettings settings = RagFixtures.settings();
    GroundedReplyGenerator generator = GroundedReplyGenerator.extractive(new TemplateReplyGenerator(0), retriever,
        RagFixtures.NamingCatalog.standard(), java.util.Optional.of(new SemanticRouter(
            new RagFixtures.AxisEmbedder(), List.of("small talk"), List.of("products"), 0.1)), java.util.Optional.empty(),
        settings, 1000, 0,
        testKit.system());
    Grounding talk = grounding(run(generator, ask("lovely weather today")));
    assertEquals("chat", talk.mode());
    assertTrue(talk.reason().startsWith("embedding rule"), talk.reason());
    assertTrue(retriever.queries.isEmpty(), "no retrieval for chit-chat");
    // Decided as a document question: nothing relevant gives the honest answer, not chat.
    Grounding product = grounding(run(generator, ask("doorbell chime volume")));
    assertEquals("rag", product.mode());
    assertEquals(GroundedReplyGenerator.SUPPORT_NONE, product.support());
  }

  @Test
  void aDocumentQuestionTheSourcesDoNotCoverGetsTheHonestAnswer() throws Exception {
    List<Output> outputs = run(embedded(ScriptedRetriever.finding(RagFixtures.policyPassages())),
        ask("How do I pair the doorbell with WiFi?"));
    assertEquals(ExtractiveAnswerer.NOT_COVERED_EN, text(outputs));
    Grounding grounding = grounding(outputs);
    assertEquals("rag", grounding.mode());
    assertEquals(GroundedReplyGenerator.SUPPORT_NONE, grounding.support());
    assertTrue(grounding.reason().contains("no passage relevant enough"), grounding.reason());
    assertTrue(grounding.citations().isEmpty());
  }

  @Test
  void noDocumentsOrNoRetrievalMeansChat() throws Exception {
    Grounding empty = grounding(run(embedded(ScriptedRetriever.finding(List.of())), ask("退货期限是多久？")));
    assertEquals("chat", empty.mode());
    assertTrue(empty.reason().contains("no indexed documents"), empty.reason());

    ScriptedRetriever failing = new ScriptedRetriever(
        q -> CompletableFuture.failedFuture(new RetrievalUnavailableException("both halves timed out")));
    Grounding unavailable = grounding(run(embedded(failing), ask("退货期限是多久？")));
    assertEquals("chat", unavailable.mode());
    assertTrue(unavailable.reason().contains("retrieval unavailable"), unavailable.reason());

    // No rule decides a message about an unrelated topic: with nothing relevant it is plain chat.
    Grounding unrelated = grounding(run(embedded(ScriptedRetriever.finding(RagFixtures.policyPassages())),
        ask("the weather in Berlin today")));
    assertEquals("chat", unrelated.mode());
  }

  static GenerationSettings llm(FakeOpenAiServer fake) {
    return GenerationSettings.fromConfig(ConfigFactory.parseString(
            "provider = openai-compatible\nbase-url = \"" + fake.baseUrl() + "\"\nmodel = \"gpt-fake\"")
        .withFallback(ConfigFactory.defaultReference().getConfig(GenerationSettings.CONFIG_PATH)));
  }

  @Test
  void withAModelThePromptCarriesTheNumberedSourcesAndTheCitationsComeBack() throws Exception {
    ModelScript script = new ModelScript()
        .on(ModelGrader.INSTRUCTION, ModelScript.says("2, 3", 150, 2))
        .on(GroundedPrompt.INSTRUCTION, FakeOpenAiServer.stream("gpt-fake",
            List.of("Refunds take up to 7 working days", " [1]."), 300, 12))
        .on(ModelSupportChecker.INSTRUCTION, ModelScript.says("SUPPORTED", 200, 1));
    try (FakeOpenAiServer fake = FakeOpenAiServer.start(script.step())) {
      GroundedReplyGenerator generator = GroundedReplyGenerator.withModel(
          new OpenAiCompatibleReplyGenerator(llm(fake)), ScriptedRetriever.finding(RagFixtures.policyPassages()),
          RagFixtures.NamingCatalog.standard(), java.util.Optional.empty(), RagFixtures.settings(), 1000,
          testKit.system());

      List<Output> outputs = run(generator, ask("How long do refunds take?", ChatTurn.user("hi"),
          ChatTurn.assistant("Hello! How can I help?")));

      assertEquals("Refunds take up to 7 working days [1].", text(outputs));
      Grounding grounding = grounding(outputs);
      assertEquals("supported", grounding.support());
      assertEquals(1, grounding.rounds());
      assertTrue(grounding.reason().contains("2 relevant passages of 3 (graded by the model)"), grounding.reason());
      assertEquals(List.of(1), grounding.citations().stream().map(Citation::number).toList(), "only the cited one");
      assertEquals(RagFixtures.policyPassages().get(1).chunk().chunkId(), grounding.citations().get(0).chunkId());
      // The quota is charged for the grading and the check as well as the answer.
      Finished finished = (Finished) outputs.get(outputs.size() - 1);
      assertEquals(300 + 150 + 200, finished.inputTokens());
      assertEquals(12 + 2 + 1, finished.outputTokens());

      // The grader saw every retrieved passage; only the ones it named became sources.
      String graded = ModelScript.lastMessage(ModelScript.requests(fake, ModelGrader.INSTRUCTION).get(0));
      assertTrue(graded.startsWith("Question: How long do refunds take?"), graded);
      assertTrue(graded.contains("[1] 退货政策 > 退货期限") && graded.contains("[3] Shipping"), graded);
      JsonNode messages = ModelScript.requests(fake, GroundedPrompt.INSTRUCTION).get(0).body().path("messages");
      String system = ModelScript.system(ModelScript.requests(fake, GroundedPrompt.INSTRUCTION).get(0));
      assertTrue(system.contains("[1] returns.md — Returns > Refunds\nWe inspect returned items"), system);
      assertTrue(system.contains("[2] shipping.md — Shipping\nOrders ship"), system);
      assertFalse(system.contains("退货期限"), system);
      JsonNode last = messages.get(messages.size() - 1);
      assertEquals("user", last.path("role").asText());
      assertEquals("How long do refunds take?", last.path("content").asText());
      assertEquals("Hello! How can I help?", messages.get(messages.size() - 2).path("content").asText());
      // The checker saw the sources and the answer.
      String checked = ModelScript.lastMessage(ModelScript.requests(fake, ModelSupportChecker.INSTRUCTION).get(0));
      assertTrue(checked.contains("[1] returns.md") && checked.endsWith("Answer: Refunds take up to 7 working days [1]."),
          checked);
    }
  }
}
