package io.voicehelper.streams.voice.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.streams.voice.Pcm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The segmenter's state machine, fed frames with chosen probabilities (32 ms frames, like Silero's). */
class SpeechSegmenterTest {

  private static final int FRAME = 512;
  private static final int FRAME_MS = 32;
  private static final VoiceAudioSettings.Segmenter DEFAULTS =
      VoiceAudioSettings.fromConfig(ConfigFactory.defaultReference().getConfig(VoiceAudioSettings.CONFIG_PATH))
          .segmenter();

  /** A frame whose samples are all {@code value} (RMS {@code 20 log10(value / 32768)} dBFS). */
  private static short[] frame(int value) {
    short[] frame = new short[FRAME];
    Arrays.fill(frame, (short) value);
    return frame;
  }

  private static final short[] LOUD = frame(3000); // about -21 dBFS

  /** Feeds frames and keeps, per frame index, the events it caused. */
  private static final class Run {
    final SpeechSegmenter segmenter;
    final List<SegmentEvent> events = new ArrayList<>();
    final List<Integer> eventFrames = new ArrayList<>();
    int frames;

    Run(VoiceAudioSettings.Segmenter settings) {
      segmenter = new SpeechSegmenter(settings, FRAME);
    }

    Run feed(int count, short[] frame, float probability) {
      for (int i = 0; i < count; i++) {
        for (SegmentEvent event : segmenter.accept(frame, probability)) {
          events.add(event);
          eventFrames.add(frames);
        }
        frames++;
      }
      return this;
    }

    <T extends SegmentEvent> List<T> all(Class<T> type) {
      return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    int frameOf(Class<? extends SegmentEvent> type) {
      for (int i = 0; i < events.size(); i++) if (type.isInstance(events.get(i))) return eventFrames.get(i);
      return -1;
    }
  }

  @Test
  void speechStartsAfterMinSpeechAndEndsAfterMinSilence() {
    Run run = new Run(DEFAULTS).feed(20, LOUD, 0.05f).feed(40, LOUD, 0.9f).feed(20, LOUD, 0.1f);

    SegmentEvent.SpeechStarted started = run.all(SegmentEvent.SpeechStarted.class).get(0);
    assertEquals(20 * FRAME_MS, started.atMillis(), "onset is the first speech frame");
    long startedAfter = (run.frameOf(SegmentEvent.SpeechStarted.class) + 1) * FRAME_MS - started.atMillis();
    assertTrue(startedAfter >= 250 && startedAfter < 250 + FRAME_MS, "start emitted after min-speech: " + startedAfter);

    SegmentEvent.SpeechEnded ended = run.all(SegmentEvent.SpeechEnded.class).get(0);
    assertEquals(60 * FRAME_MS, ended.atMillis(), "end is the first silent frame");
    assertEquals(40 * FRAME_MS, ended.speechMillis());
    long endedAfter = (run.frameOf(SegmentEvent.SpeechEnded.class) + 1) * FRAME_MS - ended.atMillis();
    assertTrue(endedAfter >= 300 && endedAfter < 300 + FRAME_MS, "end emitted after min-silence: " + endedAfter);
    assertFalse(run.segmenter.inSpeech());
  }

  @Test
  void audioIsSentOnlyDuringSpeech() {
    Run run = new Run(DEFAULTS).feed(20, LOUD, 0.05f).feed(40, LOUD, 0.9f).feed(20, LOUD, 0.1f);
    int start = run.events.indexOf(run.all(SegmentEvent.SpeechStarted.class).get(0));
    int end = run.events.indexOf(run.all(SegmentEvent.SpeechEnded.class).get(0));
    for (int i = 0; i < run.events.size(); i++) {
      boolean audio = run.events.get(i) instanceof SegmentEvent.Audio;
      assertEquals(i > start && i < end, audio, "event " + i + " " + run.events.get(i));
    }
    // 10 frames of pre-roll (300 ms), then everything from the onset to the end event: 40 speech + 10 silent frames
    int samples = run.all(SegmentEvent.Audio.class).stream().mapToInt(a -> a.audio().size() / 2).sum();
    assertEquals((10 + 40 + 10) * FRAME, samples);
  }

  @Test
  void preRollCarriesTheAudioBeforeTheOnset() {
    Run run = new Run(DEFAULTS);
    for (int i = 0; i < 20; i++) run.feed(1, frame(1000 + i), 0.05f);
    for (int i = 0; i < 10; i++) run.feed(1, frame(2000 + i), 0.9f);
    short[] first = Pcm.samples(run.all(SegmentEvent.Audio.class).get(0).audio());
    assertEquals((10 + 8) * FRAME, first.length, "300 ms pre-roll (10 frames) and the 8 onset frames");
    assertEquals(1010, first[0], "the pre-roll starts 10 frames before the onset");
    assertEquals(1019, first[9 * FRAME]);
    assertEquals(2000, first[10 * FRAME], "then the onset");
  }

