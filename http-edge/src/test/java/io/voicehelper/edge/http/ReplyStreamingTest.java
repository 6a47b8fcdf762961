package io.voicehelper.edge.http;

import static io.voicehelper.edge.http.TestJson.assertProblem;
import static io.voicehelper.edge.http.TestJson.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.entities.conversation.ScriptedReplyGenerator;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Replies whose generation the test drives token by token: resuming with Last-Event-ID mid-reply, a stalled client
 * being closed, a vanished client stopping the generation, the JSON-mode timeout and the pending-turns limit.
 */
@Timeout(45)
class ReplyStreamingTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static EdgeTestKit kit;
  private static ScriptedReplyGenerator generator;

  @BeforeAll
  static void start() throws Exception {
    generator = ScriptedReplyGenerator.manual();
    kit = EdgeTestKit.start("ReplyStreamingTest", """
        voicehelper.conversation.max-queued-turns = 2
        voicehelper.http.json-reply-timeout = 2s
        voicehelper.http.sse.buffer-size = 8
        voicehelper.http.sse.slow-consumer-timeout = 2s
        # A vanished client is noticed when a write to it fails: keep-alives make that happen while a reply is idle.
        voicehelper.http.sse.keep-alive = 300ms
        # Small server socket buffers, so that a client that stops reading backs up to the edge quickly.
        pekko.http.server.socket-options.so-send-buffer-size = 8k
        """, generator);
  }

  @AfterAll
  static void stop() {
    kit.close();
  }

  /** The generation of {@code replyId}, skipping any left over by an earlier test. */
  private static ScriptedReplyGenerator.Call callFor(String replyId) {
    while (true) {
      ScriptedReplyGenerator.Call call = generator.nextCall(WAIT);
      if (call.request().replyId().equals(replyId)) return call;
    }
  }

  /** The next generation started for conversation {@code id}. */
  private static ScriptedReplyGenerator.Call callInConversation(String id) {
    while (true) {
      ScriptedReplyGenerator.Call call = generator.nextCall(WAIT);
      if (call.request().conversationKey().endsWith("|" + id)) return call;
    }
  }

  private static String messages(String id) {
    return "/api/v1/conversations/" + id + "/messages";
  }

  private static String stream(String id, String replyId) {
    return "/api/v1/conversations/" + id + "/replies/" + replyId + "/stream";
  }

  private static String json(String content) {
    return "{\"content\":\"" + content + "\"}";
  }

  @Test
  void aClientResumesAReplyInFlightWithNoGapAndNoDuplicate() throws Exception {
    String id = kit.createConversation("Resume");
    List<String> received = new ArrayList<>();
    String replyId;
    ScriptedReplyGenerator.Call call;
    try (RawSse first = kit.rawPost(messages(id), json("tell me a story"), 0)) {
      assertEquals(200, first.status);
      replyId = first.header("X-Reply-Id");
      assertEquals("accepted", first.nextEvent().name());
      call = callFor(replyId);
      call.token("Once").token(" upon").token(" a time");
      for (int seq = 1; seq <= 2; seq++) {
        RawSse.Event delta = first.nextEvent();
        assertEquals("delta", delta.name());
        assertEquals(String.valueOf(seq), delta.id());
        received.add(read(delta.data()).get("text").asText());
      }
    } // the connection drops after event 2, whether or not event 3 was on its way

    try (RawSse resumed = kit.rawGet(stream(id, replyId), "Last-Event-ID: 2")) {
      assertEquals(200, resumed.status);
      RawSse.Event third = resumed.nextEvent();
      assertEquals("3", third.id());
      received.add(read(third.data()).get("text").asText());
      call.token(" there").token(" was");
      call.finish("story-model", 12, 5);
      long expected = 4;
      RawSse.Event event;
      while ((event = resumed.nextEvent()) != null && event.name().equals("delta")) {
        assertEquals(String.valueOf(expected++), event.id(), "ids continue without a gap");
        received.add(read(event.data()).get("text").asText());
      }
      assertEquals("done", event.name());
      JsonNode done = read(event.data());
      assertEquals("completed", done.get("status").asText());
      assertEquals("story-model", done.get("model").asText());
      assertEquals(expected - 1, done.get("lastSeq").asLong());
      assertNull(resumed.nextEvent(), "the stream ends after done");
    }
    assertEquals("Once upon a time there was", String.join("", received));
    JsonNode assistant = read(kit.get("/api/v1/conversations/" + id).body()).get("messages").get(1);
    assertEquals("Once upon a time there was", assistant.get("content").asText());
  }

  @Test
  void aClientThatStopsReadingIsClosedAndTheOthersAreNotHeldUp() throws Exception {
    String id = kit.createConversation("Slow reader");
    try (RawSse stalled = kit.rawPost(messages(id), json("flood me"), 4096)) {
      assertEquals(200, stalled.status);
      String replyId = stalled.header("X-Reply-Id");
      ScriptedReplyGenerator.Call call = callFor(replyId);
      String chunk = "z".repeat(16 * 1024);
      for (int i = 0; i < 200; i++) call.token(chunk); // 3.2 MB, far beyond every buffer on the way
      // Meanwhile another client reads the same reply from the start, at its own pace.
      try (RawSse reader = kit.rawGet(stream(id, replyId))) {
        for (int seq = 1; seq <= 200; seq++) assertEquals(String.valueOf(seq), reader.nextEvent().id());
      }
      // The stalled stream is closed by the edge (its subscription ends, then the reply is abandoned) ...
      call.cancelled().toCompletableFuture().get(20, TimeUnit.SECONDS);
      // ... and its connection is closed: reading what the socket still holds reaches the end.
      assertTrue(stalled.drainUntilClosed(WAIT), "the server closed the stalled connection");
    }
  }

  @Test
  void aClientThatDisconnectsStopsTheGenerationAfterTheGrace() throws Exception {
    String id = kit.createConversation("Gone");
    ScriptedReplyGenerator.Call call;
    try (RawSse client = kit.rawPost(messages(id), json("bye"), 0)) {
      String replyId = client.header("X-Reply-Id");
      assertEquals("accepted", client.nextEvent().name());
      call = callFor(replyId);
      call.token("Partial answer");
      assertEquals("1", client.nextEvent().id());
    }
    call.cancelled().toCompletableFuture().get(15, TimeUnit.SECONDS);
    kit.testKit.createTestProbe().awaitAssert(WAIT, () -> {
      JsonNode reply = read(kit.get("/api/v1/conversations/" + id).body()).get("messages").get(1);
      assertEquals("interrupted", reply.get("status").asText());
      assertEquals("Partial answer", reply.get("content").asText());
      assertTrue(reply.get("reason").asText().contains("stopped listening"), reply.toString());
      return null;
    });
  }

  @Test
  void jsonModeTimesOutWith504AndTheReplyCanBeResumed() throws Exception {
    String id = kit.createConversation("Slow JSON");
    CompletableFuture<HttpResponse<String>> pending = kit.http.sendAsync(kit.request(messages(id))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json("take your time"))).build(),
        HttpResponse.BodyHandlers.ofString());
    ScriptedReplyGenerator.Call call = callInConversation(id);
    call.token("Still ");
    HttpResponse<String> response = pending.get(15, TimeUnit.SECONDS);
    JsonNode problem = assertProblem(response, 504);
    String replyId = call.request().replyId();
    assertEquals(replyId, problem.get("replyId").asText());
    assertEquals(replyId, response.headers().firstValue("X-Reply-Id").orElseThrow());
    assertTrue(response.headers().firstValue("X-Message-Id").isPresent());
    assertEquals(stream(id, replyId), problem.get("streamUrl").asText());

    try (RawSse resumed = kit.rawGet(problem.get("streamUrl").asText(), "Last-Event-ID: 0")) {
      assertEquals("Still ", read(resumed.nextEvent().data()).get("text").asText());
      call.token("thinking");
      call.finish("slow-model", 3, 2);
      assertEquals("thinking", read(resumed.nextEvent().data()).get("text").asText());
      assertEquals("done", resumed.nextEvent().name());
    }
  }

  @Test
  void tooManyWaitingMessagesIs429WithRetryAfter() throws Exception {
    String id = kit.createConversation("Busy");
    List<RawSse> open = new ArrayList<>();
    List<String> replies = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) { // one generating, two waiting: the configured maximum
        RawSse client = kit.rawPost(messages(id), json("question " + i), 0);
        open.add(client);
        assertEquals(200, client.status);
        replies.add(client.header("X-Reply-Id"));
      }
      HttpResponse<String> refused = kit.postJson(messages(id), json("one more"));
      JsonNode problem = assertProblem(refused, 429);
      assertEquals("urn:voicehelper:problem:too-many-pending", problem.get("type").asText());
      assertEquals("2", refused.headers().firstValue("Retry-After").orElseThrow());
      for (String replyId : replies) callFor(replyId).finish("m", 1, 1);
      for (RawSse client : open) {
        RawSse.Event event;
        while ((event = client.nextEvent()) != null && !event.name().equals("done")) {
          assertTrue(event.name().equals("accepted") || event.name().equals("delta"), event.toString());
        }
      }
    } finally {
      for (RawSse client : open) client.close();
    }
  }
}
