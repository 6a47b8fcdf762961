package io.voicehelper.streams.voice.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.testkit.TestPublisher;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.stream.testkit.javadsl.TestSource;
import org.junit.jupiter.api.Test;

class TurnDetectorTest {

  private static final VoiceAudioSettings.Turn DEFAULTS =
      VoiceAudioSettings.fromConfig(ConfigFactory.defaultReference().getConfig(VoiceAudioSettings.CONFIG_PATH))
          .turn();

  /** The segmenter reports the end of speech after min-silence (300 ms by default). */
  private static final long MIN_SILENCE = 300;

  /** The turn's end when speech ends at 1000 ms (reported at 1300) and {@code text} arrives at 1400. */
  private static long turnEndAfter(TurnDetector detector, String text) {
    detector.speechStarted(0);
    detector.speechEnded(1000 + MIN_SILENCE, MIN_SILENCE);
    detector.finalTranscript(text, 1400);
    for (long now = 1400; now < 10_000; now++) {
      Optional<TurnDetector.TurnEnded> ended = detector.poll(now);
      if (ended.isPresent()) {
        assertEquals(now - 1000, ended.get().silenceMillis());
        return now - 1000;
      }
    }
    throw new AssertionError("the turn never ended");
  }

  @Test
  void aCompleteTranscriptEndsTheTurnAfterTheSilenceThreshold() {
    assertEquals(700, turnEndAfter(new TurnDetector(DEFAULTS, "en-US"), "Where is my order?"));
    assertEquals(700, turnEndAfter(new TurnDetector(DEFAULTS, "zh-CN"), "我的订单到哪里了"));
  }

  @Test
  void anUnfinishedOrEmptyTranscriptWaitsForTheLongerThreshold() {
    for (String text : new String[] {"I want to check my order and", "so um", "Where is the", "I was thinking...", ""}) {
      assertEquals(1500, turnEndAfter(new TurnDetector(DEFAULTS, "en-US"), text), text);
    }
    for (String text : new String[] {"我想查一下订单然后", "嗯", "那个"}) {
      assertEquals(1500, turnEndAfter(new TurnDetector(DEFAULTS, "zh-CN"), text), text);
    }
    // "band" ends with "and" but is a complete word
    assertEquals(700, turnEndAfter(new TurnDetector(DEFAULTS, "en-US"), "I love that band"));
  }

  @Test
  void theThresholdsAndWordListsAreConfigurable() {
    VoiceAudioSettings.Turn custom =
        new VoiceAudioSettings.Turn(Duration.ofMillis(400), Duration.ofMillis(2000), Map.of("en", Set.of("please")));
    assertEquals(400, turnEndAfter(new TurnDetector(custom, "en-GB"), "I want to check my order and"));
    assertEquals(2000, turnEndAfter(new TurnDetector(custom, "en-GB"), "hold on please"));
  }

  @Test
  void aTranscriptArrivingLateEndsTheTurnAsSoonAsItIsKnown() {
    TurnDetector detector = new TurnDetector(DEFAULTS, "en-US");
    detector.speechStarted(0);
    detector.speechEnded(1300, MIN_SILENCE);
    assertEquals(1000 + 1500, detector.deadline().getAsLong(), "without the transcript: the longer wait");
    assertTrue(detector.poll(1900).isEmpty());
    detector.finalTranscript("Cancel my subscription.", 1900);
    TurnDetector.TurnEnded ended = detector.poll(1900).orElseThrow();
    assertEquals("Cancel my subscription.", ended.transcript());
    assertEquals(900, ended.silenceMillis());
    assertTrue(ended.looksComplete());
  }

