package io.voicehelper.entities.voice;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of {@link VoiceCallEntity}, read once from {@code voicehelper.voice.call}.
 *
 * @param resumeWindow how long a call whose connection dropped can be resumed before it ends as abandoned
 * @param maxTurns turns kept in a call's state (and answered on resume); older ones stay in the journal
 * @param idleTimeout after how long without commands the entity passivates (never while a resume is awaited)
 */
public record VoiceCallSettings(Duration resumeWindow, int maxTurns, Duration idleTimeout) {

  public VoiceCallSettings {
    if (resumeWindow.isNegative()) throw new IllegalArgumentException("voicehelper.voice.call.resume-window < 0");
    if (maxTurns < 1) throw new IllegalArgumentException("voicehelper.voice.call.max-turns must be at least 1");
  }

  /** Reads the {@code voicehelper.voice.call} section. */
  public static VoiceCallSettings fromConfig(Config call) {
    return new VoiceCallSettings(
        call.getDuration("resume-window"), call.getInt("max-turns"), call.getDuration("idle-timeout"));
  }
}
