package io.voicehelper.edge.http;

import static io.voicehelper.edge.http.TestJson.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.entities.conversation.ScriptedReplyGenerator;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every way a request can fail answers an RFC 9457 problem with the right status, and leaks nothing internal. */
@Timeout(30)
class ErrorResponsesTest {

  private static EdgeTestKit kit;
  private static String conversation;

  @BeforeAll
  static void start() throws Exception {
    kit = EdgeTestKit.start("ErrorResponsesTest", "voicehelper.http.ask-timeout = 1500ms",
        ScriptedReplyGenerator.echo());
    conversation = kit.createConversation("Errors");
  }

  @AfterAll
  static void stop() {
    kit.close();
  }

  @AfterEach
  void resetDirectory() {
    kit.directory.answerWith(null);
  }

  private static String messages() {
    return "/api/v1/conversations/" + conversation + "/messages";
  }

  private static String slug(JsonNode problem) {
    return problem.get("type").asText().replace("urn:voicehelper:problem:", "");
  }

  @Test
  void malformedJsonIs400WithThePosition() throws Exception {
    JsonNode problem = assertProblem(kit.postJson(messages(), "{\"content\": \"hi\""), 400);
    assertEquals("malformed-json", slug(problem));
    assertTrue(problem.get("detail").asText().contains("line 1"), problem.toString());
    assertEquals("malformed-json", slug(assertProblem(kit.postJson(messages(), "{\"content\":\"a\"} trailing"), 400)));
    assertEquals("malformed-json",
        slug(assertProblem(kit.postJson(messages(), "{\"content\":\"a\",\"content\":\"b\"}"), 400)));
  }

  @Test
  void aBodyOverTheLimitIs413WhetherItsLengthIsDeclaredOrNot() throws Exception {
    String big = "{\"content\":\"" + "x".repeat(140 * 1024) + "\"}";
    JsonNode declared = assertProblem(kit.postJson(messages(), big), 413);
    assertEquals(128 * 1024, declared.get("maxBytes").asLong());

    // Chunked, so the size is only found out while reading.
    HttpResponse<String> chunked = kit.send(kit.request(messages())
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
        .build());
    assertProblem(chunked, 413);
  }

  @Test
  void tooDeeplyNestedJsonIs400() throws Exception {
    String deep = "{\"content\":\"hi\",\"x\":" + "[".repeat(40) + "]".repeat(40) + "}";
    JsonNode problem = assertProblem(kit.postJson(messages(), deep), 400);
    assertEquals("json-too-deep", slug(problem));
    // The create endpoint reads its body with the same limits.
    assertEquals("json-too-deep", slug(assertProblem(kit.postJson("/api/v1/conversations", deep), 400)));
  }

