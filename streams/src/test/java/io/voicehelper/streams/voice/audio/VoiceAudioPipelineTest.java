package io.voicehelper.streams.voice.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.VoiceActivityDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Noisy FreeTTS speech through noise suppression, Silero and the segmenter, as a call's socket would send it. */
class VoiceAudioPipelineTest {

  private static ActorTestKit testKit;
  private static VoiceActivityDetectors detectors;
  private static VoiceAudioSettings settings;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
    settings = VoiceAudioSettings.fromConfig(ConfigFactory.defaultReference().getConfig(VoiceAudioSettings.CONFIG_PATH));
    detectors = VoiceActivityDetectors.create(settings.vad());
  }

  @AfterAll
  static void stop() throws Exception {
    detectors.close();
    testKit.shutdownTestKit();
  }

  /** Wraps a detector to note the threads it runs on. */
  private record Watched(VoiceActivityDetector detector, Set<String> threads) implements VoiceActivityDetector {
    @Override
    public String name() {
      return detector.name();
    }

    @Override
    public int frameSamples() {
      return detector.frameSamples();
    }

    @Override
    public float speechProbability(short[] frame) {
      threads.add(Thread.currentThread().getName());
      return detector.speechProbability(frame);
    }

    @Override
    public void reset() {
      detector.reset();
    }
  }

  @Test
  void twoNoisyUtterancesBecomeTwoSegmentsDetectedOnTheVadDispatcher() throws Exception {
    short[] first = TestAudio.scaledTo(TestAudio.speech("I would like to change my delivery address."), -26);
    short[] second = TestAudio.scaledTo(TestAudio.speech("The new one is on Baker Street."), -26);
    short[] clean = TestAudio.concat(
        TestAudio.silence(800), first, TestAudio.silence(1200), second, TestAudio.silence(1000));
    short[] noisy = TestAudio.mix(clean, TestAudio.whiteNoise(clean.length * 1000 / Pcm.SAMPLE_RATE, -36, 21));
    ByteString bytes = Pcm.bytes(noisy);
    List<ByteString> frames = new ArrayList<>();
    for (int at = 0; at < bytes.size(); at += 640) frames.add(bytes.slice(at, Math.min(bytes.size(), at + 640)));
    Set<String> threads = ConcurrentHashMap.newKeySet();

    List<SegmentEvent> events = Source.from(frames)
        .via(VoiceAudioPipeline.inbound(settings, () -> new Watched(detectors.newDetector(), threads)))
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);

    List<SegmentEvent> marks = events.stream().filter(e -> !(e instanceof SegmentEvent.Audio)).toList();
    System.out.println("pipeline on noisy speech (white noise, 10 dB SNR): " + marks);
    assertEquals(4, marks.size(), marks.toString());
    assertTrue(marks.get(0) instanceof SegmentEvent.SpeechStarted && marks.get(1) instanceof SegmentEvent.SpeechEnded);
    assertTrue(marks.get(2) instanceof SegmentEvent.SpeechStarted && marks.get(3) instanceof SegmentEvent.SpeechEnded);
    long secondStart = 800 + (first.length + 1200 * 16) / 16;
    long detected = ((SegmentEvent.SpeechStarted) marks.get(2)).atMillis();
    assertTrue(detected >= secondStart - 100 && detected < secondStart + 400, "second start " + detected);
    assertTrue(threads.stream().allMatch(name -> name.contains("voicehelper.voice.audio.vad.dispatcher")), threads.toString());
  }
}