  @Test
  void speechResumingBeforeTheDeadlineContinuesTheTurn() {
    TurnDetector detector = new TurnDetector(DEFAULTS, "en-US");
    detector.speechStarted(0);
    detector.speechEnded(1300, MIN_SILENCE);
    detector.finalTranscript("I need to change my address and", 1400);
    detector.speechStarted(2000); // 1000 ms of silence: past 700, before 1500
    assertTrue(detector.deadline().isEmpty());
    assertTrue(detector.poll(5000).isEmpty(), "no end while speaking");
    detector.speechEnded(4300, MIN_SILENCE);
    detector.finalTranscript("my phone number.", 4400);
    assertTrue(detector.poll(4699).isEmpty());
    TurnDetector.TurnEnded ended = detector.poll(4700).orElseThrow();
    assertEquals("I need to change my address and my phone number.", ended.transcript());
    assertFalse(detector.poll(10_000).isPresent(), "a new turn has not started");
  }

  @Test
  void segmentEventsTellTheDetectorOfStartsAndEnds() {
    VoiceAudioSettings.Segmenter segmenter =
        VoiceAudioSettings.fromConfig(ConfigFactory.defaultReference().getConfig(VoiceAudioSettings.CONFIG_PATH))
            .segmenter();
    assertEquals(Optional.of(new TurnSignal.SpeechStarted()), new SegmentEvent.SpeechStarted(40).turnSignal(segmenter));
    assertEquals(
        Optional.of(new TurnSignal.SpeechEnded(300)), new SegmentEvent.SpeechEnded(900, 860).turnSignal(segmenter));
    assertTrue(new SegmentEvent.Audio(org.apache.pekko.util.ByteString.emptyByteString()).turnSignal(segmenter).isEmpty());
  }

  @Test
  void theFlowEndsTurnsOnItsTimer() {
    ActorTestKit testKit = ActorTestKit.create();
    try {
      VoiceAudioSettings.Turn quick =
          new VoiceAudioSettings.Turn(Duration.ofMillis(150), Duration.ofMillis(600), DEFAULTS.incompleteEndings());
      Pair<TestPublisher.Probe<TurnSignal>, TestSubscriber.Probe<TurnDetector.TurnEnded>> probes =
          TestSource.<TurnSignal>probe(testKit.system().classicSystem())
              .via(TurnDetector.flow(quick, "en-US"))
              .toMat(TestSink.probe(testKit.system().classicSystem()), org.apache.pekko.stream.javadsl.Keep.both())
              .run(testKit.system());
      TestPublisher.Probe<TurnSignal> signals = probes.first();
      TestSubscriber.Probe<TurnDetector.TurnEnded> turns = probes.second();
      turns.request(10);

      long start = System.nanoTime();
      signals.sendNext(new TurnSignal.SpeechStarted());
      signals.sendNext(new TurnSignal.SpeechEnded(0));
      signals.sendNext(new TurnSignal.FinalTranscript("What are your opening hours?"));
      TurnDetector.TurnEnded complete = turns.expectNext(Duration.ofSeconds(3));
      long completeMillis = (System.nanoTime() - start) / 1_000_000;
      assertEquals("What are your opening hours?", complete.transcript());
      assertTrue(completeMillis >= 150 && completeMillis < 600, completeMillis + " ms");

      start = System.nanoTime();
      signals.sendNext(new TurnSignal.SpeechStarted());
      signals.sendNext(new TurnSignal.SpeechEnded(0));
      signals.sendNext(new TurnSignal.FinalTranscript("I want to ask about um"));
      turns.expectNoMessage(Duration.ofMillis(300));
      signals.sendNext(new TurnSignal.SpeechStarted()); // the caller goes on: no end
      turns.expectNoMessage(Duration.ofMillis(700));
      signals.sendNext(new TurnSignal.SpeechEnded(0));
      signals.sendNext(new TurnSignal.FinalTranscript("the refund"));
      TurnDetector.TurnEnded resumed = turns.expectNext(Duration.ofSeconds(3));
      assertEquals("I want to ask about um the refund", resumed.transcript());

      signals.sendComplete();
      turns.expectComplete();
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
