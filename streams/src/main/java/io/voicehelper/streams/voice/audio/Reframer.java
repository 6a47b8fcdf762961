package io.voicehelper.streams.voice.audio;

import io.voicehelper.streams.voice.Pcm;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Re-cuts {@link Pcm} audio that arrives in chunks of any size (odd byte counts included) into frames of exactly
 * {@code frameSamples} samples, carrying the leftover bytes to the next chunk. Not thread-safe: one per stream.
 */
public final class Reframer {

  private final int frameSamples;
  private final int frameBytes;
  private ByteString pending = ByteString.emptyByteString();

  public Reframer(int frameSamples) {
    if (frameSamples < 1) throw new IllegalArgumentException("frameSamples must be >= 1");
    this.frameSamples = frameSamples;
    this.frameBytes = frameSamples * Pcm.BYTES_PER_SAMPLE;
  }

  /** The frame size, in samples. */
  public int frameSamples() {
    return frameSamples;
  }

  /** The complete frames that {@code chunk}, after what was carried, makes; the rest is carried. */
  public List<short[]> push(ByteString chunk) {
    ByteString all = pending.concat(chunk);
    int frames = all.size() / frameBytes;
    List<short[]> out = new ArrayList<>(frames);
    for (int i = 0; i < frames; i++) {
      out.add(Pcm.samples(all.slice(i * frameBytes, (i + 1) * frameBytes)));
    }
    pending = all.drop(frames * frameBytes).compact();
    return out;
  }

  /** The carried samples as a last frame padded with silence, if any are carried; then nothing is carried. */
  public Optional<short[]> flush() {
    int samples = pending.size() / Pcm.BYTES_PER_SAMPLE;
    ByteString carried = pending.take(samples * Pcm.BYTES_PER_SAMPLE);
    pending = ByteString.emptyByteString();
    if (samples == 0) return Optional.empty();
    short[] frame = new short[frameSamples];
    System.arraycopy(Pcm.samples(carried), 0, frame, 0, samples);
    return Optional.of(frame);
  }

  /**
   * Frames of exactly {@code frameSamples} samples from chunks of any size; with {@code padLast}, a last partial
   * frame is padded with silence when upstream completes, otherwise it is dropped. Holds less than one frame.
   */
  public static Flow<ByteString, short[], NotUsed> flow(int frameSamples, boolean padLast) {
    return Flow.<ByteString>create()
        .statefulMap(
            () -> new Reframer(frameSamples),
            (reframer, chunk) -> Pair.create(reframer, reframer.push(chunk)),
            reframer -> padLast ? reframer.flush().map(List::of) : Optional.<List<short[]>>empty())
        .mapConcat(frames -> frames);
  }

  /** Like {@link #flow(int, boolean)}, with the frames as PCM16 bytes. */
  public static Flow<ByteString, ByteString, NotUsed> bytesFlow(int frameSamples, boolean padLast) {
    return flow(frameSamples, padLast).map(Pcm::bytes);
  }
}
