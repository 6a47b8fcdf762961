package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.SpeechFixtures;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A voice call against a whole node with its embedded engines: English speech synthesized in the test (FreeTTS)
 * streams into the socket, pocketsphinx hears it, the bundled knowledge base answers, the answer comes back as text
 * events and synthesized audio; the caller drops the connection and resumes the call with its transcript intact;
 * the turn is in the conversation, marked as spoken.
 */
class VoiceCallIT {

  private static final String QUESTION = "how do i reset my password";
  private static SingleNode node;

  @BeforeAll
  static void start() throws Exception {
    boolean installed = java.nio.file.Files.isDirectory(java.nio.file.Path.of("/usr/share/pocketsphinx/model/en-us"));
    if (!"true".equals(System.getenv(SpeechFixtures.REQUIRE_SPEECH))) {
      Assumptions.assumeTrue(installed, "pocketsphinx-en-us is not installed");
    }
    node = SingleNode.start("VoiceCallIT", "voicehelper.knowledge.sample.enabled = on");
    Eventually.ok(() -> NodeTestSupport.signUp(node.api));
    // The bundled sample knowledge base is indexed for the new tenant.
    node.probes.createTestProbe().awaitAssert(Duration.ofSeconds(120), Duration.ofMillis(500), () -> {
      NodeTestSupport.Response list = NodeTestSupport.get(node.api + "/collections/col-sample/documents");
      assertEquals(200, list.status(), list.raw().body());
      for (JsonNode document : list.body().get("documents")) {
        assertEquals("READY", document.get("state").asText(), document.toString());
      }
      return null;
    });
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void aSpokenQuestionIsHeardAnsweredAndSpokenAndTheCallResumesAfterADrop() throws Exception {
    Socket call = Socket.open(node.api, NodeTestSupport.bearer());
    call.send("{\"type\":\"start\",\"language\":\"en-US\",\"collections\":[\"col-sample\"]}");
    JsonNode started = call.next("started");
    assertEquals("pocketsphinx", started.get("asr").asText());
    assertFalse(started.get("resumed").asBoolean());
    String callId = started.get("callId").asText();
    String conversationId = started.get("conversationId").asText();

    // Half a second of room noise, the question, then quiet; sent as fast as the socket takes it (the segmenter
    // counts samples, not wall-clock time).
    List<ByteString> audio = new ArrayList<>();
    audio.addAll(SpeechFixtures.frames(SpeechFixtures.noise(500, -70, 1), 20));
    audio.addAll(SpeechFixtures.frames(SpeechFixtures.speak(QUESTION), 20));
    audio.addAll(SpeechFixtures.frames(SpeechFixtures.noise(2000, -70, 2), 20));
    for (ByteString frame : audio) {
      call.socket.sendBinary(frame.asByteBuffer(), true).get(5, TimeUnit.SECONDS);
    }

    assertEquals("start", call.next("vad").get("state").asText());
    JsonNode heard = call.nextFinalTranscript();
    String transcript = heard.get("text").asText().toLowerCase(Locale.ROOT);
    assertTrue(transcript.contains("password") && transcript.contains("reset"), "heard: " + transcript);

    JsonNode done = call.next("reply.done");
    assertEquals("completed", done.get("status").asText());
    assertTrue(done.get("citations").size() > 0, "the answer cites the documents: " + done);
    assertTrue(call.replyText.toString().toLowerCase(Locale.ROOT).contains("reset your password"),
        "the answer comes from the knowledge base: " + call.replyText);
    call.next("tts.end");
    assertTrue(call.audioBytes > Pcm.bytesFor(1000), "the answer was spoken: " + call.audioBytes + " bytes");
    JsonNode metrics = call.next("metrics");
    assertTrue(metrics.get("endOfSpeechToFirstAudioMs").asLong() > 0, metrics.toString());

    // The connection drops; the caller comes back with the call id and finds the transcript intact.
    call.socket.abort();
    Socket again = Socket.open(node.api, NodeTestSupport.bearer());
    again.send("{\"type\":\"start\",\"language\":\"en-US\",\"callId\":\"" + callId + "\"}");
    JsonNode resumed = again.next("started");
    assertTrue(resumed.get("resumed").asBoolean());
    assertEquals(conversationId, resumed.get("conversationId").asText());
    node.probes.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(200), () -> {
      assertEquals(1, resumed.get("turns").size(), resumed.toString());
      return null;
    });
    assertEquals(heard.get("text").asText(), resumed.get("turns").get(0).get("transcript").asText());

    // A typed turn in the same call, then the conversation holds both, the first marked as spoken.
    again.send("{\"type\":\"text\",\"text\":\"how many backup codes do i get\"}");
    again.next("reply.done");
    again.send("{\"type\":\"stop\"}");
    again.next("ended");
    assertEquals(1000, again.closed.get(10, TimeUnit.SECONDS));

    JsonNode conversation = NodeTestSupport.get(node.api + "/conversations/" + conversationId).body();
    JsonNode messages = conversation.get("messages");
    assertEquals(4, messages.size(), conversation.toString());
    assertEquals("voice", messages.get(0).get("channel").asText());
    assertEquals(heard.get("text").asText(), messages.get(0).get("content").asText());
  }

