package io.voicehelper.streams.voice.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.VoiceActivityDetector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The segmenter as a flow over real detectors: Silero on FreeTTS speech, the energy detector on a noise burst. */
class SpeechSegmenterFlowTest {

  private static ActorTestKit testKit;
  private static SileroVadModel silero;
  private static VoiceAudioSettings settings;

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create();
    silero = SileroVadModel.load("", 1);
    settings = VoiceAudioSettings.fromConfig(ConfigFactory.defaultReference().getConfig(VoiceAudioSettings.CONFIG_PATH));
  }

  @AfterAll
  static void stop() throws Exception {
    silero.close();
    testKit.shutdownTestKit();
  }

  /** {@code samples} cut into chunks of {@code chunkBytes} (odd sizes included), through the segmenter flow. */
  private static List<SegmentEvent> segment(
      short[] samples, int chunkBytes, Supplier<VoiceActivityDetector> detectors, VoiceAudioSettings.Segmenter seg)
      throws Exception {
    ByteString all = Pcm.bytes(samples);
    List<ByteString> chunks = new ArrayList<>();
    for (int at = 0; at < all.size(); at += chunkBytes) chunks.add(all.slice(at, Math.min(all.size(), at + chunkBytes)));
    return Source.from(chunks)
        .via(SpeechSegmenter.flow(detectors, seg, settings.stageBuffer()))
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture()
        .get(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  @Test
  void freeTtsSpeechIsOneUtteranceWithItsAudio() throws Exception {
    short[] speech = TestAudio.speech("Where is my order? It should have arrived on Monday.");
    short[] call = TestAudio.concat(TestAudio.silence(1000), speech, TestAudio.silence(1000));

    List<SegmentEvent> events = segment(call, 641, silero::newDetector, settings.segmenter());

    SegmentEvent.SpeechStarted started = assertInstanceOf(SegmentEvent.SpeechStarted.class, events.get(0));
    SegmentEvent.SpeechEnded ended = assertInstanceOf(SegmentEvent.SpeechEnded.class, events.get(events.size() - 1));
    long speechEndMillis = 1000 + speech.length * 1000L / Pcm.SAMPLE_RATE;
    System.out.printf("silero segmenter: speech 1000..%d ms, detected %s .. %s%n", speechEndMillis, started, ended);
    // FreeTTS leaves some silence at both ends of what it speaks
    assertTrue(started.atMillis() >= 1000 - 32 && started.atMillis() < 1300, "start " + started);
    assertTrue(ended.atMillis() > speechEndMillis - 500 && ended.atMillis() <= speechEndMillis + 32, "end " + ended);
    long audioSamples = events.stream()
        .filter(SegmentEvent.Audio.class::isInstance)
        .mapToLong(e -> ((SegmentEvent.Audio) e).audio().size() / 2)
        .sum();
    // speech + the 300 ms pre-roll + the 300 ms of silence that ended it, to the frame
    long expected = (ended.atMillis() - started.atMillis() + 300 + 300) * 16;
    assertTrue(Math.abs(audioSamples - expected) <= 2 * 512, audioSamples + " samples, expected about " + expected);
    assertEquals(1, events.stream().filter(SegmentEvent.SpeechStarted.class::isInstance).count(), events.toString());
  }

  @Test
  void aCoughLikeBurstStartsSpeechOnlyWithALowerMinSpeech() throws Exception {
    // 150 ms of loud noise in a quiet room: the energy detector calls it speech, the segmenter must not
    short[] room = TestAudio.whiteNoise(1000, -65, 1);
    short[] burst = TestAudio.whiteNoise(150, -20, 2);
    short[] call = TestAudio.concat(room, burst, TestAudio.whiteNoise(1000, -65, 3));
    Supplier<VoiceActivityDetector> energy = () -> new EnergyVad(10, -55);

    List<SegmentEvent> withDefaults = segment(call, 640, energy, settings.segmenter());
    assertTrue(withDefaults.isEmpty(), "min-speech 250ms: " + withDefaults);

    List<SegmentEvent> lowered = segment(call, 640, energy, settings.segmenter().withMinSpeech(Duration.ofMillis(100)));
    assertInstanceOf(SegmentEvent.SpeechStarted.class, lowered.get(0), "min-speech 100ms: " + lowered);
    assertInstanceOf(SegmentEvent.SpeechEnded.class, lowered.get(lowered.size() - 1));
  }

  @Test
  void aShortSpokenBackchannelDoesNotStartSpeechWithTheDefaults() throws Exception {
    // the first 150 ms of a spoken "Yes." (faded in and out): as short as an "mhm"; Silero scores it as speech
    short[] yes = TestAudio.speech("Yes.");
    int onset = 0;
    while (Math.abs(yes[onset]) < 300) onset++;
    short[] blip = java.util.Arrays.copyOfRange(yes, onset, onset + 150 * 16);
    for (int i = 0; i < 160; i++) {
      blip[i] = (short) (blip[i] * i / 160);
      blip[blip.length - 1 - i] = (short) (blip[blip.length - 1 - i] * i / 160);
    }
    short[] call = TestAudio.concat(TestAudio.silence(1024), blip, TestAudio.silence(1000));

    List<SegmentEvent> withDefaults = segment(call, 640, silero::newDetector, settings.segmenter());
    assertTrue(withDefaults.isEmpty(), "min-speech 250ms: " + withDefaults);

    List<SegmentEvent> lowered =
        segment(call, 640, silero::newDetector, settings.segmenter().withMinSpeech(Duration.ofMillis(64)));
    assertInstanceOf(SegmentEvent.SpeechStarted.class, lowered.get(0), "min-speech 64ms: " + lowered);
  }
}
