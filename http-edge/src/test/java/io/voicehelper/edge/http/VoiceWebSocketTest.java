package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.edge.http.voice.VoiceEdgeSettings;
import io.voicehelper.edge.http.voice.VoiceRoutes;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.voice.CallIdentity;
import io.voicehelper.entities.voice.ClientMessage;
import io.voicehelper.entities.voice.ServerMessage;
import io.voicehelper.entities.voice.VoiceEvent;
import io.voicehelper.entities.voice.VoiceSessions;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The voice WebSocket's edge against a scripted session: every way to authenticate, and every bad frame closing the
 * socket with the code docs/voice-api.md gives it.
 */
class VoiceWebSocketTest {

  private static EdgeTestKit kit;
  private static final AtomicBoolean room = new AtomicBoolean(true);
  private static final AtomicReference<CallIdentity> lastCaller = new AtomicReference<>();
  private static io.voicehelper.entities.limits.LimitsClient limits;

  /** Echoes: start → started, audio → the same audio, text → a final transcript, stop → ended and close 1000. */
  private static final VoiceSessions ECHO = new VoiceSessions() {
    @Override
    public Flow<ClientMessage, ServerMessage, NotUsed> open(CallIdentity caller) {
      lastCaller.set(caller);
      return Flow.<ClientMessage>create().mapConcat(message -> {
        if (message instanceof ClientMessage.Start start) {
          return List.of(new ServerMessage.Event(new VoiceEvent.Started("call-1", "conv-1", false, start.language(),
              "fake", "fake", "energy", 16000, List.of())));
        }
        if (message instanceof ClientMessage.Audio audio) return List.of(new ServerMessage.Audio(audio.pcm()));
        if (message instanceof ClientMessage.Text text) {
          return List.of(new ServerMessage.Event(new VoiceEvent.Transcript("t1", text.text(), true)));
        }
        if (message instanceof ClientMessage.Stop) {
          return List.of(new ServerMessage.Event(new VoiceEvent.Ended("call-1", "caller")),
              new ServerMessage.Close(1000, "call ended"));
        }
        if (message instanceof ClientMessage.Violation violation) {
          return List.of(new ServerMessage.Close(violation.code(), violation.reason()));
        }
        return List.<ServerMessage>of();
      });
    }

    @Override
    public boolean hasRoom() {
      return room.get();
    }
  };

  @BeforeAll
  static void start() throws Exception {
    kit = EdgeTestKit.start("VoiceWebSocketTest",
        "voicehelper.http.voice.start-timeout = 2s\nvoicehelper.limits.streams.max-concurrent = 2", new Silent(),
        (system, authentication) -> {
          io.voicehelper.entities.limits.LimitSettings limitSettings = io.voicehelper.entities.limits.LimitSettings
              .fromConfig(system.settings().config().getConfig("voicehelper.limits"));
          io.voicehelper.entities.limits.TenantLimitsEntity.init(system, limitSettings,
              io.voicehelper.entities.limits.LimitsAuditor.NONE);
          io.voicehelper.entities.limits.TenantLimiterEntity.init(system, limitSettings);
          limits = new io.voicehelper.entities.limits.LimitsClient(system, limitSettings, Duration.ofSeconds(2));
          return new VoiceRoutes(system, ECHO, authentication, VoiceEdgeSettings.fromConfig(
              system.settings().config().getConfig("voicehelper.http.voice")), 20, limits).route();
        });
  }

  @AfterAll
  static void stop() {
    kit.close();
  }

  @Test
  void aBrowserAuthenticatesWithTheBearerSubprotocolAndTalks() throws Exception {
    Client client = Client.open(kit, "voicehelper.v1, bearer." + kit.owner.accessToken());
    assertEquals("voicehelper.v1", client.socket.getSubprotocol(), "the bearer protocol is never echoed");
    client.send("{\"type\":\"start\",\"language\":\"en-US\",\"style\":\"cheerful\",\"rate\":1.2}");
    JsonNode started = client.nextJson();
    assertEquals("started", started.get("type").asText());
    assertEquals("en-US", started.get("language").asText());
    assertEquals(kit.owner.tenantId(), lastCaller.get().tenantId(), "the tenant comes from the credential");
    assertEquals(kit.owner.userId(), lastCaller.get().userId());

    client.socket.sendBinary(ByteBuffer.wrap(new byte[640]), true).get(5, TimeUnit.SECONDS);
    assertEquals(640, client.nextBinary().remaining());
    client.send("{\"type\":\"text\",\"text\":\"what is the return policy\"}");
    JsonNode transcript = client.nextJson();
    assertEquals("transcript", transcript.get("type").asText());
    assertTrue(transcript.get("final").asBoolean());
    client.send("{\"type\":\"stop\"}");
    assertEquals("ended", client.nextJson().get("type").asText());
    assertEquals(1000, client.closeCode());
  }

