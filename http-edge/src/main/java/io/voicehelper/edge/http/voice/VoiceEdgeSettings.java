package io.voicehelper.edge.http.voice;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the voice WebSocket, read once from {@code voicehelper.http.voice} (see this module's
 * {@code reference.conf} for what each one does, its unit and its default).
 *
 * @param maxAudioFrameBytes largest binary (audio) message; larger ones close the socket with 1009
 * @param maxTextMessageBytes largest text (JSON) message; larger ones close the socket with 1009
 * @param startTimeout how long a new socket may take to send its {@code start} before it is closed with 1008
 * @param maxTextLength longest typed {@code text}, in characters
 */
public record VoiceEdgeSettings(
    int maxAudioFrameBytes, int maxTextMessageBytes, Duration startTimeout, int maxTextLength) {

  public VoiceEdgeSettings {
    if (maxAudioFrameBytes < 2) throw new IllegalArgumentException("max-audio-frame-size must be at least 2 bytes");
    if (maxTextMessageBytes < 256) throw new IllegalArgumentException("max-text-message-size must be at least 256");
  }

  public static VoiceEdgeSettings fromConfig(Config config) {
    return new VoiceEdgeSettings(
        (int) config.getBytes("max-audio-frame-size").longValue(),
        (int) config.getBytes("max-text-message-size").longValue(),
        config.getDuration("start-timeout"),
        config.getInt("max-text-length"));
  }
}
