package io.voicehelper.streams.voice.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.VoiceActivityDetector;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SileroVadTest {

  private static SileroVadModel model;
  private static short[] speech;

  @BeforeAll
  static void load() throws Exception {
    model = SileroVadModel.load("", 1);
    speech = TestAudio.speech("Hello, I would like to know where my order is, it has not arrived yet.");
  }

  @AfterAll
  static void close() throws Exception {
    model.close();
  }

  /** Speech probabilities of {@code samples} in 512-sample frames, through a fresh detector. */
  private static float[] probabilities(VoiceActivityDetector vad, short[] samples) {
    int frames = samples.length / vad.frameSamples();
    float[] out = new float[frames];
    for (int i = 0; i < frames; i++) {
      out[i] = vad.speechProbability(Arrays.copyOfRange(samples, i * vad.frameSamples(), (i + 1) * vad.frameSamples()));
    }
    return out;
  }

  private static double fractionAbove(float[] values, double threshold) {
    int above = 0;
    for (float value : values) if (value >= threshold) above++;
    return (double) above / values.length;
  }

  private static float max(float[] values) {
    float max = 0;
    for (float value : values) max = Math.max(max, value);
    return max;
  }

  @Test
  void speechScoresHigh() {
    VoiceActivityDetector vad = model.newDetector();
    for (int i = 0; i < 3; i++) probabilities(vad, speech); // warm-up
    long start = System.nanoTime();
    for (int i = 0; i < 3; i++) probabilities(vad, speech);
    vad.reset();
    float[] p = probabilities(vad, speech);
    long microsPerFrame = (System.nanoTime() - start) / 1000 / (4L * p.length);
    System.out.printf("silero on FreeTTS speech: %d frames, max %.3f, above 0.5: %.2f, %d µs per 32 ms frame%n",
        p.length, max(p), fractionAbove(p, 0.5), microsPerFrame);
    assertTrue(max(p) > 0.9, "max " + max(p));
    assertTrue(fractionAbove(p, 0.5) > 0.6, "fraction " + fractionAbove(p, 0.5));
  }

  @Test
  void silenceAndWhiteNoiseScoreLow() {
    VoiceActivityDetector vad = model.newDetector();
    float[] silent = probabilities(vad, TestAudio.silence(2000));
    vad.reset();
    float[] noise = probabilities(vad, TestAudio.whiteNoise(3000, -30, 7));
    System.out.printf("silero: silence max %.3f, white noise max %.3f%n", max(silent), max(noise));
    assertTrue(max(silent) < 0.1, "silence max " + max(silent));
    assertTrue(max(noise) < 0.3, "noise max " + max(noise));
  }

  @Test
  void eachDetectorKeepsItsOwnState() {
    VoiceActivityDetector first = model.newDetector();
    VoiceActivityDetector second = model.newDetector();
    probabilities(first, TestAudio.silence(1024));
    float[] a = probabilities(first, speech);
    float[] b = probabilities(second, TestAudio.concat(TestAudio.silence(1024), speech));
    float[] bSpeech = Arrays.copyOfRange(b, b.length - a.length, b.length);
    assertEquals(a.length, bSpeech.length);
    for (int i = 0; i < a.length; i++) assertEquals(a[i], bSpeech[i], 1e-3, "frame " + i);
  }

  @Test
  void rejectsFramesOfTheWrongSize() {
    assertThrows(IllegalArgumentException.class, () -> model.newDetector().speechProbability(new short[320]));
  }

  @Test
  void factoryPicksSileroAndFallsBackToEnergy() throws Exception {
    VoiceAudioSettings.Vad defaults =
        VoiceAudioSettings.fromConfig(ConfigFactory.defaultReference().getConfig(VoiceAudioSettings.CONFIG_PATH)).vad();
    try (VoiceActivityDetectors detectors = VoiceActivityDetectors.create(defaults)) {
      assertEquals("silero", detectors.engine());
      assertEquals("silero", detectors.newDetector().name());
    }
    VoiceAudioSettings.Vad broken =
        new VoiceAudioSettings.Vad(VoiceAudioSettings.VadEngine.SILERO, "/nonexistent/silero.onnx", 1, 10, -55);
    try (VoiceActivityDetectors detectors = VoiceActivityDetectors.create(broken)) {
      assertEquals("energy", detectors.engine());
      assertEquals(Pcm.SAMPLE_RATE / 1000 * 32, detectors.newDetector().frameSamples());
    }
  }
}
