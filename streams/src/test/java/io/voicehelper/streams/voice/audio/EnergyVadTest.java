package io.voicehelper.streams.voice.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EnergyVadTest {

  private static float[] probabilities(EnergyVad vad, short[] samples) {
    int frames = samples.length / EnergyVad.FRAME_SAMPLES;
    float[] out = new float[frames];
    for (int i = 0; i < frames; i++) {
      out[i] = vad.speechProbability(
          Arrays.copyOfRange(samples, i * EnergyVad.FRAME_SAMPLES, (i + 1) * EnergyVad.FRAME_SAMPLES));
    }
    return out;
  }

  private static double mean(float[] values, int from) {
    double sum = 0;
    for (int i = from; i < values.length; i++) sum += values[i];
    return sum / (values.length - from);
  }

  @Test
  void speechAboveTheLearnedNoiseFloorScoresHighAndTheNoiseLow() {
    EnergyVad vad = new EnergyVad(10, -55);
    float[] noise = probabilities(vad, TestAudio.whiteNoise(2000, -50, 31));
    assertTrue(Math.abs(vad.noiseFloorDbfs() - -50) < 2, "floor " + vad.noiseFloorDbfs());
    float[] voiced = probabilities(vad, TestAudio.mix(TestAudio.voiced(2000, -20), TestAudio.whiteNoise(2000, -50, 32)));
    assertTrue(mean(noise, 5) < 0.05, "noise " + mean(noise, 5));
    // syllables of 200 ms every 300 ms: about two thirds of the frames are voiced
    double voicedShare = 0;
    for (float p : voiced) if (p > 0.5) voicedShare++;
    voicedShare /= voiced.length;
    assertTrue(voicedShare > 0.45 && voicedShare < 0.8, "voiced share " + voicedShare);
    assertTrue(vad.noiseFloorDbfs() < -45, "the floor does not climb onto the speech: " + vad.noiseFloorDbfs());
  }

  @Test
  void soundsQuieterThanMinDbfsAreNeverSpeech() {
    EnergyVad vad = new EnergyVad(10, -55);
    probabilities(vad, TestAudio.silence(1000));
    float[] quiet = probabilities(vad, TestAudio.voiced(1000, -60));
    for (float p : quiet) assertEquals(0f, p);
    vad.reset();
    assertTrue(Double.isNaN(vad.noiseFloorDbfs()));
  }
}
