package io.voicehelper.streams.voice.audio;

import java.util.Optional;
import org.apache.pekko.util.ByteString;

/**
 * What the {@link SpeechSegmenter} makes of a call's audio: for each utterance, {@link SpeechStarted}, its
 * {@link Audio} (pre-roll first), then {@link SpeechEnded}. Times are milliseconds of call audio since the stream
 * started, not wall-clock time.
 */
public sealed interface SegmentEvent {

  /**
   * What this event tells the {@link TurnDetector}, given the {@code segmenter} settings that produced it: starts
   * and ends (an end is reported after {@code min-silence}); nothing for audio.
   */
  Optional<TurnSignal> turnSignal(VoiceAudioSettings.Segmenter segmenter);

  /**
   * Speech began at {@code atMillis} (the first speech frame). It is emitted once {@code min-speech} of speech has
   * been heard, so about that much later.
   */
  record SpeechStarted(long atMillis) implements SegmentEvent {
    @Override
    public Optional<TurnSignal> turnSignal(VoiceAudioSettings.Segmenter segmenter) {
      return Optional.of(new TurnSignal.SpeechStarted());
    }
  }

  /** PCM16 audio of the utterance in progress; the first chunk carries the pre-roll and the onset. */
  record Audio(ByteString audio) implements SegmentEvent {
    @Override
    public Optional<TurnSignal> turnSignal(VoiceAudioSettings.Segmenter segmenter) {
      return Optional.empty();
    }
  }

  /**
   * Speech ended at {@code atMillis} (the first frame of the silence that ended it) after {@code speechMillis} of
   * speech. It is emitted once {@code min-silence} of silence has been heard (or the utterance reached
   * {@code max-utterance}, or the audio ended).
   */
  record SpeechEnded(long atMillis, long speechMillis) implements SegmentEvent {
    @Override
    public Optional<TurnSignal> turnSignal(VoiceAudioSettings.Segmenter segmenter) {
      return Optional.of(new TurnSignal.SpeechEnded(segmenter.minSilence().toMillis()));
    }
  }
}
