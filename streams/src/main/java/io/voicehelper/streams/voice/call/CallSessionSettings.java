package io.voicehelper.streams.voice.call;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How a node runs its calls, read once from {@code voicehelper.voice.session} (see this module's
 * {@code reference.conf} for what each one does, its unit and its default).
 *
 * @param maxCalls concurrent calls per node; more are turned away with close code 1013
 * @param outBuffer messages (events and audio frames) queued for a client; a client that lets it fill is too slow
 *     and its call is closed with 1008
 * @param asrBuffer audio chunks queued for the recognizer of an utterance
 * @param audioFrame duration of each synthesized audio frame sent
 * @param playbackLead how far ahead of real time the reply's audio is sent (the client's jitter buffer)
 * @param sentenceText reply text queued for synthesis, in deltas
 */
public record CallSessionSettings(
    int maxCalls, int outBuffer, int asrBuffer, Duration audioFrame, Duration playbackLead, int sentenceText) {

  public static final String CONFIG_PATH = "voicehelper.voice.session";

  public CallSessionSettings {
    if (maxCalls < 1 || outBuffer < 16 || asrBuffer < 4 || sentenceText < 16) {
      throw new IllegalArgumentException(CONFIG_PATH + ": sizes are too small");
    }
    if (audioFrame.toMillis() < 10 || audioFrame.toMillis() > 100) {
      throw new IllegalArgumentException(CONFIG_PATH + ".audio-frame must be 10 to 100 ms");
    }
  }

  public static CallSessionSettings fromConfig(Config config) {
    return new CallSessionSettings(
        config.getInt("max-calls"),
        config.getInt("out-buffer"),
        config.getInt("asr-buffer"),
        config.getDuration("audio-frame"),
        config.getDuration("playback-lead"),
        config.getInt("sentence-text-buffer"));
  }
}
