package io.voicehelper.streams.voice.audio;

import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.VoiceActivityDetector;
import io.voicehelper.streams.voice.audio.internal.Samples;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Turns per-frame speech probabilities into utterances, with hysteresis: speech starts once {@code min-speech} of
 * frames at or above the start threshold and at or above {@code min-energy-dbfs} have been heard (frames between
 * the two thresholds hold a start in progress without counting towards it); it ends after {@code min-silence} of
 * frames below the end threshold, or at {@code max-utterance}. Shorter or quieter sounds (a cough, "mhm") never
 * start speech. Not thread-safe: one per call.
 */
public final class SpeechSegmenter {

  /** Longest a start in progress may be held by frames between the thresholds, in multiples of min-speech. */
  private static final int MAX_PENDING_FACTOR = 4;

  private final VoiceAudioSettings.Segmenter settings;
  private final int frameSamples;
  private final int minSpeechFrames;
  private final int minSilenceFrames;
  private final int preRollFrames;
  private final int maxPendingFrames;
  private final long maxUtteranceSamples;

  private final ArrayDeque<short[]> preRoll = new ArrayDeque<>();
  private final List<short[]> pending = new ArrayList<>();
  private long samplesSeen;
  private boolean inSpeech;
  private long pendingStart;
  private int pendingSpeechFrames;
  private long speechStart;
  private long silenceStart = -1;
  private int silenceFrames;

  /** A segmenter of frames of {@code frameSamples} samples (the detector's frame size). */
  public SpeechSegmenter(VoiceAudioSettings.Segmenter settings, int frameSamples) {
    this.settings = settings;
    this.frameSamples = frameSamples;
    double frameMillis = frameSamples * 1000.0 / Pcm.SAMPLE_RATE;
    this.minSpeechFrames = Math.max(1, (int) Math.ceil(settings.minSpeech().toMillis() / frameMillis));
    this.minSilenceFrames = Math.max(1, (int) Math.ceil(settings.minSilence().toMillis() / frameMillis));
    this.preRollFrames = (int) Math.ceil(settings.preRoll().toMillis() / frameMillis);
    this.maxPendingFrames = minSpeechFrames * MAX_PENDING_FACTOR;
    this.maxUtteranceSamples = settings.maxUtterance().toMillis() * Pcm.SAMPLE_RATE / 1000;
  }

  /** Whether an utterance is in progress (between its start and end events). */
  public boolean inSpeech() {
    return inSpeech;
  }

  /** The events that {@code frame}, scored {@code probability} by the detector, causes (often none). */
  public List<SegmentEvent> accept(short[] frame, float probability) {
    if (frame.length != frameSamples) {
      throw new IllegalArgumentException("frames must have " + frameSamples + " samples, not " + frame.length);
    }
    long frameStart = samplesSeen;
    samplesSeen += frame.length;
    return inSpeech ? inSpeech(frame, probability, frameStart) : waiting(frame, probability, frameStart);
  }

  /** The events that the end of the audio causes: the end of an utterance in progress. */
  public List<SegmentEvent> finish() {
    if (!inSpeech) return List.of();
    return List.of(end(silenceStart >= 0 ? silenceStart : samplesSeen));
  }

  private List<SegmentEvent> waiting(short[] frame, float probability, long frameStart) {
    boolean speech = probability >= settings.startThreshold() && Pcm.rmsDbfs(frame) >= settings.minEnergyDbfs();
    if (pending.isEmpty()) {
      if (!speech) {
        remember(frame);
        return List.of();
      }
      pendingStart = frameStart;
    } else if (!speech && (probability < settings.endThreshold() || pending.size() >= maxPendingFrames)) {
      pending.forEach(this::remember);
      pending.clear();
      pendingSpeechFrames = 0;
      remember(frame);
      return List.of();
    }
    pending.add(frame);
    if (speech) pendingSpeechFrames++;
    if (pendingSpeechFrames < minSpeechFrames) return List.of();
    List<short[]> onset = new ArrayList<>(preRoll);
    onset.addAll(pending);
    preRoll.clear();
    pending.clear();
    pendingSpeechFrames = 0;
    inSpeech = true;
    speechStart = pendingStart;
    silenceStart = -1;
    silenceFrames = 0;
    ByteString onsetAudio = Pcm.bytes(Samples.concat(onset.toArray(short[][]::new)));
    return List.of(new SegmentEvent.SpeechStarted(millis(speechStart)), new SegmentEvent.Audio(onsetAudio));
  }

  private List<SegmentEvent> inSpeech(short[] frame, float probability, long frameStart) {
    List<SegmentEvent> events = new ArrayList<>(2);
    events.add(new SegmentEvent.Audio(Pcm.bytes(frame)));
    if (probability < settings.endThreshold()) {
      if (silenceFrames++ == 0) silenceStart = frameStart;
    } else {
      silenceFrames = 0;
      silenceStart = -1;
    }
    if (silenceFrames >= minSilenceFrames) {
      events.add(end(silenceStart));
    } else if (samplesSeen - speechStart >= maxUtteranceSamples) {
      events.add(end(samplesSeen));
    }
    return events;
  }

  private SegmentEvent end(long atSample) {
    inSpeech = false;
    silenceStart = -1;
    silenceFrames = 0;
    return new SegmentEvent.SpeechEnded(millis(atSample), millis(atSample) - millis(speechStart));
  }

  private void remember(short[] frame) {
    if (preRollFrames == 0) return;
    if (preRoll.size() == preRollFrames) preRoll.removeFirst();
    preRoll.addLast(frame);
  }

  private static long millis(long samples) {
    return samples * 1000 / Pcm.SAMPLE_RATE;
  }


  /**
   * Segment events from a call's audio (chunks of any size): a detector from {@code newDetector} per
   * materialization scores each frame, this segmenter decides. Detection runs on the
   * {@code voicehelper.voice.audio.vad.dispatcher} behind an asynchronous boundary holding {@code stageBuffer}
   * chunks. When the audio ends, an utterance in progress ends with it.
   */
  public static Flow<ByteString, SegmentEvent, NotUsed> flow(
      Supplier<VoiceActivityDetector> newDetector, VoiceAudioSettings.Segmenter settings, int stageBuffer) {
    return Flow.<ByteString>create()
        .statefulMap(
            () -> new Detection(newDetector.get(), settings),
            (detection, chunk) -> Pair.create(detection, detection.accept(chunk)),
            detection -> Optional.of(detection.finish()))
        .async(VoiceAudioSettings.VAD_DISPATCHER, stageBuffer)
        .mapConcat(events -> events);
  }

  /** One materialization's detector, reframer and segmenter. */
  private static final class Detection {
    private final VoiceActivityDetector detector;
    private final Reframer reframer;
    private final SpeechSegmenter segmenter;

    Detection(VoiceActivityDetector detector, VoiceAudioSettings.Segmenter settings) {
      this.detector = detector;
      this.reframer = new Reframer(detector.frameSamples());
      this.segmenter = new SpeechSegmenter(settings, detector.frameSamples());
    }

    List<SegmentEvent> accept(ByteString chunk) {
      List<SegmentEvent> events = new ArrayList<>();
      for (short[] frame : reframer.push(chunk)) {
        events.addAll(segmenter.accept(frame, detector.speechProbability(frame)));
      }
      return events;
    }

    List<SegmentEvent> finish() {
      detector.close();
      return segmenter.finish();
    }
  }
}
