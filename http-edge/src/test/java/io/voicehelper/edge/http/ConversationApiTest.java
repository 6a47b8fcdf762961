package io.voicehelper.edge.http;

import static io.voicehelper.edge.http.TestJson.assertProblem;
import static io.voicehelper.edge.http.TestJson.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.entities.conversation.ConversationDirectory;
import io.voicehelper.entities.conversation.ScriptedReplyGenerator;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The conversation API end to end over HTTP, with replies from the echo generator. */
@Timeout(30)
class ConversationApiTest {

  private static EdgeTestKit kit;

  @BeforeAll
  static void start() throws Exception {
    kit = EdgeTestKit.start("ConversationApiTest", "", ScriptedReplyGenerator.echo());
  }

  @AfterAll
  static void stop() {
    kit.close();
  }

  private static String messages(String id) {
    return "/api/v1/conversations/" + id + "/messages";
  }

  @Test
  void createsAConversationWithATitleOrTheDefaultOne() throws Exception {
    HttpResponse<String> created = kit.postJson("/api/v1/conversations", "{\"title\":\"  Billing question \"}");
    assertEquals(201, created.statusCode(), created.body());
    assertEquals("application/json", created.headers().firstValue("Content-Type").orElseThrow());
    JsonNode body = read(created.body());
    String id = body.get("id").asText();
    assertEquals("Billing question", body.get("title").asText());
    assertEquals("/api/v1/conversations/" + id, created.headers().firstValue("Location").orElseThrow());
    Instant createdAt = Instant.parse(body.get("createdAt").asText()); // ISO-8601, not epoch numbers
    assertTrue(createdAt.isAfter(Instant.now().minusSeconds(60)));

    HttpResponse<String> untitled = kit.send(kit.request("/api/v1/conversations")
        .POST(HttpRequest.BodyPublishers.noBody()).build());
    assertEquals(201, untitled.statusCode(), untitled.body());
    assertEquals(ConversationRoutes.DEFAULT_TITLE, read(untitled.body()).get("title").asText());
    assertNotEquals(id, read(untitled.body()).get("id").asText());

    HttpResponse<String> fetched = kit.get("/api/v1/conversations/" + id);
    assertEquals(200, fetched.statusCode(), fetched.body());
    JsonNode view = read(fetched.body());
    assertEquals(id, view.get("id").asText());
    assertEquals("Billing question", view.get("title").asText());
    assertEquals(createdAt, Instant.parse(view.get("createdAt").asText()));
    assertEquals(0, view.get("messages").size());
  }

  @Test
  void aScopeOfCollectionsIsValidatedBeforeTheConversationIsCreated() throws Exception {
    HttpResponse<String> all = kit.postJson("/api/v1/conversations", "{\"collections\":[]}");
    assertEquals(201, all.statusCode(), all.body());
    assertEquals(0, read(all.body()).get("collections").size());
    assertEquals(0, read(kit.get("/api/v1/conversations/" + read(all.body()).get("id").asText()).body())
        .get("collections").size());

    HttpResponse<String> notArray = kit.postJson("/api/v1/conversations", "{\"collections\":\"faq\"}");
    assertEquals(400, notArray.statusCode());
    assertTrue(notArray.body().contains("invalid-collections"), notArray.body());
    String tooMany = java.util.stream.IntStream.rangeClosed(0, 100).mapToObj(i -> "\"c" + i + "\"")
        .collect(java.util.stream.Collectors.joining(",", "{\"collections\":[", "]}"));
    HttpResponse<String> overLimit = kit.postJson("/api/v1/conversations", tooMany);
    assertEquals(400, overLimit.statusCode());
    assertTrue(overLimit.body().contains("too-many-collections"), overLimit.body());
    HttpResponse<String> badId = kit.postJson("/api/v1/conversations", "{\"collections\":[\"no/such\"]}");
    assertEquals(404, badId.statusCode());
    assertTrue(badId.body().contains("collection-not-found"), badId.body());
    // These routes were built without a knowledge base: nothing to scope to.
    HttpResponse<String> noCatalog = kit.postJson("/api/v1/conversations", "{\"collections\":[\"faq\"]}");
    assertEquals(400, noCatalog.statusCode());
    assertTrue(noCatalog.body().contains("collections-unavailable"), noCatalog.body());
  }