  @Test
  void invalidContentIs400() throws Exception {
    String tooLong = "{\"content\":\"" + "y".repeat(kit.settings.maxMessageLength() + 1) + "\"}";
    JsonNode problem = assertProblem(kit.postJson(messages(), tooLong), 400);
    assertEquals("content-too-long", slug(problem));
    assertEquals(kit.settings.maxMessageLength(), problem.get("maxLength").asInt());
    assertEquals("content-blank", slug(assertProblem(kit.postJson(messages(), "{\"content\":\"  \\n \"}"), 400)));
    assertEquals("content-required", slug(assertProblem(kit.postJson(messages(), "{\"text\":\"hi\"}"), 400)));
    assertEquals("invalid-content", slug(assertProblem(kit.postJson(messages(), "{\"content\":42}"), 400)));
    assertEquals("invalid-body", slug(assertProblem(kit.postJson(messages(), "[\"hi\"]"), 400)));
    assertEquals("missing-body", slug(assertProblem(kit.send(kit.request(messages())
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody()).build()), 400)));
    assertEquals("title-too-long", slug(assertProblem(
        kit.postJson("/api/v1/conversations", "{\"title\":\"" + "t".repeat(201) + "\"}"), 400)));
    assertEquals("invalid-idempotency-key", slug(assertProblem(kit.send(kit.request(messages())
        .header("Content-Type", "application/json").header("Idempotency-Key", "k".repeat(256))
        .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"hi\"}")).build()), 400)));
  }

  @Test
  void anotherContentTypeIs415() throws Exception {
    HttpResponse<String> response = kit.send(kit.request(messages())
        .header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("hello")).build());
    assertProblem(response, 415);
    assertEquals("application/json", response.headers().firstValue("Accept-Post").orElseThrow());
  }

  @Test
  void unknownConversationsAndRepliesAre404() throws Exception {
    JsonNode missing = assertProblem(kit.get("/api/v1/conversations/no-such-conversation"), 404);
    assertEquals("conversation-not-found", slug(missing));
    assertEquals("/api/v1/conversations/no-such-conversation", missing.get("instance").asText());
    assertEquals("conversation-not-found",
        slug(assertProblem(kit.postJson("/api/v1/conversations/nope/messages", "{\"content\":\"hi\"}"), 404)));
    assertEquals("conversation-not-found",
        slug(assertProblem(kit.get("/api/v1/conversations/nope/replies/r1/stream"), 404)));
    assertEquals("conversation-not-found", slug(assertProblem(kit.get("/api/v1/conversations/a%7Cb"), 404)));
    JsonNode reply = assertProblem(
        kit.get("/api/v1/conversations/" + conversation + "/replies/no-such-reply/stream"), 404);
    assertEquals("reply-not-found", slug(reply));
  }

  @Test
  void aBadLastEventIdIs400() throws Exception {
    String replyId = TestJson.read(kit.postJson(messages(), "{\"content\":\"hi\"}").body()).get("replyId").asText();
    String stream = "/api/v1/conversations/" + conversation + "/replies/" + replyId + "/stream";
    for (String bad : new String[] {"abc", "-1", "1.5", "99999999999999999999"}) {
      JsonNode problem = assertProblem(kit.send(kit.request(stream).header("Last-Event-ID", bad).GET().build()), 400);
      assertEquals("invalid-last-event-id", slug(problem));
    }
    assertProblem(kit.get(stream + "?lastEventId=-3"), 400);
  }

  @Test
  void aWrongMethodIs405WithAllow() throws Exception {
    HttpResponse<String> delete = kit.send(kit.request("/api/v1/conversations").DELETE().build());
    assertProblem(delete, 405);
    Set<String> allowed = new HashSet<>(Arrays.asList(
        delete.headers().firstValue("Allow").orElseThrow().split("\\s*,\\s*")));
    assertEquals(Set.of("GET", "POST"), allowed);

    HttpResponse<String> put = kit.send(kit.request("/api/v1/conversations/" + conversation)
        .PUT(HttpRequest.BodyPublishers.ofString("{}")).build());
    assertProblem(put, 405);
    assertEquals("GET", put.headers().firstValue("Allow").orElseThrow());
    HttpResponse<String> getMessages = kit.get(messages());
    assertProblem(getMessages, 405);
    assertEquals("POST", getMessages.headers().firstValue("Allow").orElseThrow());
  }

  @Test
  void anUnknownPathIs404() throws Exception {
    JsonNode problem = assertProblem(kit.get("/api/v2/whatever"), 404);
    assertEquals("about:blank", problem.get("type").asText());
    assertEquals("Not Found", problem.get("title").asText());
    assertProblem(kit.get("/api/v1/conversations/" + conversation + "/unknown"), 404);
    assertProblem(kit.get("/nothing-here"), 404);
  }

  @Test
  void anInvalidLimitIs400() throws Exception {
    assertEquals("invalid-limit", slug(assertProblem(kit.get("/api/v1/conversations?limit=abc"), 400)));
    assertProblem(kit.get("/api/v1/conversations?limit=0"), 400);
  }

  @Test
  void aDirectoryThatDoesNotAnswerIs503() throws Exception {
    kit.directory.answerWith(CompletableFuture::new); // never completes
    HttpResponse<String> response = kit.get("/api/v1/conversations");
    assertProblem(response, 503);
    assertTrue(response.headers().firstValue("Retry-After").isPresent());
  }

  @Test
  void anUnexpectedFailureIs500WithAGenericDetail() throws Exception {
    kit.directory.answerWith(() -> {
      throw new IllegalStateException("secret connection string jdbc:postgresql://db/prod");
    });
    HttpResponse<String> response = kit.send(kit.request("/api/v1/conversations")
        .header("X-Request-Id", "trace-me-123").GET().build());
    JsonNode problem = assertProblem(response, 500);
    assertFalse(response.body().contains("secret"), response.body());
    assertFalse(response.body().contains("postgresql"), response.body());
    assertEquals("trace-me-123", problem.get("requestId").asText());
    assertEquals("trace-me-123", response.headers().firstValue("X-Request-Id").orElseThrow());
    assertTrue(problem.get("detail").asText().contains("trace-me-123"));

    kit.directory.answerWith(() -> CompletableFuture.failedFuture(new RuntimeException("boom")));
    assertFalse(assertProblem(kit.get("/api/v1/conversations"), 500).toString().contains("boom"));
  }
}
