package io.voicehelper.streams.voice;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Speech synthesis (the TTS port): text in, {@link Pcm} audio out as a stream of chunks, so that playback can start
 * before the whole sentence is synthesized and can stop (by cancelling the source) at any chunk. The pipeline calls
 * it once per sentence.
 *
 * <p>Adapters: Azure Speech (SSML with styles, rate and pitch; cloud), espeak-ng (a Debian process; Mandarin,
 * English and many more), FreeTTS (pure Java, English, always present). Which one serves a language is configuration
 * ({@code voicehelper.voice.tts}).
 */
public interface SpeechSynthesizer {

  /** A short name for logs, metrics and the {@code start} answer. */
  String name();

  /** Whether this engine can speak {@code language} (a BCP 47 tag). */
  boolean supports(String language);

  /** {@code text} spoken as {@code voice} says; fails (the source) when the engine cannot. */
  Source<ByteString, NotUsed> synthesize(String text, VoiceOptions voice);
}
