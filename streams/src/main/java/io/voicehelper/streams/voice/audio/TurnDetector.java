package io.voicehelper.streams.voice.audio;

import io.voicehelper.streams.voice.audio.internal.TurnDetectorStage;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * Decides when the caller's turn is over: {@code silence} after the end of speech when the transcript looks
 * complete, {@code incomplete-silence} when it is empty or ends with a connective or filler ("and", "um", "然后",
 * "嗯", ...). Speech resuming before then continues the turn, whose transcript is the finals of all its
 * utterances. Pure logic on a clock the caller passes in (milliseconds, any origin), so that tests are exact; drive
 * it from a timer at {@link #deadline()}, or use {@link #flow}. Not thread-safe: one per call.
 */
public final class TurnDetector {

  private final VoiceAudioSettings.Turn settings;
  private final Set<String> incompleteEndings;
  private final StringBuilder transcript = new StringBuilder();
  private boolean speaking;
  private long silenceSince = -1;
  private int awaitedTranscripts;

  /** A detector for a call in {@code language} (a BCP 47 tag; its primary subtag picks the word list). */
  public TurnDetector(VoiceAudioSettings.Turn settings, String language) {
    this.settings = settings;
    String primary = language.split("[-_]", 2)[0].toLowerCase(Locale.ROOT);
    this.incompleteEndings = settings.incompleteEndings().getOrDefault(primary, Set.of());
  }

  /** The end of a turn: the caller's {@code transcript}, after {@code silenceMillis} of silence. */
  public record TurnEnded(String transcript, long silenceMillis, boolean looksComplete) {}

  /** The caller started speaking: a pending end of turn is cancelled. */
  public void speechStarted(long nowMillis) {
    speaking = true;
    silenceSince = -1;
  }

  /**
   * The caller stopped speaking, {@code silentForMillis} ago (the segmenter reports the end once it has heard
   * {@code min-silence}); the utterance's final transcript is now awaited.
   */
  public void speechEnded(long nowMillis, long silentForMillis) {
    speaking = false;
    silenceSince = nowMillis - Math.max(0, silentForMillis);
    awaitedTranscripts++;
  }

  /** The final transcript of the last utterance heard. */
  public void finalTranscript(String text, long nowMillis) {
    if (awaitedTranscripts > 0) awaitedTranscripts--;
    String stripped = text == null ? "" : text.strip();
    if (stripped.isEmpty()) return;
    if (transcript.length() > 0) transcript.append(' ');
    transcript.append(stripped);
  }

  /** When the turn ends if nothing else happens, on the caller's clock; empty while the caller speaks. */
  public OptionalLong deadline() {
    if (speaking || silenceSince < 0) return OptionalLong.empty();
    boolean waitLonger = awaitedTranscripts > 0 || looksIncomplete(transcript.toString());
    return OptionalLong.of(silenceSince + (waitLonger ? settings.incompleteSilence() : settings.silence()).toMillis());
  }

  /** The end of the turn if its deadline has come by {@code nowMillis}; the detector then starts a new turn. */
  public Optional<TurnEnded> poll(long nowMillis) {
    OptionalLong deadline = deadline();
    if (deadline.isEmpty() || nowMillis < deadline.getAsLong()) return Optional.empty();
    String text = transcript.toString();
    TurnEnded ended = new TurnEnded(text, nowMillis - silenceSince, !looksIncomplete(text));
    transcript.setLength(0);
    silenceSince = -1;
    awaitedTranscripts = 0;
    return Optional.of(ended);
  }

  /**
   * A flow of turn ends from {@code signals} (the segmenter's speech events and the ASR's finals, merged), timed by
   * the monotonic clock.
   */
  public static Flow<TurnSignal, TurnEnded, NotUsed> flow(VoiceAudioSettings.Turn settings, String language) {
    return Flow.fromGraph(
        new TurnDetectorStage(() -> new TurnDetector(settings, language), () -> System.nanoTime() / 1_000_000));
  }

  /** Whether {@code text} is empty, trails off ("...", a comma) or ends with one of the language's endings. */
  public boolean looksIncomplete(String text) {
    String trimmed = text.strip().toLowerCase(Locale.ROOT);
    if (trimmed.isEmpty() || trimmed.endsWith("...") || trimmed.endsWith("…") || trimmed.endsWith(",")
        || trimmed.endsWith("，") || trimmed.endsWith("、")) {
      return true;
    }
    trimmed = trimmed.replaceAll("[\\p{Punct}。！？；：“”‘’\\s]+$", "");
    for (String ending : incompleteEndings) {
      if (!trimmed.endsWith(ending)) continue;
      int before = trimmed.length() - ending.length() - 1;
      boolean wordEnding = Character.isLetterOrDigit(ending.charAt(0)) && ending.charAt(0) < 0x2E80;
      if (!wordEnding || before < 0 || !Character.isLetterOrDigit(trimmed.charAt(before))) return true;
    }
    return false;
  }
}
