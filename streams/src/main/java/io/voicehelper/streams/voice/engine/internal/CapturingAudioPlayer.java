package io.voicehelper.streams.voice.engine.internal;

import com.sun.speech.freetts.audio.AudioPlayer;
import io.voicehelper.streams.voice.Pcm;
import java.io.ByteArrayOutputStream;
import java.util.function.Predicate;
import javax.sound.sampled.AudioFormat;
import org.apache.pekko.util.ByteString;

/**
 * A FreeTTS {@link AudioPlayer} that plays nothing: it hands the voice's samples on as 20 ms chunks of {@link Pcm}
 * audio (little-endian, resampled to 16 kHz when the voice speaks at another rate). The consumer answers each chunk
 * with whether to go on; {@code false} makes FreeTTS abandon the text (a cancelled stream). One per synthesis.
 */
public final class CapturingAudioPlayer implements AudioPlayer {

  private final Predicate<ByteString> consumer;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private AudioFormat format = new AudioFormat(Pcm.SAMPLE_RATE, 16, 1, true, false);
  private float volume = 1.0f;
  private boolean cancelled;

  /** {@code consumer} gets each chunk and says whether synthesis should go on. */
  public CapturingAudioPlayer(Predicate<ByteString> consumer) {
    this.consumer = consumer;
  }

  @Override
  public void setAudioFormat(AudioFormat format) {
    if (format.getSampleSizeInBits() != 16 || format.getChannels() != 1) {
      throw new IllegalArgumentException("FreeTTS voice format not supported: " + format);
    }
    this.format = format;
  }

  @Override
  public AudioFormat getAudioFormat() {
    return format;
  }

  @Override
  public boolean write(byte[] audio) {
    return write(audio, 0, audio.length);
  }

  @Override
  public boolean write(byte[] audio, int offset, int length) {
    if (cancelled) return false;
    pending.write(audio, offset, length);
    int block = blockBytes();
    while (pending.size() >= block && !cancelled) {
      byte[] all = pending.toByteArray();
      pending.reset();
      pending.write(all, block, all.length - block);
      cancelled = !consumer.test(convert(all, block));
    }
    return !cancelled;
  }

  /** Hands on what is left (a chunk shorter than 20 ms); returns whether the consumer still wants audio. */
  public boolean flush() {
    byte[] rest = pending.toByteArray();
    pending.reset();
    int whole = rest.length & ~1;
    if (!cancelled && whole > 0) cancelled = !consumer.test(convert(rest, whole));
    return !cancelled;
  }

  private int blockBytes() {
    return Math.max(1, Math.round(format.getSampleRate() / 50)) * 2;
  }

  private ByteString convert(byte[] audio, int length) {
    short[] samples = new short[length / 2];
    boolean bigEndian = format.isBigEndian();
    for (int i = 0; i < samples.length; i++) {
      int first = audio[2 * i] & 0xff;
      int second = audio[2 * i + 1] & 0xff;
      samples[i] = (short) (bigEndian ? (first << 8) | second : (second << 8) | first);
    }
    return Pcm.bytes(Pcm.resample(samples, Math.round(format.getSampleRate())));
  }

  @Override
  public void cancel() {
    cancelled = true;
  }

  @Override
  public void pause() {}

  @Override
  public void resume() {}

  @Override
  public void reset() {}

  @Override
  public boolean drain() {
    return !cancelled;
  }

  @Override
  public void begin(int size) {}

  @Override
  public boolean end() {
    return !cancelled;
  }

  @Override
  public void close() {}

  @Override
  public float getVolume() {
    return volume;
  }

  @Override
  public void setVolume(float volume) {
    this.volume = volume;
  }

  @Override
  public long getTime() {
    return 0;
  }

  @Override
  public void resetTime() {}

  @Override
  public void startFirstSampleTimer() {}

  @Override
  public void showMetrics() {}
}
