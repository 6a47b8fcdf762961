package io.voicehelper.streams.voice.audio;

/** What the {@link TurnDetector#flow turn detector flow} hears: the segmenter's speech events and ASR finals. */
public sealed interface TurnSignal {

  /** Tells {@code detector} this signal, heard at {@code nowMillis}. */
  void applyTo(TurnDetector detector, long nowMillis);

  /** The caller started speaking (the segmenter's {@link SegmentEvent.SpeechStarted}). */
  record SpeechStarted() implements TurnSignal {
    @Override
    public void applyTo(TurnDetector detector, long nowMillis) {
      detector.speechStarted(nowMillis);
    }
  }

  /**
   * The caller stopped speaking {@code silentForMillis} ago (the segmenter's {@link SegmentEvent.SpeechEnded},
   * emitted after {@code min-silence}: pass that).
   */
  record SpeechEnded(long silentForMillis) implements TurnSignal {
    @Override
    public void applyTo(TurnDetector detector, long nowMillis) {
      detector.speechEnded(nowMillis, silentForMillis);
    }
  }

  /** The final transcript of the last utterance. */
  record FinalTranscript(String text) implements TurnSignal {
    @Override
    public void applyTo(TurnDetector detector, long nowMillis) {
      detector.finalTranscript(text, nowMillis);
    }
  }
}
