package io.voicehelper.streams.voice;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Streaming speech recognition (the ASR port). One {@link #recognize} flow hears one utterance: {@link Pcm} audio
 * in, as it arrives; partial transcripts out while it is heard, then exactly one final transcript after the audio
 * ends (upstream completes), then completion. An engine that cannot recognize fails the flow; no audio means a final
 * transcript with empty text.
 *
 * <p>Adapters: Azure Speech (cloud), pocketsphinx (a Debian process, English), Vosk (in-process, any language a
 * model directory is configured for). Which one serves a language is configuration ({@code voicehelper.voice.asr}).
 */
public interface SpeechRecognizer {

  /** A short name for logs, metrics and the {@code start} answer ({@code azure}, {@code pocketsphinx}, ...). */
  String name();

  /** Whether this engine can recognize {@code language} (a BCP 47 tag such as {@code en-US} or {@code zh-CN}). */
  boolean supports(String language);

  /** A new recognition of one utterance in {@code language}. Each materialization is independent. */
  Flow<ByteString, Transcript, NotUsed> recognize(String language);

  /** What was heard: {@code text} so far ({@code isFinal} false), or of the whole utterance ({@code isFinal} true). */
  record Transcript(String text, boolean isFinal) {
    public Transcript {
      if (text == null) throw new IllegalArgumentException("text is required");
    }
  }
}