  @Test
  void listsTheTenantsConversationsFromTheDirectory() throws Exception {
    Instant t0 = Instant.parse("2026-01-01T10:00:00Z");
    kit.directory.add(new ConversationDirectory.Entry("c-old", "Older", t0, t0.plusSeconds(5), 2, "hi"));
    kit.directory.add(new ConversationDirectory.Entry("c-new", "Newer", t0, t0.plusSeconds(60), 4, "thanks"));

    HttpResponse<String> listed = kit.get("/api/v1/conversations");
    assertEquals(200, listed.statusCode(), listed.body());
    assertEquals(kit.owner.tenantId(), kit.directory.lastTenant);
    assertEquals(kit.settings.listDefaultLimit(), kit.directory.lastLimit);
    JsonNode items = read(listed.body()).get("items");
    assertEquals(2, items.size());
    JsonNode first = items.get(0);
    assertEquals("c-new", first.get("id").asText());
    assertEquals("Newer", first.get("title").asText());
    assertEquals("2026-01-01T10:00:00Z", first.get("createdAt").asText());
    assertEquals("2026-01-01T10:01:00Z", first.get("updatedAt").asText());
    assertEquals(4, first.get("messageCount").asInt());
    assertEquals("thanks", first.get("lastMessage").asText());

    HttpResponse<String> one = kit.get("/api/v1/conversations?limit=1");
    assertEquals(1, read(one.body()).get("items").size());
    kit.get("/api/v1/conversations?limit=100000");
    assertEquals(kit.settings.listMaxLimit(), kit.directory.lastLimit);
  }

