package io.voicehelper.streams.voice.audio;

import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.audio.internal.Samples;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.commons.math3.transform.DftNormalization;
import org.apache.commons.math3.transform.FastFourierTransformer;
import org.apache.commons.math3.transform.TransformType;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Streaming noise suppression: a Wiener gain with decision-directed a-priori SNR on 32 ms STFT frames (512
 * samples, square-root Hann windows, 50 % overlap-add), with the noise spectrum tracked as the minimum of the
 * smoothed power spectrum over {@code noise-window} (minimum statistics), so steady noise is learned during speech
 * pauses without a VAD. The gain never goes below {@code -max-attenuation-db}, which keeps residual noise smooth
 * rather than "musical".
 *
 * <p>Latency: the output is the input delayed by {@link #DELAY_SAMPLES} (16 ms), released in blocks of
 * {@link #HOP} samples, so a sample waits 16 to 32 ms. State carries across calls of {@link #process}; not
 * thread-safe: one per call.
 */
public final class NoiseSuppressor {

  /** STFT frame length (32 ms). */
  public static final int FRAME = 512;
  /** Hop between frames, and the block size of the output (16 ms). */
  public static final int HOP = FRAME / 2;
  /** Fixed delay of the output behind the input, in samples. */
  public static final int DELAY_SAMPLES = FRAME - HOP;

  private static final int BINS = FRAME / 2 + 1;
  private static final double POWER_SMOOTHING = 0.7;
  private static final double DECISION_DIRECTED = 0.92;
  private static final int SUB_WINDOWS = 6;
  /** Mean noise power over the minimum of its smoothed periodogram (tuned on speech in white and pink noise). */
  private static final double MINIMUM_BIAS = 2.0;

  private static final double[] WINDOW = new double[FRAME];

  static {
    for (int i = 0; i < FRAME; i++) WINDOW[i] = Math.sqrt(0.5 - 0.5 * Math.cos(2 * Math.PI * i / FRAME));
  }

  private final double minGain;
  private final int subWindowFrames;

  private final double[] history = new double[FRAME];
  private final double[] overlap = new double[DELAY_SAMPLES];
  private final double[][] spectrum = new double[2][FRAME];
  private final double[] smoothed = new double[BINS];
  private final double[] currentMin = new double[BINS];
  private final double[][] subWindowMins = new double[SUB_WINDOWS][BINS];
  private final double[] cleanPower = new double[BINS];
  private final short[] pending = new short[HOP];
  private int pendingCount;
  private int framesInSubWindow;
  private int subWindow;
  private boolean started;
  private long samplesIn;
  private long samplesOut;

  public NoiseSuppressor(VoiceAudioSettings.NoiseSuppression settings) {
    this.minGain = Math.pow(10, -settings.maxAttenuationDb() / 20);
    long windowFrames = settings.noiseWindow().toMillis() * Pcm.SAMPLE_RATE / 1000 / HOP;
    this.subWindowFrames = (int) Math.max(1, windowFrames / SUB_WINDOWS);
  }

  /** The denoised audio that {@code samples} completes: whole blocks of {@link #HOP} samples, 16 ms behind. */
  public short[] process(short[] samples) {
    samplesIn += samples.length;
    int blocks = (pendingCount + samples.length) / HOP;
    short[] out = new short[blocks * HOP];
    int written = 0;
    for (short sample : samples) {
      pending[pendingCount++] = sample;
      if (pendingCount == HOP) {
        hop(out, written);
        written += HOP;
        pendingCount = 0;
      }
    }
    samplesOut += out.length;
    return out;
  }

  /**
   * The rest of the audio once the input has ended, so that the whole output is the input plus the delay; the
   * suppressor is done after it.
   */
  public short[] flush() {
    long target = samplesIn + DELAY_SAMPLES;
    List<short[]> tail = new ArrayList<>();
    while (samplesOut < target) {
      short[] block = process(new short[HOP - pendingCount]);
      tail.add(block);
    }
    short[] all = Samples.concat(tail.toArray(short[][]::new));
    int keep = (int) (all.length - (samplesOut - target));
    samplesOut = target;
    return Arrays.copyOf(all, Math.max(0, keep));
  }

  private void hop(short[] out, int at) {
    System.arraycopy(history, HOP, history, 0, FRAME - HOP);
    for (int i = 0; i < HOP; i++) history[FRAME - HOP + i] = pending[i] / 32768.0;
    double[] re = spectrum[0];
    double[] im = spectrum[1];
    for (int i = 0; i < FRAME; i++) {
      re[i] = history[i] * WINDOW[i];
      im[i] = 0;
    }
    FastFourierTransformer.transformInPlace(spectrum, DftNormalization.STANDARD, TransformType.FORWARD);
    applyGains(re, im);
    FastFourierTransformer.transformInPlace(spectrum, DftNormalization.STANDARD, TransformType.INVERSE);
    for (int i = 0; i < HOP; i++) {
      out[at + i] = Samples.clip((overlap[i] + re[i] * WINDOW[i]) * 32768.0);
    }
    for (int i = 0; i < DELAY_SAMPLES; i++) overlap[i] = re[HOP + i] * WINDOW[HOP + i];
  }

  private void applyGains(double[] re, double[] im) {
    for (int k = 0; k < BINS; k++) {
      double power = re[k] * re[k] + im[k] * im[k];
      if (!started) {
        smoothed[k] = power;
        currentMin[k] = power;
        for (double[] mins : subWindowMins) mins[k] = power;
      }
      smoothed[k] = POWER_SMOOTHING * smoothed[k] + (1 - POWER_SMOOTHING) * power;
      currentMin[k] = Math.min(currentMin[k], smoothed[k]);
      double minimum = currentMin[k];
      for (double[] mins : subWindowMins) minimum = Math.min(minimum, mins[k]);
      double noise = Math.max(MINIMUM_BIAS * minimum, 1e-12);
      double posterior = power / noise;
      double prior =
          DECISION_DIRECTED * cleanPower[k] / noise + (1 - DECISION_DIRECTED) * Math.max(posterior - 1, 0);
      double gain = Math.max(prior / (1 + prior), minGain);
      cleanPower[k] = gain * gain * power;
      re[k] *= gain;
      im[k] *= gain;
      if (k > 0 && k < FRAME / 2) { // the mirrored bin of a real signal
        re[FRAME - k] *= gain;
        im[FRAME - k] *= gain;
      }
    }
    started = true;
    if (++framesInSubWindow == subWindowFrames) {
      framesInSubWindow = 0;
      System.arraycopy(currentMin, 0, subWindowMins[subWindow], 0, BINS);
      subWindow = (subWindow + 1) % SUB_WINDOWS;
      System.arraycopy(smoothed, 0, currentMin, 0, BINS);
    }
  }

  /**
   * Denoised audio from audio in chunks of any size (odd byte counts included), 16-32 ms behind; when upstream
   * completes, the rest is flushed. Holds less than one hop plus the overlap.
   */
  public static Flow<ByteString, ByteString, NotUsed> flow(VoiceAudioSettings.NoiseSuppression settings) {
    return Flow.<ByteString>create()
        .statefulMap(
            () -> new Streaming(new NoiseSuppressor(settings)),
            (streaming, chunk) -> Pair.create(streaming, streaming.accept(chunk)),
            streaming -> Optional.of(Pcm.bytes(streaming.suppressor.flush())))
        .filter(bytes -> !bytes.isEmpty());
  }

  /** A suppressor in a stream, carrying an odd byte from chunk to chunk. */
  private static final class Streaming {
    private final NoiseSuppressor suppressor;
    private ByteString carry = ByteString.emptyByteString();

    Streaming(NoiseSuppressor suppressor) {
      this.suppressor = suppressor;
    }

    ByteString accept(ByteString chunk) {
      ByteString all = carry.concat(chunk);
      int even = all.size() & ~1;
      carry = all.drop(even);
      return Pcm.bytes(suppressor.process(Pcm.samples(all.take(even))));
    }
  }
}
