package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.cluster.NodeTestSupport.Response;
import io.voicehelper.cluster.NodeTestSupport.SseEvent;
import io.voicehelper.cluster.NodeTestSupport.SseStream;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Chat answered from the tenant's documents on a whole node with its embedded defaults (no language model): a
 * Markdown document is uploaded and indexed, a conversation scoped to its collection asks over SSE, and the answer
 * streams as quoted sentences with a citation of that document, version and heading; chit-chat goes to chat mode,
 * and a question the documents do not cover gets the honest answer.
 */
class RagChatIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String POLICY = "# 退货政策\n\n## 退货期限\n\n自签收之日起 30 天内可以申请退货。"
      + "已拆封的摄像头为 15 天。\n\n## Refunds\n\nWe inspect returned items within two days. Refunds reach the "
      + "original payment method within 7 working days.\n";

  private static SingleNode node;
  private static String api;

  @BeforeAll
  static void startNode() {
    node = SingleNode.start("rag");
    api = node.api;
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) node.close();
  }

  /** The reply's text and its done event, asked over SSE. */
  private record Answer(String text, JsonNode done, int deltas) {}

  private static Answer ask(String conversation, String question) throws Exception {
    try (SseStream stream = SseStream.post(api + "/conversations/" + conversation + "/messages",
        NodeTestSupport.JSON.writeValueAsString(java.util.Map.of("content", question)))) {
      assertEquals(200, stream.response.statusCode());
      List<SseEvent> events = stream.rest(WAIT);
      assertEquals("accepted", events.get(0).event());
      SseEvent done = events.get(events.size() - 1);
      assertEquals("done", done.event(), events.toString());
      List<SseEvent> deltas = events.stream().filter(e -> e.event().equals("delta")).toList();
      String text = deltas.stream().map(e -> e.data().get("text").asText()).collect(Collectors.joining());
      return new Answer(text, done.data(), deltas.size());
    }
  }

  @Test
  void questionsAreAnsweredFromTheDocumentsWithCitations() throws Exception {
    SingleNode.Uploaded uploaded = node.signUpAndUpload("FAQ", "returns.md", POLICY);
    String collection = uploaded.collectionId();
    String documentId = uploaded.documentId();

    Response unknown = NodeTestSupport.post(api + "/conversations", "{\"collections\":[\"no-such-collection\"]}");
    assertEquals(404, unknown.status(), unknown.raw().body());
    Response created = NodeTestSupport.post(api + "/conversations",
        "{\"title\":\"Returns\",\"collections\":[\"" + collection + "\"]}");
    assertEquals(201, created.status(), created.raw().body());
    assertEquals(collection, created.body().get("collections").get(0).asText());
    String conversation = created.body().get("id").asText();

    // A policy question: quoted from the document, streamed, cited.
    Answer answer = ask(conversation, "退货期限是多久？");
    assertTrue(answer.text().contains("自签收之日起 30 天内可以申请退货。 [1]"), answer.text());
    assertTrue(answer.deltas() > 5, "streamed token by token: " + answer.deltas());
    JsonNode done = answer.done();
    assertEquals("completed", done.get("status").asText());
    assertEquals("rag", done.get("mode").asText(), done.toString());
    assertEquals("supported", done.get("support").asText());
    assertEquals("none (extractive)", done.get("model").asText());
    assertTrue(done.get("routing").asText().contains("rule"), done.toString());
    JsonNode citation = done.get("citations").get(0);
    assertEquals(1, citation.get("number").asInt());
    assertEquals(documentId, citation.get("documentId").asText());
    assertEquals("returns.md", citation.get("documentName").asText());
    assertEquals(1, citation.get("version").asInt());
    assertEquals(List.of("退货政策", "退货期限"), NodeTestSupport.JSON.convertValue(citation.get("headingPath"),
        List.class));
    assertTrue(citation.get("snippet").asText().contains("30 天"), citation.toString());

    // An elliptical follow-up is searched with the previous question's terms and quotes the sentence it asks about.
    Answer followUp = ask(conversation, "那摄像头呢？");
    assertTrue(followUp.text().contains("已拆封的摄像头为 15 天。 [1]"), followUp.text());
    assertEquals("rag", followUp.done().get("mode").asText());

    // Chit-chat goes to chat mode (the embedded template, no retrieval).
    Answer hello = ask(conversation, "你好");
    assertEquals("chat", hello.done().get("mode").asText(), hello.done().toString());
    assertEquals(0, hello.done().get("citations").size());

    // A question about something the documents do not cover: said plainly, in the question's language.
    Answer uncovered = ask(conversation, "How do I pair the doorbell with my WiFi router?");
    assertTrue(uncovered.text().startsWith("Sorry, the documents in the knowledge base do not cover this question"),
        uncovered.text());
    assertEquals("rag", uncovered.done().get("mode").asText());
    assertEquals("none", uncovered.done().get("support").asText());
    Answer uncoveredZh = ask(conversation, "门铃怎么连接无线网络？");
    assertTrue(uncoveredZh.text().startsWith("抱歉，知识库中的文档没有涉及这个问题"), uncoveredZh.text());
    assertEquals(0, uncoveredZh.done().get("citations").size());

    // The stored messages carry the grounding too.
    JsonNode messages = NodeTestSupport.get(api + "/conversations/" + conversation).body();
    assertEquals(collection, messages.get("collections").get(0).asText());
    JsonNode firstReply = messages.get("messages").get(1);
    assertEquals("rag", firstReply.get("mode").asText(), firstReply.toString());
    assertEquals(documentId, firstReply.get("citations").get(0).get("documentId").asText());
  }
}