  @Test
  void streamsTheReplyAsServerSentEvents() throws Exception {
    String id = kit.createConversation("SSE");
    HttpResponse<String> response = kit.send(kit.request(messages(id))
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"hello big world\"}")).build());

    assertEquals(200, response.statusCode(), response.body());
    assertEquals("text/event-stream", response.headers().firstValue("Content-Type").orElseThrow());
    assertEquals("no-cache", response.headers().firstValue("Cache-Control").orElseThrow());
    assertEquals("no", response.headers().firstValue("X-Accel-Buffering").orElseThrow());
    String messageId = response.headers().firstValue("X-Message-Id").orElseThrow();
    String replyId = response.headers().firstValue("X-Reply-Id").orElseThrow();

    // The body, frame by frame: exactly these lines, each frame ended by a blank line, nothing else.
    String body = response.body();
    assertTrue(body.endsWith("\n\n"), body);
    List<String> frames = List.of(body.substring(0, body.length() - 2).split("\n\n", -1));
    Pattern accepted = Pattern.compile("event: accepted\ndata: (\\{.*})");
    Pattern delta = Pattern.compile("event: delta\nid: (\\d+)\ndata: (\\{.*})");
    Pattern done = Pattern.compile("event: done\ndata: (\\{.*})");

    Matcher first = accepted.matcher(frames.get(0));
    assertTrue(first.matches(), frames.get(0));
    JsonNode acceptedData = read(first.group(1));
    assertEquals(messageId, acceptedData.get("messageId").asText());
    assertEquals(replyId, acceptedData.get("replyId").asText());
    assertFalse(acceptedData.get("duplicate").asBoolean());

    StringBuilder text = new StringBuilder();
    List<String> tokens = new ArrayList<>();
    for (int i = 1; i < frames.size() - 1; i++) {
      Matcher d = delta.matcher(frames.get(i));
      assertTrue(d.matches(), frames.get(i));
      JsonNode data = read(d.group(2));
      assertEquals(String.valueOf(i), d.group(1));
      assertEquals(i, data.get("seq").asLong());
      text.append(data.get("text").asText());
      tokens.add(data.get("text").asText());
    }
    assertEquals(List.of("Echo:", " hello", " big", " world"), tokens);
    assertEquals("Echo: hello big world", text.toString());

    Matcher last = done.matcher(frames.get(frames.size() - 1));
    assertTrue(last.matches(), frames.get(frames.size() - 1));
    JsonNode doneData = read(last.group(1));
    assertEquals(messageId, doneData.get("messageId").asText());
    assertEquals(replyId, doneData.get("replyId").asText());
    assertEquals("completed", doneData.get("status").asText());
    assertTrue(doneData.get("reason").isNull());
    assertEquals("scripted", doneData.get("model").asText());
    assertEquals(10, doneData.get("usage").get("inputTokens").asInt());
    assertEquals(4, doneData.get("usage").get("outputTokens").asInt());
    assertTrue(doneData.get("latencyMs").asLong() >= 0);
    assertEquals(4, doneData.get("lastSeq").asLong());
  }

  @Test
  void answersWithTheFinishedReplyWithoutAnEventStream() throws Exception {
    String id = kit.createConversation("JSON");
    HttpResponse<String> response = kit.postJson(messages(id), "{\"content\":\"how are you\"}");
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
    JsonNode reply = read(response.body());
    assertEquals(response.headers().firstValue("X-Message-Id").orElseThrow(), reply.get("messageId").asText());
    assertEquals(response.headers().firstValue("X-Reply-Id").orElseThrow(), reply.get("replyId").asText());
    assertFalse(reply.get("duplicate").asBoolean());
    assertEquals("completed", reply.get("status").asText());
    assertEquals("Echo: how are you", reply.get("content").asText());
    assertEquals("scripted", reply.get("model").asText());
    assertEquals(10, reply.get("usage").get("inputTokens").asInt());
    assertTrue(reply.has("reason") && reply.has("latencyMs"));

    JsonNode messages = read(kit.get("/api/v1/conversations/" + id).body()).get("messages");
    assertEquals(2, messages.size());
    JsonNode user = messages.get(0);
    assertEquals(reply.get("messageId").asText(), user.get("id").asText());
    assertEquals("user", user.get("role").asText());
    assertEquals("chat", user.get("channel").asText());
    assertEquals("how are you", user.get("content").asText());
    assertEquals("accepted", user.get("status").asText());
    assertEquals(reply.get("replyId").asText(), user.get("replyId").asText());
    assertTrue(user.get("usage").isNull());
    Instant.parse(user.get("createdAt").asText());
    JsonNode assistant = messages.get(1);
    assertEquals(reply.get("replyId").asText(), assistant.get("id").asText());
    assertEquals("assistant", assistant.get("role").asText());
    assertEquals("chat", assistant.get("channel").asText());
    assertEquals("Echo: how are you", assistant.get("content").asText());
    assertEquals("completed", assistant.get("status").asText());
    assertEquals(user.get("id").asText(), assistant.get("inReplyTo").asText());
    assertEquals("scripted", assistant.get("model").asText());
    assertEquals(4, assistant.get("usage").get("outputTokens").asInt());
    assertTrue(assistant.get("latencyMs").isNumber());
    assertTrue(assistant.get("reason").isNull());
  }

  @Test
  void replaysAFinishedReplyAfterTheLastEventId() throws Exception {
    String id = kit.createConversation("Replay");
    String replyId = read(kit.postJson(messages(id), "{\"content\":\"one two three four\"}").body())
        .get("replyId").asText();
    String stream = "/api/v1/conversations/" + id + "/replies/" + replyId + "/stream";

    try (RawSse resumed = kit.rawGet(stream, "Last-Event-ID: 3")) {
      assertEquals(200, resumed.status);
      assertEquals(replyId, resumed.header("X-Reply-Id"));
      assertEvent(resumed.nextEvent(), "delta", "4", " three");
      assertEvent(resumed.nextEvent(), "delta", "5", " four");
      RawSse.Event done = resumed.nextEvent();
      assertEquals("done", done.name());
      assertEquals(5, read(done.data()).get("lastSeq").asLong());
      assertEquals(null, resumed.nextEvent(), "the stream ends after done");
    }
    try (RawSse byQuery = kit.rawGet(stream + "?lastEventId=5")) {
      assertEquals("done", byQuery.nextEvent().name());
    }
    try (RawSse whole = kit.rawGet(stream)) {
      assertEvent(whole.nextEvent(), "delta", "1", "Echo:");
    }
  }

  @Test
  void anIdempotentRetryReturnsTheOriginalAndADifferentBodyConflicts() throws Exception {
    String id = kit.createConversation("Idempotency");
    HttpRequest.Builder first = kit.request(messages(id)).header("Content-Type", "application/json")
        .header("Idempotency-Key", "order-42");
    HttpResponse<String> original = kit.send(first.POST(HttpRequest.BodyPublishers.ofString(
        "{\"content\":\"refund please\"}")).build());
    HttpResponse<String> retry = kit.send(first.POST(HttpRequest.BodyPublishers.ofString(
        "{\"content\":\"refund please\"}")).build());
    assertEquals(200, retry.statusCode(), retry.body());
    JsonNode a = read(original.body());
    JsonNode b = read(retry.body());
    assertEquals(a.get("messageId"), b.get("messageId"));
    assertEquals(a.get("replyId"), b.get("replyId"));
    assertTrue(b.get("duplicate").asBoolean());
    assertEquals(a.get("content"), b.get("content"));
    assertEquals(2, read(kit.get("/api/v1/conversations/" + id).body()).get("messages").size());

    HttpResponse<String> conflict = kit.send(first.POST(HttpRequest.BodyPublishers.ofString(
        "{\"content\":\"something else\"}")).build());
    JsonNode problem = assertProblem(conflict, 409);
    assertEquals("urn:voicehelper:problem:idempotency-key-reused", problem.get("type").asText());
    assertEquals(messages(id), problem.get("instance").asText());
  }

  @Test
  void servesTheChatAndVoicePagesAndTheirAssets() throws Exception {
    for (String path : new String[] {"/", "/index.html"}) {
      HttpResponse<String> page = kit.get(path);
      assertEquals(200, page.statusCode());
      assertEquals("text/html; charset=UTF-8", page.headers().firstValue("Content-Type").orElseThrow());
      assertTrue(page.body().contains("id=\"new-conversation\""));
      assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().contains("script-src 'self'"));
    }
    HttpResponse<String> script = kit.get("/assets/app.js");
    assertEquals(200, script.statusCode());
    assertTrue(script.headers().firstValue("Content-Type").orElseThrow().contains("javascript"));
    assertTrue(script.body().contains("text/event-stream"));
    assertEquals(200, kit.get("/assets/app.css").statusCode());
    for (String path : new String[] {"/voice", "/voice.html"}) {
      HttpResponse<String> voice = kit.get(path);
      assertEquals(200, voice.statusCode());
      assertEquals("text/html; charset=UTF-8", voice.headers().firstValue("Content-Type").orElseThrow());
      assertTrue(voice.body().contains("id=\"call-start\""));
    }
    assertTrue(kit.get("/assets/pcm-worklet.js").body().contains("registerProcessor('pcm16-downsampler'"));
    assertProblem(kit.get("/assets/missing.js"), 404);
    assertProblem(kit.get("/assets/../reference.conf"), 404);
  }

  private static void assertEvent(RawSse.Event event, String name, String id, String text) {
    assertEquals(name, event.name(), String.valueOf(event));
    assertEquals(id, event.id(), String.valueOf(event));
    JsonNode data = read(event.data());
    assertEquals(Long.parseLong(id), data.get("seq").asLong());
    assertEquals(text, data.get("text").asText());
  }
}
