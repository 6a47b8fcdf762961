package io.voicehelper.edge.http.voice.internal;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.impl.engine.ws.FrameEvent;
import org.apache.pekko.http.impl.engine.ws.FrameEvent$;
import org.apache.pekko.http.impl.engine.ws.FrameStart;
import org.apache.pekko.http.impl.engine.ws.Protocol;
import org.apache.pekko.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import org.apache.pekko.http.impl.engine.ws.WebSocket;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.scaladsl.settings.WebSocketSettings;
import org.apache.pekko.stream.javadsl.Flow;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * A WebSocket upgrade whose handler can close the connection with a status code of its choice (1003, 1007, 1008,
 * 1009, 1013, ...). Pekko HTTP's message API closes with 1000 when the handler completes and 1011 when it fails, and
 * has no public way to send another code; so this runs Pekko's own WebSocket stack (framing, masking, ping/pong,
 * keep-alive, UTF-8 checks, the close handshake) through its frame-level upgrade and rewrites only the handler's
 * closing frame: when the handler has {@link Closer#close asked} for a code and then completes, the regular 1000 close
 * frame goes out with that code and reason instead.
 *
 * <p>This touches Pekko HTTP internals ({@code UpgradeToWebSocketLowLevel}, {@code WebSocket.stack}); they are used
 * here and nowhere else, the version is pinned in the parent pom, and {@code VoiceWebSocketTest} checks each close
 * code end to end, so an upgrade that changes them fails the build rather than the callers (ADR 0006).
 */
public final class ClosableWebSocket {

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);
  private static final byte CLOSE_OPCODE = 0x8;

  private ClosableWebSocket() {}

  /** Where a handler asks for its close code; the first request wins. Thread-safe. */
  public static final class Closer {
    private final AtomicReference<Close> requested = new AtomicReference<>();

    /** Asks for {@code code} and {@code reason} (at most 123 bytes of UTF-8) on the close frame; then complete. */
    public boolean close(int code, String reason) {
      return requested.compareAndSet(null, new Close(code, truncate(reason)));
    }

    public Optional<Close> requested() {
      return Optional.ofNullable(requested.get());
    }
  }

  /** A close code and its reason. */
  public record Close(int code, String reason) {}

  /**
   * Upgrades {@code request}, running {@code handler} with a {@link Closer} of its own, and accepts
   * {@code subprotocol} (or none when {@code null}). Empty when the request is not a WebSocket upgrade.
   */
  public static Optional<HttpResponse> upgrade(
      ActorSystem<?> system,
      HttpRequest request,
      String subprotocol,
      java.util.function.Function<Closer, Flow<Message, Message, ?>> handler) {
    Optional<WebSocketUpgrade> upgrade = request.getAttribute(
        org.apache.pekko.http.javadsl.model.AttributeKeys.webSocketUpgrade);
    if (upgrade.isEmpty()) return Optional.empty();
    Closer closer = new Closer();
    Flow<Message, Message, ?> messages = handler.apply(closer);
    if (!(upgrade.get() instanceof UpgradeToWebSocketLowLevel lowLevel)) {
      // Not Pekko's own server: the message API, with its 1000/1011 closes only.
      return Optional.of(subprotocol == null ? upgrade.get().handleMessagesWith(messages)
          : upgrade.get().handleMessagesWith(messages, subprotocol));
    }
    WebSocketSettings settings = (WebSocketSettings) ServerSettings.create(system.classicSystem())
        .getWebsocketSettings();
    LoggingAdapter log = Logging.getLogger(system.classicSystem(), ClosableWebSocket.class);
    org.apache.pekko.stream.scaladsl.Flow<org.apache.pekko.http.scaladsl.model.ws.Message,
        org.apache.pekko.http.scaladsl.model.ws.Message, ?> scalaMessages =
        Flow.<org.apache.pekko.http.scaladsl.model.ws.Message>create()
            .<Message>map(ClosableWebSocket::toJava)
            .via(messages)
            .map(Message::asScala)
            .asScala();
    Flow<FrameEvent, FrameEvent, ?> frames = Flow.fromGraph(
            WebSocket.stack(true, settings, FiniteDuration.fromNanos(CLOSE_TIMEOUT.toNanos()), log)
                .join(scalaMessages))
        .map(frame -> rewriteClose(frame, closer));
    @SuppressWarnings({"unchecked", "rawtypes"})
    org.apache.pekko.stream.Graph<org.apache.pekko.stream.FlowShape<FrameEvent, FrameEvent>, Object> graph =
        (org.apache.pekko.stream.Graph) frames;
    return Optional.of(lowLevel.handleFrames(graph, Option.apply(subprotocol)));
  }

  private static Message toJava(org.apache.pekko.http.scaladsl.model.ws.Message message) {
    if (message instanceof org.apache.pekko.http.scaladsl.model.ws.TextMessage text) {
      return org.apache.pekko.http.javadsl.model.ws.TextMessage.adapt(text);
    }
    return org.apache.pekko.http.javadsl.model.ws.BinaryMessage.adapt(
        (org.apache.pekko.http.scaladsl.model.ws.BinaryMessage) message);
  }

  /** The handler's regular close frame, with the code it asked for. Any other frame passes unchanged. */
  private static FrameEvent rewriteClose(FrameEvent frame, Closer closer) {
    if (!(frame instanceof FrameStart start) || start.header().opcode().code() != CLOSE_OPCODE) {
      return frame;
    }
    Optional<Close> close = closer.requested();
    if (close.isEmpty() || !isRegular(start)) return frame;
    return FrameEvent$.MODULE$.closeFrame(close.get().code(), close.get().reason(), Option.empty());
  }

  private static boolean isRegular(FrameStart start) {
    var data = start.data();
    return data.size() >= 2 && (((data.apply(0) & 0xff) << 8) | (data.apply(1) & 0xff)) == Protocol.CloseCodes$.MODULE$.Regular();
  }

  private static String truncate(String reason) {
    byte[] bytes = reason.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (bytes.length <= 123) return reason;
    int end = reason.length();
    while (reason.substring(0, end).getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 120) end--;
    return reason.substring(0, end) + "...";
  }
}