  @Test
  void aCoughDoesNotInterruptTheAnswerButSpeechDoesAndTheStoredReplyIsWhatWasHeard() throws Exception {
    Socket call = Socket.open(node.api, NodeTestSupport.bearer());
    call.send("{\"type\":\"start\",\"language\":\"en-US\"}");
    String conversationId = call.next("started").get("conversationId").asText();
    // The room, before anything happens: the detector hears what quiet is here.
    long sentMs = 0;
    sentMs += send(call, SpeechFixtures.noise(600, -70, 3));
    call.send("{\"type\":\"text\",\"text\":\"" + QUESTION + "\"}");
    call.next("tts.start");
    node.probes.createTestProbe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(50), () -> {
      assertTrue(call.audioBytes >= Pcm.bytesFor(1500), "1.5 s of the answer played");
      return null;
    });

    // A cough: 150 ms of loud noise, then quiet. Then the caller speaks over the answer.
    sentMs += send(call, SpeechFixtures.noise(150, -15, 4));
    sentMs += send(call, SpeechFixtures.noise(700, -70, 5));
    long speechAt = sentMs;
    send(call, SpeechFixtures.speak("no stop please"));
    send(call, SpeechFixtures.noise(1500, -70, 6));
    JsonNode vad = call.next("vad");
    assertEquals("start", vad.get("state").asText());
    assertTrue(vad.get("atMs").asLong() >= speechAt - 320,
        "the first speech heard is the caller's words at " + speechAt + " ms, not the cough: " + vad);
    call.next("bargein");
    long audioAtBargeIn = call.audioBytes;
    JsonNode ended = call.next("tts.end");
    assertTrue(ended.get("interrupted").asBoolean(), ended.toString());
    assertEquals(audioAtBargeIn, call.audioBytes, "no audio of the answer after the barge-in");
    long heardMs = ended.get("heardMs").asLong();
    assertTrue(heardMs >= 1000, "heard " + heardMs + " ms");

    // The stored answer is what the caller heard: cut, and marked interrupted.
    node.probes.createTestProbe().awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(250), () -> {
      JsonNode messages = NodeTestSupport.get(node.api + "/conversations/" + conversationId).body().get("messages");
      JsonNode answer = messages.get(1);
      assertEquals("interrupted", answer.get("status").asText(), answer.toString());
      assertTrue(answer.get("content").asText().length() > 0, answer.toString());
      assertTrue(call.replyText.toString().startsWith(answer.get("content").asText()), answer.toString());
      assertTrue(answer.get("content").asText().length() < call.replyText.length(), "cut: " + answer);
      return null;
    });
    call.socket.sendClose(1000, "bye").get(5, TimeUnit.SECONDS);
  }

  /** Sends {@code audio} in 20 ms frames as fast as the socket takes them; returns its duration in ms. */
  private static long send(Socket call, ByteString audio) throws Exception {
    for (ByteString frame : SpeechFixtures.frames(audio, 20)) {
      call.socket.sendBinary(frame.asByteBuffer(), true).get(5, TimeUnit.SECONDS);
    }
    return Pcm.millis(audio.size());
  }

  /** A WebSocket client that keeps the events, the reply's text and the count of audio bytes. */
  static final class Socket implements WebSocket.Listener {
    final LinkedBlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final StringBuilder replyText = new StringBuilder();
    volatile long audioBytes;
    private final StringBuilder text = new StringBuilder();
    WebSocket socket;

    static Socket open(String api, String token) throws Exception {
      Socket client = new Socket();
      client.socket = NodeTestSupport.HTTP.newWebSocketBuilder()
          .subprotocols("voicehelper.v1", "bearer." + token)
          .buildAsync(URI.create(api.replace("http://", "ws://") + "/voice/ws"), client)
          .get(10, TimeUnit.SECONDS);
      return client;
    }

    void send(String json) throws Exception {
      socket.sendText(json, true).get(5, TimeUnit.SECONDS);
    }

    JsonNode next(String type) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      List<String> seen = new ArrayList<>();
      while (System.nanoTime() < deadline) {
        JsonNode event = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (event == null) break;
        seen.add(event.get("type").asText());
        if (event.get("type").asText().equals("error")) seen.add(event.toString());
        if (event.get("type").asText().equals(type)) return event;
      }
      throw new AssertionError("no " + type + " event; seen " + seen);
    }

    JsonNode nextFinalTranscript() throws InterruptedException {
      while (true) {
        JsonNode transcript = next("transcript");
        if (transcript.get("final").asBoolean()) return transcript;
      }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        JsonNode event = NodeTestSupport.read(text.toString());
        text.setLength(0);
        if (event.get("type").asText().equals("reply.delta")) replyText.append(event.get("text").asText());
        events.add(event);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      audioBytes += data.remaining();
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.completeExceptionally(error);
    }
  }
}
