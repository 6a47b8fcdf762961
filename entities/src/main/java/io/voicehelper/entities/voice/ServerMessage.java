package io.voicehelper.entities.voice;

import org.apache.pekko.util.ByteString;

/** What the server sends to a caller's client: JSON events, synthesized audio, and finally perhaps a close. */
public sealed interface ServerMessage {

  /** A JSON event ({@link VoiceEvent}); the edge renders it as a text frame. */
  record Event(VoiceEvent event) implements ServerMessage {}

  /** A frame of the assistant's voice: PCM16 little-endian mono 16 kHz. */
  record Audio(ByteString pcm) implements ServerMessage {}

  /** Ends the connection with an RFC 6455 close {@code code} and {@code reason}; nothing follows it. */
  record Close(int code, String reason) implements ServerMessage {}
}
