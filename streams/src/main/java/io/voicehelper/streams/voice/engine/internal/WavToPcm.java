package io.voicehelper.streams.voice.engine.internal;

import io.voicehelper.streams.voice.Pcm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Reads a WAV byte stream as it arrives (16-bit PCM at any rate; the header's sizes may be the "unknown"
 * placeholders programs write to a pipe) and cuts it into 20 ms chunks of {@link Pcm} audio, resampled to 16 kHz.
 * Resampling a whole 20 ms block at a time keeps the output rate exact (22050 Hz: 441 samples in, 320 out). Not
 * thread-safe: one per stream.
 */
public final class WavToPcm {

  /** Milliseconds of audio per output chunk. */
  public static final int CHUNK_MILLIS = 20;

  /** A flow of a WAV stream's bytes to 20 ms chunks of 16 kHz PCM; the last chunk only when the stream completes. */
  public static Flow<ByteString, ByteString, NotUsed> flow() {
    return Flow.<ByteString, ByteString, NotUsed>fromMaterializer((materializer, attributes) -> {
          WavToPcm wav = new WavToPcm();
          return Flow.<ByteString>create()
              .mapConcat(wav::accept)
              .concatLazy(Source.lazySingle(wav::finish).mapConcat(last -> last));
        })
        .mapMaterializedValue(started -> NotUsed.notUsed());
  }

  private ByteString pending = ByteString.emptyByteString();
  private int sampleRate;
  private int channels;
  private boolean inData;
  private int blockBytes;

  /** The complete chunks that {@code bytes} finish. */
  public List<ByteString> accept(ByteString bytes) {
    pending = pending.concat(bytes);
    List<ByteString> out = new ArrayList<>();
    if (!inData && !readHeader()) return out;
    while (pending.size() >= blockBytes) {
      out.add(convert(pending.take(blockBytes)));
      pending = pending.drop(blockBytes);
    }
    return out;
  }

  /** The last, shorter chunk after the stream ended (none when the stream ended within the header). */
  public List<ByteString> finish() {
    if (!inData) return List.of();
    int whole = pending.size() - pending.size() % (2 * channels);
    return whole == 0 ? List.of() : List.of(convert(pending.take(whole)));
  }

  /** The sample rate the header declared (0 before it was read). */
  public int sourceRate() {
    return sampleRate;
  }

  private boolean readHeader() {
    if (pending.size() < 12) return false;
    ByteBuffer riff = pending.take(12).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    if (riff.getInt(0) != 0x46464952 || riff.getInt(8) != 0x45564157) {
      throw new IllegalStateException("the engine's output is not a WAV stream");
    }
    int offset = 12;
    while (pending.size() >= offset + 8) {
      ByteBuffer chunk = pending.drop(offset).take(8).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      int id = chunk.getInt(0);
      int size = chunk.getInt(4);
      if (id == 0x61746164) { // "data": the samples follow, whatever size was written
        if (sampleRate == 0) throw new IllegalStateException("WAV data before its fmt chunk");
        pending = pending.drop(offset + 8);
        inData = true;
        return true;
      }
      if (pending.size() < offset + 8 + size) return false;
      if (id == 0x20746d66) readFormat(pending.drop(offset + 8).take(size)); // "fmt "
      offset += 8 + size + (size & 1);
    }
    return false;
  }

  private void readFormat(ByteString fmt) {
    ByteBuffer format = fmt.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    int encoding = format.getShort(0) & 0xffff;
    channels = format.getShort(2);
    sampleRate = format.getInt(4);
    int bits = format.getShort(14);
    if ((encoding != 1 && encoding != 0xfffe) || bits != 16 || channels < 1 || sampleRate < 8000) {
      throw new IllegalStateException(
          "unsupported WAV format: encoding " + encoding + ", " + bits + " bits, " + channels + " channels, "
              + sampleRate + " Hz (16-bit PCM expected)");
    }
    blockBytes = Math.max(1, sampleRate * CHUNK_MILLIS / 1000) * 2 * channels;
  }

  private ByteString convert(ByteString block) {
    short[] interleaved = Pcm.samples(block);
    short[] mono = interleaved;
    if (channels > 1) {
      mono = new short[interleaved.length / channels];
      for (int i = 0; i < mono.length; i++) mono[i] = interleaved[i * channels];
    }
    return Pcm.bytes(Pcm.resample(mono, sampleRate));
  }
}