  @Test
  void theStartMessageMayCarryTheToken() throws Exception {
    Client client = Client.open(kit, "voicehelper.v1");
    client.send("{\"type\":\"start\",\"token\":\"" + kit.owner.accessToken() + "\"}");
    assertEquals("started", client.nextJson().get("type").asText());
    assertEquals(kit.owner.userId(), lastCaller.get().userId());
    client.socket.sendClose(1000, "bye");
  }

  @Test
  void anAuthorizationHeaderWorksAndABadOneGets401BeforeTheUpgrade() throws Exception {
    Client client = Client.open(kit, null, "Authorization", kit.owner.bearer());
    client.send("{\"type\":\"start\"}");
    assertEquals("started", client.nextJson().get("type").asText());
    client.socket.sendClose(1000, "bye");

    CompletionStage<WebSocket> refused = kit.http.newWebSocketBuilder().header("Authorization", "Bearer nonsense")
        .buildAsync(URI.create("ws://127.0.0.1:" + kit.port() + "/api/v1/voice/ws"), new Client(null));
    var failure = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> refused.toCompletableFuture().get(5, TimeUnit.SECONDS));
    assertTrue(failure.getCause() instanceof java.net.http.WebSocketHandshakeException, String.valueOf(failure));
    assertEquals(401, ((java.net.http.WebSocketHandshakeException) failure.getCause()).getResponse().statusCode());
  }

  @Test
  void aMissingOrBadTokenClosesWith1008() throws Exception {
    Client none = Client.open(kit, "voicehelper.v1");
    none.send("{\"type\":\"start\"}");
    assertEquals(1008, none.closeCode());

    Client bad = Client.open(kit, "voicehelper.v1, bearer.not-a-token");
    bad.send("{\"type\":\"start\"}");
    assertEquals(1008, bad.closeCode());
  }

  @Test
  void noStartInTimeClosesWith1008() throws Exception {
    Client client = Client.open(kit, "voicehelper.v1, bearer." + kit.owner.accessToken());
    assertEquals(1008, client.closeCode());
    assertTrue(client.closeReason.get().contains("start"), client.closeReason.get());
  }

  @Test
  void badFramesCloseWithTheirCodes() throws Exception {
    assertEquals(1009, afterStart(c -> c.socket.sendBinary(ByteBuffer.wrap(new byte[3202]), true)));
    assertEquals(1007, afterStart(c -> c.socket.sendBinary(ByteBuffer.wrap(new byte[641]), true)));
    assertEquals(1007, afterStart(c -> c.send("{not json")));
    assertEquals(1007, afterStart(c -> c.send("[1,2]")));
    assertEquals(1007, afterStart(c -> c.send("{\"type\":\"text\",\"text\":\"   \"}")));
    assertEquals(1003, afterStart(c -> c.send("{\"type\":\"dance\"}")));
    assertEquals(1009, afterStart(c -> c.send("{\"type\":\"text\",\"text\":\"" + "x".repeat(20_000) + "\"}")));
    // Audio before the start message: of a type the protocol does not take there.
    Client early = Client.open(kit, "voicehelper.v1, bearer." + kit.owner.accessToken());
    early.socket.sendBinary(ByteBuffer.wrap(new byte[640]), true);
    assertEquals(1003, early.closeCode());
    // A start with a value out of range.
    Client badStart = Client.open(kit, "voicehelper.v1, bearer." + kit.owner.accessToken());
    badStart.send("{\"type\":\"start\",\"rate\":9}");
    assertEquals(1007, badStart.closeCode());
  }

  @Test
  void invalidUtf8ClosesWith1007() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", kit.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write(("GET /api/v1/voice/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          + "Authorization: " + kit.owner.bearer() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String head = readHead(in);
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      byte[] bad = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF};
      byte[] mask = {1, 2, 3, 4};
      out.write(new byte[] {(byte) 0x81, (byte) (0x80 | bad.length), mask[0], mask[1], mask[2], mask[3]});
      for (int i = 0; i < bad.length; i++) out.write(bad[i] ^ mask[i % 4]);
      out.flush();
      int first = in.read();
      assertEquals(0x88, first, "a close frame");
      int length = in.read() & 0x7f;
      byte[] payload = in.readNBytes(length);
      assertEquals(1007, ((payload[0] & 0xff) << 8) | (payload[1] & 0xff));
    }
  }

  @Test
  void aFullNodeClosesNewCallsWith1013() throws Exception {
    room.set(false);
    try {
      Client client = Client.open(kit, "voicehelper.v1, bearer." + kit.owner.accessToken());
      assertEquals(1013, client.closeCode());
    } finally {
      room.set(true);
    }
  }

  @Test
  void aCallHoldsOneOfItsTenantsStreamSlotsUntilItEnds() throws Exception {
    EdgeTestKit.Login other = kit.register("Slots Inc", "slots-owner@example.com");
    String protocols = "voicehelper.v1, bearer." + other.accessToken();
    Client first = started(protocols);
    Client second = started(protocols);
    Client third = Client.open(kit, protocols);
    third.send("{\"type\":\"start\"}");
    Object thirdGot = third.received.poll(3, TimeUnit.SECONDS);
    assertEquals(null, thirdGot, "the third call is not started");
    assertEquals(1013, third.closeCode(), "the tenant's two stream slots are taken");
    assertTrue(third.closeReason.get().contains("concurrent"), third.closeReason.get());

    first.send("{\"type\":\"stop\"}");
    assertEquals(1000, first.closeCode());
    // The slot is released when the call's flow ends; a new call gets it.
    int code = 0;
    for (int attempt = 0; attempt < 50; attempt++) {
      Client next = Client.open(kit, protocols);
      next.send("{\"type\":\"start\"}");
      Object answer = next.received.poll(5, TimeUnit.SECONDS);
      if (answer instanceof String started && started.contains("\"started\"")) {
        code = 1;
        next.send("{\"type\":\"stop\"}");
        next.closeCode();
        break;
      }
      next.closed.get(5, TimeUnit.SECONDS);
    }
    assertEquals(1, code, "a call got the freed slot");
    second.send("{\"type\":\"stop\"}");
    assertEquals(1000, second.closeCode());
  }

  @Test
  void startingACallCountsAgainstTheUsersRequestRate() throws Exception {
    EdgeTestKit.Login other = kit.register("Rates Inc", "rates-owner@example.com");
    limits.setLimits(other.tenantId(), new io.voicehelper.entities.limits.LimitOverrides(null, null, 0.01, 1, null,
        null), other.userId()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    String protocols = "voicehelper.v1, bearer." + other.accessToken();
    Client first = started(protocols);
    Client second = Client.open(kit, protocols);
    second.send("{\"type\":\"start\"}");
    assertEquals(1013, second.closeCode(), "the user's one-request burst is spent");
    assertTrue(second.closeReason.get().contains("rate limited"), second.closeReason.get());
    first.send("{\"type\":\"stop\"}");
    assertEquals(1000, first.closeCode());
  }

  @Test
  void aPlainGetGets426() throws Exception {
    HttpResponse<String> response = kit.get("/api/v1/voice/ws");
    assertEquals(426, response.statusCode());
    assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
  }

  private interface Action {
    CompletableFuture<?> run(Client client) throws Exception;
  }

  /** A call opened with {@code protocols} and started. */
  private static Client started(String protocols) throws Exception {
    Client client = Client.open(kit, protocols);
    client.send("{\"type\":\"start\"}");
    assertEquals("started", client.nextJson().get("type").asText());
    return client;
  }

  private static int afterStart(Action action) throws Exception {
    Client client = Client.open(kit, "voicehelper.v1, bearer." + kit.owner.accessToken());
    client.send("{\"type\":\"start\"}");
    assertEquals("started", client.nextJson().get("type").asText());
    action.run(client);
    return client.closeCode();
  }

  private static String readHead(InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) head.append((char) in.read());
    return head.toString();
  }

  /** A java.net.http WebSocket client that queues what it receives. */
  static final class Client implements WebSocket.Listener {
    final LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final AtomicReference<String> closeReason = new AtomicReference<>("");
    private final StringBuilder text = new StringBuilder();
    private ByteBuffer binary = ByteBuffer.allocate(0);
    WebSocket socket;

    Client(WebSocket socket) {
      this.socket = socket;
    }

    static Client open(EdgeTestKit kit, String protocols, String... headers) throws Exception {
      Client client = new Client(null);
      WebSocket.Builder builder = kit.http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
      if (protocols != null) {
        String[] offered = protocols.split(",\\s*");
        builder.subprotocols(offered[0], java.util.Arrays.copyOfRange(offered, 1, offered.length));
      }
      for (int i = 0; i + 1 < headers.length; i += 2) builder.header(headers[i], headers[i + 1]);
      client.socket = builder.buildAsync(URI.create("ws://127.0.0.1:" + kit.port() + "/api/v1/voice/ws"), client)
          .get(10, TimeUnit.SECONDS);
      return client;
    }

    CompletableFuture<WebSocket> send(String json) {
      return socket.sendText(json, true);
    }

    JsonNode nextJson() throws InterruptedException {
      Object next = received.poll(10, TimeUnit.SECONDS);
      assertTrue(next instanceof String, "expected a text message, got " + next);
      return TestJson.read((String) next);
    }

    ByteBuffer nextBinary() throws InterruptedException {
      Object next = received.poll(10, TimeUnit.SECONDS);
      assertTrue(next instanceof ByteBuffer, "expected a binary message, got " + next);
      return (ByteBuffer) next;
    }

    int closeCode() throws Exception {
      return closed.get(10, TimeUnit.SECONDS);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        received.add(text.toString());
        text.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      ByteBuffer joined = ByteBuffer.allocate(binary.remaining() + data.remaining());
      joined.put(binary).put(data).flip();
      binary = joined;
      if (last) {
        received.add(binary);
        binary = ByteBuffer.allocate(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closeReason.set(reason);
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.completeExceptionally(error);
    }
  }

  /** A generator that is never asked: the scripted session does not use conversations. */
  static final class Silent implements ReplyGenerator {
    @Override
    public Source<Output, NotUsed> generate(Request request) {
      return Source.empty();
    }
  }
}
