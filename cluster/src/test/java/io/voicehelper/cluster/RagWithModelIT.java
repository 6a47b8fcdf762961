package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.cluster.NodeTestSupport.SseEvent;
import io.voicehelper.cluster.NodeTestSupport.SseStream;
import io.voicehelper.streams.generation.FakeOpenAiServer;
import io.voicehelper.streams.rag.GroundedPrompt;
import io.voicehelper.streams.rag.ModelGrader;
import io.voicehelper.streams.rag.ModelModeClassifier;
import io.voicehelper.streams.rag.ModelQueryRewriter;
import io.voicehelper.streams.rag.ModelScript;
import io.voicehelper.streams.rag.ModelSupportChecker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Answers from the documents with a language model configured, on a whole node: the node's model is an
 * OpenAI-compatible server on loopback (the real LangChain4j client speaks to it) that grades passages, writes the
 * answer from the numbered sources, checks it, routes and writes retry queries, as scripted per kind of call. The
 * answer streams over SSE with the model's text and the document's citation; every helper call is charged to the
 * reply's usage; a question nothing answers goes round again with the model's query and ends with the honest answer.
 */
class RagWithModelIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String POLICY = "# Returns policy\n\n## Refunds\n\nWe inspect returned items within two days. "
      + "Refunds reach the original payment method within 7 working days.\n\n## Deadline\n\nItems can be returned "
      + "within 30 days of delivery.\n";

  private record Answer(String text, JsonNode done) {}

  private static Answer ask(String api, String conversation, String question) throws Exception {
    try (SseStream stream = SseStream.post(api + "/conversations/" + conversation + "/messages",
        NodeTestSupport.JSON.writeValueAsString(Map.of("content", question)))) {
      assertEquals(200, stream.response.statusCode());
      List<SseEvent> events = stream.rest(WAIT);
      SseEvent done = events.get(events.size() - 1);
      assertEquals("done", done.event(), events.toString());
      String text = events.stream().filter(e -> e.event().equals("delta")).map(e -> e.data().get("text").asText())
          .collect(Collectors.joining());
      return new Answer(text, done.data());
    }
  }

  @Test
  void theModelAnswersFromTheDocumentsAndEveryCallIsChecked() throws Exception {
    ModelScript script = new ModelScript()
        .on(ModelModeClassifier.INSTRUCTION, ModelScript.says("DOCS", 30, 1))
        // First question: both sections help; the answer is supported.
        // Second question: nothing helps, in either round.
        .on(ModelGrader.INSTRUCTION, ModelScript.says("1, 2", 120, 2), ModelScript.says("NONE", 120, 1))
        .on(GroundedPrompt.INSTRUCTION, FakeOpenAiServer.stream("gpt-fake",
            List.of("Refunds reach your original payment method", " within 7 working days [1]."), 400, 15))
        .on(ModelSupportChecker.INSTRUCTION, ModelScript.says("SUPPORTED", 250, 1))
        .on(ModelQueryRewriter.RETRY_INSTRUCTION, ModelScript.says("doorbell wireless pairing", 40, 4))
        .otherwise(ModelScript.says("Hello!", 10, 2));
    try (FakeOpenAiServer model = FakeOpenAiServer.start(script.step());
        SingleNode node = SingleNode.start("rag-model",
            "voicehelper.llm.provider = openai-compatible",
            "voicehelper.llm.base-url = \"" + model.baseUrl() + "\"",
            "voicehelper.llm.model = \"gpt-fake\"",
            "voicehelper.llm.max-retries = 0")) {
      String api = node.api;
      SingleNode.Uploaded uploaded = node.signUpAndUpload("FAQ", "returns.md", POLICY);
      String collection = uploaded.collectionId();
      String documentId = uploaded.documentId();
      String conversation = NodeTestSupport.post(api + "/conversations",
          "{\"collections\":[\"" + collection + "\"]}").body().get("id").asText();

      Answer refunds = ask(api, conversation, "How long do refunds take?");
      assertEquals("Refunds reach your original payment method within 7 working days [1].", refunds.text());
      JsonNode done = refunds.done();
      assertEquals("gpt-fake", done.get("model").asText(), done.toString());
      assertEquals("rag", done.get("mode").asText());
      assertEquals("supported", done.get("support").asText());
      assertEquals(1, done.get("rounds").asInt());
      assertTrue(done.get("routing").asText().contains("graded by the model"), done.toString());
      assertTrue(done.get("routing").asText().contains("answer supported (judged by the model)"), done.toString());
      JsonNode citation = done.get("citations").get(0);
      assertEquals(documentId, citation.get("documentId").asText());
      assertEquals(1, citation.get("version").asInt());
      assertEquals("Returns policy", citation.get("headingPath").get(0).asText(), citation.toString());
      assertEquals(1, done.get("citations").size(), "only the source the answer cites");
      // The reply's usage holds the grading and the check as well as the answer.
      assertEquals(400 + 120 + 250, done.get("usage").get("inputTokens").asInt(), done.toString());
      assertEquals(15 + 2 + 1, done.get("usage").get("outputTokens").asInt(), done.toString());
      // The answer was written from the numbered source.
      String prompt = ModelScript.system(ModelScript.requests(model, GroundedPrompt.INSTRUCTION).get(0));
      assertTrue(prompt.contains("returns.md — Returns policy > Refunds\nWe inspect returned items"), prompt);
      assertTrue(prompt.contains("returns.md — Returns policy > Deadline\nItems can be returned"), prompt);

      // No keyword decides this message: the model routes it to the documents; nothing there answers it, so the
      // model writes another query, that round finds nothing either, and the answer is the honest one.
      Answer uncovered = ask(api, conversation, "Doorbell pairing with my router");
      assertTrue(uncovered.text().startsWith("Sorry, the documents in the knowledge base do not cover this question"),
          uncovered.text());
      JsonNode honest = uncovered.done();
      assertEquals("none", honest.get("support").asText(), honest.toString());
      assertEquals("none (no source)", honest.get("model").asText());
      assertTrue(honest.get("routing").asText().startsWith("model: a question for the documents"), honest.toString());
      assertTrue(honest.get("routing").asText().contains("round 2: no passage relevant enough"), honest.toString());
      assertEquals(30 + 120 + 40 + 120, honest.get("usage").get("inputTokens").asInt(), honest.toString());
      assertEquals(1, script.asked(ModelQueryRewriter.RETRY_INSTRUCTION));
    }
  }
}
