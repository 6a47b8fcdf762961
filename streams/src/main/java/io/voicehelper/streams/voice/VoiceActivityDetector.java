package io.voicehelper.streams.voice;

/**
 * Frame-level voice activity detection (the VAD port): how likely one frame of {@link Pcm} audio holds speech.
 * Stateful (models carry context from frame to frame), so one instance per call, used from one stream stage at a
 * time; not thread-safe. Hysteresis, minimum durations and turn-taking are decided above it, by the segmenter.
 *
 * <p>Implementations: Silero VAD v5 on ONNX Runtime (512-sample frames at 16 kHz), and an energy detector as the
 * fallback when the model cannot be loaded.
 */
public interface VoiceActivityDetector extends AutoCloseable {

  /** A short name for logs and metrics ({@code silero}, {@code energy}). */
  String name();

  /** The number of samples {@link #speechProbability} takes: the caller re-frames audio to exactly this size. */
  int frameSamples();

  /** The probability, 0 to 1, that {@code frame} (exactly {@link #frameSamples()} samples) holds speech. */
  float speechProbability(short[] frame);

  /** Forgets the context carried between frames (a new utterance, a new call). */
  void reset();

  /** Frees native resources; the default has none. */
  @Override
  default void close() {}
}
