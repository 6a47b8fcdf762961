package io.voicehelper.edge.http;

import static io.voicehelper.edge.http.TestJson.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.entities.conversation.Citation;
import io.voicehelper.entities.conversation.ReplyGenerator;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A grounded reply's mode, routing reason, support and citations in the SSE done event, the JSON answer and views. */
@Timeout(30)
class GroundedReplyApiTest {

  private static final ReplyGenerator.Grounding GROUNDING = new ReplyGenerator.Grounding("rag",
      "rule: a question about policies, products or how-to ('refund')", "extractive",
      List.of(new Citation(1, "returns-md", "faq", "returns.md", 2, "returns-md-v2-1-0123456789abcdef",
          List.of("Returns", "Refunds"), "Refunds reach the original payment method within 7 working days.", 0.032)));

  private static EdgeTestKit kit;

  @BeforeAll
  static void start() throws Exception {
    ReplyGenerator grounded = request -> Source.from(List.<ReplyGenerator.Output>of(
        new ReplyGenerator.Token("Refunds take 7 working days."), new ReplyGenerator.Token(" [1]"), GROUNDING,
        new ReplyGenerator.Finished("none (extractive)", 20, 8)));
    kit = EdgeTestKit.start("GroundedReplyApiTest", "", grounded);
  }

  @AfterAll
  static void stop() {
    kit.close();
  }

  private static void assertGrounded(JsonNode json) {
    assertEquals("rag", json.get("mode").asText(), json.toString());
    assertEquals(GROUNDING.reason(), json.get("routing").asText());
    assertEquals("extractive", json.get("support").asText());
    JsonNode citation = json.get("citations").get(0);
    assertEquals(1, citation.get("number").asInt());
    assertEquals("returns-md", citation.get("documentId").asText());
    assertEquals("faq", citation.get("collectionId").asText());
    assertEquals("returns.md", citation.get("documentName").asText());
    assertEquals(2, citation.get("version").asInt());
    assertEquals("returns-md-v2-1-0123456789abcdef", citation.get("chunkId").asText());
    assertEquals("Refunds", citation.get("headingPath").get(1).asText());
    assertTrue(citation.get("snippet").asText().startsWith("Refunds reach"));
    assertEquals(0.032, citation.get("score").asDouble(), 1e-9);
  }

  @Test
  void theJsonAnswerAndTheStoredReplyCarryTheGrounding() throws Exception {
    String id = kit.createConversation("Refunds");
    HttpResponse<String> answer = kit.postJson("/api/v1/conversations/" + id + "/messages",
        "{\"content\":\"How long do refunds take?\"}");
    assertEquals(200, answer.statusCode(), answer.body());
    JsonNode result = read(answer.body());
    assertEquals("Refunds take 7 working days. [1]", result.get("content").asText());
    assertGrounded(result);

    JsonNode messages = read(kit.get("/api/v1/conversations/" + id).body()).get("messages");
    assertFalse(messages.get(0).has("mode"), "a user message has no grounding: " + messages.get(0));
    assertGrounded(messages.get(1));
  }

  @Test
  void theSseDoneEventCarriesTheGrounding() throws Exception {
    String id = kit.createConversation("Refunds over SSE");
    HttpResponse<String> response = kit.send(kit.request("/api/v1/conversations/" + id + "/messages")
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"How long do refunds take?\"}")).build());
    assertEquals(200, response.statusCode(), response.body());
    Matcher done = Pattern.compile("event: done\ndata: (\\{.*})").matcher(response.body());
    assertTrue(done.find(), response.body());
    assertGrounded(read(done.group(1)));
  }
}
