package io.voicehelper.streams.voice.engine.internal;

import io.voicehelper.streams.voice.SpeechRecognizer.Transcript;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Turns an engine's events into the port's transcripts. Engines cut an utterance into segments at pauses: each
 * finished segment and each in-progress hypothesis becomes a partial transcript of everything heard so far; the end
 * of the audio becomes the one final transcript, all segments joined. Not thread-safe: one per recognition.
 */
public final class TranscriptAssembler {

  /**
   * A flow of an engine's events to transcripts: {@code step} feeds each event to this recognition's assembler; the
   * final transcript follows only when the events complete (a failure emits no final: Pekko's statefulMap would).
   */
  public static <T> Flow<T, Transcript, NotUsed> flow(BiFunction<TranscriptAssembler, T, Optional<Transcript>> step) {
    return Flow.<T, Transcript, NotUsed>fromMaterializer((materializer, attributes) -> {
          TranscriptAssembler assembler = new TranscriptAssembler();
          return Flow.<T>create()
              .map(event -> step.apply(assembler, event))
              .filter(Optional::isPresent)
              .map(Optional::get)
              .concatLazy(Source.lazySingle(assembler::finish));
        })
        .mapMaterializedValue(started -> NotUsed.notUsed());
  }

  /** What an engine heard: an in-progress hypothesis, or a finished segment ({@code segmentDone}). */
  public record Heard(String text, boolean segmentDone) {
    public Heard {
      if (text == null) throw new IllegalArgumentException("text is required");
    }
  }

  /** A flow of an engine's hypotheses and segments to transcripts, the final one when they complete. */
  public static Flow<Heard, Transcript, NotUsed> flow() {
    return flow((assembler, heard) ->
        heard.segmentDone() ? assembler.segment(heard.text()) : assembler.hypothesis(heard.text()));
  }

  private final List<String> segments = new ArrayList<>();
  private String lastPartial = "";

  /** An in-progress hypothesis of the current segment; empty when it adds nothing new. */
  public Optional<Transcript> hypothesis(String text) {
    return text.isBlank() ? Optional.empty() : partial(join(text));
  }

  /** A finished segment; empty when it was silence. */
  public Optional<Transcript> segment(String text) {
    String clean = text.strip();
    if (clean.isEmpty()) return Optional.empty();
    segments.add(clean);
    return partial(join(""));
  }

  /** The final transcript: every segment joined by spaces ({@code ""} when nothing was heard). */
  public Transcript finish() {
    return new Transcript(String.join(" ", segments), true);
  }

  private Optional<Transcript> partial(String heard) {
    if (heard.isEmpty() || heard.equals(lastPartial)) return Optional.empty();
    lastPartial = heard;
    return Optional.of(new Transcript(heard, false));
  }

  private String join(String partial) {
    String clean = partial.strip();
    String done = String.join(" ", segments);
    if (clean.isEmpty()) return done;
    return done.isEmpty() ? clean : done + " " + clean;
  }
}
