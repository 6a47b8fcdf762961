package io.voicehelper.streams.voice;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import org.apache.pekko.util.ByteString;

/**
 * The one audio format inside VoiceHelper: PCM, 16-bit signed little-endian samples, mono, 16 kHz. Every engine
 * adapter converts to and from it at its edge; every stage between works on it.
 */
public final class Pcm {

  /** Samples per second. */
  public static final int SAMPLE_RATE = 16_000;
  /** Bytes per sample (16-bit). */
  public static final int BYTES_PER_SAMPLE = 2;
  /** Bytes of one millisecond of audio. */
  public static final int BYTES_PER_MILLI = SAMPLE_RATE * BYTES_PER_SAMPLE / 1000;

  private Pcm() {}

  /** The samples of {@code audio} (whose length must be even). */
  public static short[] samples(ByteString audio) {
    if ((audio.size() & 1) != 0) throw new IllegalArgumentException("PCM16 audio has an even number of bytes");
    ShortBuffer buffer = audio.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    short[] samples = new short[buffer.remaining()];
    buffer.get(samples);
    return samples;
  }

  /** {@code samples} as PCM16 little-endian bytes. */
  public static ByteString bytes(short[] samples) {
    return bytes(samples, 0, samples.length);
  }

  /** {@code length} samples from {@code offset} as PCM16 little-endian bytes. */
  public static ByteString bytes(short[] samples, int offset, int length) {
    ByteBuffer buffer = ByteBuffer.allocate(length * BYTES_PER_SAMPLE).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asShortBuffer().put(samples, offset, length);
    return ByteString.fromArrayUnsafe(buffer.array());
  }

  /** How long {@code bytes} of audio last, in milliseconds. */
  public static long millis(long bytes) {
    return bytes / BYTES_PER_MILLI;
  }

  /** The number of bytes of {@code millis} of audio. */
  public static int bytesFor(long millis) {
    return Math.toIntExact(millis * BYTES_PER_MILLI);
  }

  /** Root-mean-square level of {@code samples}, in dBFS (0 is full scale; silence is {@code -Infinity}). */
  public static double rmsDbfs(short[] samples) {
    if (samples.length == 0) return Double.NEGATIVE_INFINITY;
    double sum = 0;
    for (short s : samples) sum += (double) s * s;
    double rms = Math.sqrt(sum / samples.length) / 32768.0;
    return 20 * Math.log10(rms);
  }

  /**
   * {@code samples} at {@code fromRate} resampled to {@link #SAMPLE_RATE} by linear interpolation (engines that
   * speak at 22.05 or 24 kHz). Good enough for speech; not a high-fidelity resampler.
   */
  public static short[] resample(short[] samples, int fromRate) {
    if (fromRate == SAMPLE_RATE || samples.length == 0) return samples;
    int length = (int) ((long) samples.length * SAMPLE_RATE / fromRate);
    short[] out = new short[length];
    double step = (double) fromRate / SAMPLE_RATE;
    for (int i = 0; i < length; i++) {
      double position = i * step;
      int index = (int) position;
      double fraction = position - index;
      int next = Math.min(index + 1, samples.length - 1);
      out[i] = (short) Math.round(samples[index] * (1 - fraction) + samples[next] * fraction);
    }
    return out;
  }
}
