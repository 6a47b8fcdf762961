package io.voicehelper.streams.voice.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.streams.voice.Pcm;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Noise suppression on FreeTTS speech mixed with white and pink noise at 5 dB SNR; figures go to the test output. */
class NoiseSuppressorTest {

  private static final VoiceAudioSettings.NoiseSuppression DEFAULTS =
      VoiceAudioSettings.fromConfig(ConfigFactory.defaultReference().getConfig(VoiceAudioSettings.CONFIG_PATH))
          .noiseSuppression();

  private static short[] clean;

  @BeforeAll
  static void speak() {
    short[] speech = TestAudio.scaledTo(
        TestAudio.speech("Thank you for calling. Your parcel left our warehouse this morning and should arrive on "
            + "Friday. Is there anything else I can help you with?"),
        -26);
    clean = TestAudio.concat(TestAudio.silence(1000), speech, TestAudio.silence(500));
  }

  private static short[] suppress(short[] samples) {
    NoiseSuppressor suppressor = new NoiseSuppressor(DEFAULTS);
    return TestAudio.concat(suppressor.process(samples), suppressor.flush());
  }

  private static void assertGain(String noiseName, short[] noise, double minSegmentalGain) {
    short[] noisy = TestAudio.mix(clean, noise);
    short[] denoised = suppress(noisy);
    double segBefore = TestAudio.segmentalSnr(clean, noisy, 0);
    double segAfter = TestAudio.segmentalSnr(clean, denoised, NoiseSuppressor.DELAY_SAMPLES);
    double before = TestAudio.snr(clean, noisy, 0);
    double after = TestAudio.snr(clean, denoised, NoiseSuppressor.DELAY_SAMPLES);
    System.out.printf(
        "noise suppression, FreeTTS speech + %s noise at 5 dB: segmental SNR %.1f -> %.1f dB (%+.1f), "
            + "SNR %.1f -> %.1f dB (%+.1f)%n",
        noiseName, segBefore, segAfter, segAfter - segBefore, before, after, after - before);
    assertTrue(segAfter - segBefore >= minSegmentalGain, "segmental SNR gain " + (segAfter - segBefore));
    assertTrue(after - before >= minSegmentalGain, "SNR gain " + (after - before));
  }

  @Test
  void whiteNoiseAtFiveDbIsReduced() {
    assertGain("white", TestAudio.whiteNoise(clean.length * 1000 / Pcm.SAMPLE_RATE, -31, 11), 4.5);
  }

  @Test
  void pinkNoiseAtFiveDbIsReduced() {
    assertGain("pink", TestAudio.pinkNoise(clean.length * 1000 / Pcm.SAMPLE_RATE, -31, 12), 2.5);
  }

  @Test
  void noiseAloneIsAttenuated() {
    short[] noise = TestAudio.whiteNoise(4000, -40, 13);
    short[] out = suppress(noise);
    // after the first noise window, once the floor has settled
    double in = Pcm.rmsDbfs(java.util.Arrays.copyOfRange(noise, 32_000, 64_000));
    double outDb = Pcm.rmsDbfs(java.util.Arrays.copyOfRange(out, 32_000 + NoiseSuppressor.DELAY_SAMPLES, 64_000));
    System.out.printf("noise suppression, white noise alone: %.1f -> %.1f dBFS%n", in, outDb);
    assertTrue(in - outDb >= 6 && in - outDb <= DEFAULTS.maxAttenuationDb() + 1, "attenuation " + (in - outDb));
  }

  @Test
  void cleanSpeechIsNotWrecked() {
    short[] quietRoom = TestAudio.mix(clean, TestAudio.whiteNoise(clean.length * 1000 / Pcm.SAMPLE_RATE, -75, 14));
    short[] out = suppress(quietRoom);
    double snr = TestAudio.snr(clean, out, NoiseSuppressor.DELAY_SAMPLES);
    double level = Pcm.rmsDbfs(out) - Pcm.rmsDbfs(clean);
    System.out.printf("noise suppression, clean speech: SNR of the output %.1f dB, level change %.2f dB%n", snr, level);
    assertTrue(snr >= 25, "clean speech distorted: SNR " + snr);
    assertTrue(Math.abs(level) < 1.5, "level change " + level);
  }

  @Test
  void theFlowTakesChunksOfAnySizeAndDelaysByAFixedAmount() throws Exception {
    short[] noisy = TestAudio.mix(clean, TestAudio.whiteNoise(clean.length * 1000 / Pcm.SAMPLE_RATE, -31, 15));
    ByteString bytes = Pcm.bytes(noisy);
    List<ByteString> chunks = new ArrayList<>();
    int[] sizes = {641, 1, 960, 1279, 3};
    for (int at = 0, i = 0; at < bytes.size(); at += sizes[i++ % sizes.length]) {
      chunks.add(bytes.slice(at, Math.min(bytes.size(), at + sizes[i % sizes.length])));
    }
    ActorTestKit testKit = ActorTestKit.create();
    try {
      ByteString out = Source.from(chunks)
          .via(NoiseSuppressor.flow(DEFAULTS))
          .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), testKit.system())
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      short[] expected = suppress(noisy);
      assertEquals(noisy.length + NoiseSuppressor.DELAY_SAMPLES, expected.length);
      assertArrayEquals(expected, Pcm.samples(out));
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