  @Test
  void aShortBurstDoesNotStartSpeechUnlessMinSpeechIsLowered() {
    // 150 ms (5 frames) of confident, loud "speech": a cough or an "mhm"
    Run defaults = new Run(DEFAULTS).feed(20, LOUD, 0.05f).feed(5, LOUD, 0.95f).feed(30, LOUD, 0.05f);
    assertTrue(defaults.events.isEmpty(), "with min-speech 250ms: " + defaults.events);

    Run lowered = new Run(DEFAULTS.withMinSpeech(Duration.ofMillis(120)))
        .feed(20, LOUD, 0.05f).feed(5, LOUD, 0.95f).feed(30, LOUD, 0.05f);
    assertEquals(1, lowered.all(SegmentEvent.SpeechStarted.class).size(), "with min-speech 120ms");
    assertEquals(1, lowered.all(SegmentEvent.SpeechEnded.class).size());
  }

  @Test
  void quietSpeechIsGatedByMinEnergy() {
    short[] quiet = frame(150); // about -47 dBFS
    Run gated = new Run(DEFAULTS).feed(20, quiet, 0.05f).feed(40, quiet, 0.95f);
    assertTrue(gated.events.isEmpty(), "below min-energy-dbfs -45: " + gated.events);

    Run open = new Run(DEFAULTS.withMinEnergyDbfs(-50)).feed(20, quiet, 0.05f).feed(40, quiet, 0.95f);
    assertEquals(1, open.all(SegmentEvent.SpeechStarted.class).size(), "with min-energy-dbfs -50");
  }

  @Test
  void probabilitiesBetweenTheThresholdsNeitherStartNorEndSpeech() {
    Run waiting = new Run(DEFAULTS).feed(60, LOUD, 0.45f);
    assertTrue(waiting.events.isEmpty(), "0.45 is below the start threshold");

    Run speaking = new Run(DEFAULTS).feed(10, LOUD, 0.9f).feed(60, LOUD, 0.4f);
    assertEquals(1, speaking.all(SegmentEvent.SpeechStarted.class).size());
    assertTrue(speaking.all(SegmentEvent.SpeechEnded.class).isEmpty(), "0.4 is above the end threshold");
    assertTrue(speaking.segmenter.inSpeech());

    // a start in progress survives a dip between the thresholds (it does not count towards min-speech)
    Run dip = new Run(DEFAULTS).feed(4, LOUD, 0.9f).feed(3, LOUD, 0.4f).feed(4, LOUD, 0.9f);
    assertEquals(1, dip.all(SegmentEvent.SpeechStarted.class).size());
    assertEquals(0, dip.all(SegmentEvent.SpeechStarted.class).get(0).atMillis());
    assertEquals(10, dip.frameOf(SegmentEvent.SpeechStarted.class), "the 8th speech frame, after the dip");
  }

  @Test
  void longSpeechIsCutAtMaxUtteranceAndResumes() {
    VoiceAudioSettings.Segmenter settings =
        new VoiceAudioSettings.Segmenter(
            0.5, 0.35, Duration.ofMillis(250), -45, Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(1));
    Run run = new Run(settings).feed(80, LOUD, 0.9f);
    List<SegmentEvent.SpeechEnded> ends = run.all(SegmentEvent.SpeechEnded.class);
    assertTrue(ends.size() >= 2, "cut twice in 2.5 s: " + ends);
    assertTrue(Math.abs(ends.get(0).speechMillis() - 1000) <= FRAME_MS, "first cut after 1 s: " + ends.get(0));
    assertEquals(ends.size(), run.all(SegmentEvent.SpeechStarted.class).size() - (run.segmenter.inSpeech() ? 1 : 0));
  }

  @Test
  void theEndOfTheAudioEndsSpeech() {
    Run run = new Run(DEFAULTS).feed(20, LOUD, 0.9f).feed(3, LOUD, 0.1f);
    List<SegmentEvent> last = run.segmenter.finish();
    assertEquals(1, last.size());
    SegmentEvent.SpeechEnded ended = assertInstanceOf(SegmentEvent.SpeechEnded.class, last.get(0));
    assertEquals(20 * FRAME_MS, ended.atMillis(), "at the start of the trailing silence");
    assertFalse(run.segmenter.inSpeech());
    assertTrue(run.segmenter.finish().isEmpty(), "ends once");
  }
}
