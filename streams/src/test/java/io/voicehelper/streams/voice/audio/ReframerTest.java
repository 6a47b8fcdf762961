package io.voicehelper.streams.voice.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.voice.Pcm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class ReframerTest {

  private static short[] ramp(int length) {
    short[] samples = new short[length];
    for (int i = 0; i < length; i++) samples[i] = (short) (i * 7 - 20_000);
    return samples;
  }

  /** {@code bytes} cut into chunks of the given sizes, cycling. */
  private static List<ByteString> chunks(ByteString bytes, int... sizes) {
    List<ByteString> out = new ArrayList<>();
    for (int at = 0, i = 0; at < bytes.size(); i++) {
      int end = Math.min(bytes.size(), at + sizes[i % sizes.length]);
      out.add(bytes.slice(at, end));
      at = end;
    }
    return out;
  }

  @Test
  void chunksOfAnySizeBecomeExactFramesWithTheLeftoverCarried() {
    short[] samples = ramp(5000);
    Reframer reframer = new Reframer(512);
    List<short[]> frames = new ArrayList<>();
    for (ByteString chunk : chunks(Pcm.bytes(samples), 641, 1, 3, 1280, 999)) frames.addAll(reframer.push(chunk));
    assertEquals(5000 / 512, frames.size());
    for (int i = 0; i < frames.size(); i++) {
      assertArrayEquals(Arrays.copyOfRange(samples, i * 512, (i + 1) * 512), frames.get(i), "frame " + i);
    }
    short[] last = reframer.flush().orElseThrow();
    assertArrayEquals(Arrays.copyOfRange(samples, 9 * 512, 5000), Arrays.copyOf(last, 5000 - 9 * 512));
    assertTrue(Arrays.stream(toInts(Arrays.copyOfRange(last, 5000 - 9 * 512, 512))).allMatch(s -> s == 0), "padded");
    assertTrue(reframer.flush().isEmpty(), "nothing is carried after a flush");
  }

  private static int[] toInts(short[] samples) {
    int[] out = new int[samples.length];
    for (int i = 0; i < samples.length; i++) out[i] = samples[i];
    return out;
  }

  @Test
  void theFlowDropsOrPadsTheLastPartialFrame() throws Exception {
    ActorTestKit testKit = ActorTestKit.create();
    try {
      List<ByteString> input = chunks(Pcm.bytes(ramp(1000)), 333, 640);
      List<ByteString> dropped = Source.from(input).via(Reframer.bytesFlow(320, false))
          .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(5, TimeUnit.SECONDS);
      List<ByteString> padded = Source.from(input).via(Reframer.bytesFlow(320, true))
          .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertEquals(3, dropped.size());
      assertEquals(4, padded.size());
      assertTrue(padded.stream().allMatch(frame -> frame.size() == 640));
      assertEquals(Pcm.bytes(ramp(1000)).slice(960 * 2 - 640, 960 * 2), dropped.get(2));
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
