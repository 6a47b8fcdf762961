package io.voicehelper.streams.voice.audio;

import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.SpeechFixtures;
import io.voicehelper.streams.voice.audio.internal.Samples;
import java.util.Random;

/** Audio for the voice tests: FreeTTS speech (kevin16, 16 kHz), synthetic voiced sound, noise, and SNR figures. */
final class TestAudio {

  private TestAudio() {}

  /** {@code text} spoken by FreeTTS's kevin16 voice, as 16 kHz samples (the shared {@link SpeechFixtures}). */
  static short[] speech(String text) {
    return Pcm.samples(SpeechFixtures.speak(text));
  }

  /** {@code millis} of digital silence. */
  static short[] silence(int millis) {
    return new short[millis * Pcm.SAMPLE_RATE / 1000];
  }

  /** {@code millis} of white noise at {@code dbfs} RMS, reproducible by {@code seed}. */
  static short[] whiteNoise(int millis, double dbfs, long seed) {
    Random random = new Random(seed);
    double rms = 32768 * Math.pow(10, dbfs / 20);
    short[] out = new short[millis * Pcm.SAMPLE_RATE / 1000];
    for (int i = 0; i < out.length; i++) out[i] = clip(random.nextGaussian() * rms);
    return out;
  }

  /** {@code millis} of pink (1/f) noise at {@code dbfs} RMS, reproducible by {@code seed} (Kellet's filter). */
  static short[] pinkNoise(int millis, double dbfs, long seed) {
    Random random = new Random(seed);
    int n = millis * Pcm.SAMPLE_RATE / 1000;
    double[] pink = new double[n];
    double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
    for (int i = 0; i < n; i++) {
      double white = random.nextGaussian();
      b0 = 0.99886 * b0 + white * 0.0555179;
      b1 = 0.99332 * b1 + white * 0.0750759;
      b2 = 0.96900 * b2 + white * 0.1538520;
      b3 = 0.86650 * b3 + white * 0.3104856;
      b4 = 0.55000 * b4 + white * 0.5329522;
      b5 = -0.7616 * b5 - white * 0.0168980;
      pink[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + white * 0.5362;
      b6 = white * 0.115926;
    }
    double sum = 0;
    for (double value : pink) sum += value * value;
    double gain = 32768 * Math.pow(10, dbfs / 20) / Math.sqrt(sum / n);
    short[] out = new short[n];
    for (int i = 0; i < n; i++) out[i] = clip(pink[i] * gain);
    return out;
  }

  /**
   * A voiced, speech-like sound: harmonics of a gliding 120-180 Hz pitch with a falling spectrum, in syllables of
   * 200 ms (raised-cosine envelope) separated by 100 ms gaps, at {@code peakDbfs}.
   */
  static short[] voiced(int millis, double peakDbfs) {
    int n = millis * Pcm.SAMPLE_RATE / 1000;
    double peak = 32768 * Math.pow(10, peakDbfs / 20);
    short[] out = new short[n];
    double phase = 0;
    int syllable = 300 * Pcm.SAMPLE_RATE / 1000;
    int voicedPart = 200 * Pcm.SAMPLE_RATE / 1000;
    for (int i = 0; i < n; i++) {
      double t = (double) i / Pcm.SAMPLE_RATE;
      double f0 = 150 + 30 * Math.sin(2 * Math.PI * 0.7 * t);
      phase += 2 * Math.PI * f0 / Pcm.SAMPLE_RATE;
      int inSyllable = i % syllable;
      double envelope =
          inSyllable < voicedPart ? 0.5 * (1 - Math.cos(2 * Math.PI * inSyllable / voicedPart)) : 0;
      double sample = 0;
      for (int h = 1; h <= 20; h++) sample += Math.sin(h * phase) / h;
      out[i] = clip(peak * envelope * sample / 2.2);
    }
    return out;
  }

  /** The sample-wise sum of {@code a} and {@code b} (the length of {@code a}). */
  static short[] mix(short[] a, short[] b) {
    short[] out = new short[a.length];
    for (int i = 0; i < a.length; i++) out[i] = clip(a[i] + (i < b.length ? b[i] : 0));
    return out;
  }

  /** {@code parts} one after the other. */
  static short[] concat(short[]... parts) {
    return Samples.concat(parts);
  }

  /** {@code samples} scaled so that their RMS is {@code dbfs}. */
  static short[] scaledTo(short[] samples, double dbfs) {
    double gain = Math.pow(10, (dbfs - Pcm.rmsDbfs(samples)) / 20);
    short[] out = new short[samples.length];
    for (int i = 0; i < samples.length; i++) out[i] = clip(samples[i] * gain);
    return out;
  }

  /**
   * Segmental SNR (dB) of {@code processed} against {@code clean}, with {@code processed} delayed by {@code delay}
   * samples: the mean over 20 ms segments where the clean signal is active (above -50 dBFS), each clamped to -10..35
   * dB as is usual.
   */
  static double segmentalSnr(short[] clean, short[] processed, int delay) {
    int segment = 320;
    double sum = 0;
    int count = 0;
    for (int start = 0; start + segment <= clean.length && start + delay + segment <= processed.length; start += segment) {
      double signal = 0;
      double error = 0;
      for (int i = start; i < start + segment; i++) {
        double s = clean[i];
        double e = processed[i + delay] - s;
        signal += s * s;
        error += e * e;
      }
      if (20 * Math.log10(Math.sqrt(signal / segment) / 32768 + 1e-12) < -50) continue;
      double snr = 10 * Math.log10((signal + 1e-9) / (error + 1e-9));
      sum += Math.max(-10, Math.min(35, snr));
      count++;
    }
    return sum / count;
  }

  /** Global SNR (dB) of {@code processed} against {@code clean}, {@code processed} delayed by {@code delay}. */
  static double snr(short[] clean, short[] processed, int delay) {
    double signal = 0;
    double error = 0;
    for (int i = 0; i < clean.length && i + delay < processed.length; i++) {
      double e = processed[i + delay] - clean[i];
      signal += (double) clean[i] * clean[i];
      error += e * e;
    }
    return 10 * Math.log10(signal / error);
  }

  static short clip(double value) {
    return Samples.clip(value);
  }
}
