package io.voicehelper.entities.voice;

import java.util.List;
import org.apache.pekko.util.ByteString;

/** What a caller's client sends during a call, already decoded and checked for shape by the edge. */
public sealed interface ClientMessage {

  /**
   * Opens the call (the first message): how the assistant should speak, and what to continue. {@code conversationId}
   * continues a conversation (chat and voice share it); {@code callId} reconnects to a call after a dropped
   * connection; both {@code null} start a new call in a new conversation over {@code collections} (empty: all).
   */
  record Start(
      String language,
      String voice,
      String style,
      double rate,
      double pitch,
      String conversationId,
      String callId,
      List<String> collections)
      implements ClientMessage {
    public Start {
      collections = collections == null ? List.of() : List.copyOf(collections);
    }
  }

  /** A frame of the caller's audio: PCM16 little-endian mono 16 kHz, 20 to 100 ms. */
  record Audio(ByteString pcm) implements ClientMessage {}

  /** Typed input during a call: a turn without audio. */
  record Text(String text) implements ClientMessage {}

  /** The caller wants the assistant to stop speaking now. */
  record Interrupt() implements ClientMessage {}

  /** The caller ends the call. */
  record Stop() implements ClientMessage {}

  /**
   * The client broke the protocol (the edge decided how): the call ends, and the socket closes with {@code code}
   * (RFC 6455 close codes: 1003, 1007, 1008, 1009) and {@code reason}.
   */
  record Violation(int code, String reason) implements ClientMessage {}
}
