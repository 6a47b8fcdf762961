package io.voicehelper.streams.voice.audio;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * Cuts a reply streamed as text deltas into speakable chunks as soon as each sentence ends, so TTS can start while
 * the model is still writing. A sentence ends at {@code . ! ? ;} followed by white space (not in {@code e.g.},
 * {@code 3.5}, {@code Mr.}, URLs, or a list's {@code 1.}), at CJK {@code 。！？；} and at a line break. The first chunk
 * is cut early at a comma once it is {@code first-chunk-min-chars} long; no chunk is longer than {@code max-chars}
 * (cut at a space). Markdown and citation markers such as {@code [1]} are removed from what is spoken. Unlike the
 * knowledge base's {@code SentenceSplitter}, which splits whole texts, it decides on a prefix of the text. Not
 * thread-safe: one per reply.
 */
public final class SentenceChunker {

  private static final String TERMINATORS = ".!?;";
  private static final String CJK_TERMINATORS = "。！？；…";
  private static final String CLOSERS = "\"')]}”’」』）】";
  private static final String CJK_COMMAS = "，、：";

  private static final Pattern CITATION = Pattern.compile("\\[\\^?\\d+(?:\\s*[,，–-]\\s*\\d+)*]|【\\d+(?:[,，]\\d+)*】");
  private static final Pattern CITATION_START = Pattern.compile("\\[\\^?[\\d,，\\s–-]*|【[\\d,，]*");
  private static final Pattern IMAGE_OR_LINK = Pattern.compile("!?\\[([^\\]]*)]\\([^)]*\\)");
  private static final Pattern LINE_MARKER = Pattern.compile("(?m)^[ \\t]*(?:#{1,6}[ \\t]+|>[ \\t]?|[-*+][ \\t]+)");
  private static final Pattern RULE = Pattern.compile("(?m)^[ \\t]*(?:-{3,}|\\*{3,}|_{3,})[ \\t]*$");
  private static final Pattern EMPHASIS = Pattern.compile("\\*{1,3}|_{2,3}|~~|`+");
  private static final Pattern SPEAKABLE = Pattern.compile("[\\p{L}\\p{N}]");

  private final VoiceAudioSettings.Chunker settings;
  private final StringBuilder buffer = new StringBuilder();
  private boolean emitted;

  public SentenceChunker(VoiceAudioSettings.Chunker settings) {
    this.settings = settings;
  }

  /** The chunks that are complete once {@code delta} is added (often none). */
  public List<String> accept(String delta) {
    buffer.append(delta);
    return cut(false);
  }

  /** The chunks left when the reply is complete. */
  public List<String> finish() {
    return cut(true);
  }

  private List<String> cut(boolean complete) {
    List<String> chunks = new ArrayList<>();
    while (buffer.length() > 0) {
      int end = boundary(complete);
      if (end < 0 && buffer.length() >= settings.maxChars()) end = forcedCut();
      if (end < 0 && complete) end = buffer.length();
      if (end < 0) break;
      String spoken = speakable(buffer.substring(0, end));
      buffer.delete(0, end);
      if (!spoken.isEmpty()) {
        chunks.add(spoken);
        emitted = true;
      }
    }
    return chunks;
  }

  /** Where the first complete chunk in the buffer ends, or -1 when none is complete yet. */
  private int boundary(boolean complete) {
    int length = buffer.length();
    for (int i = 0; i < length; i++) {
      char c = buffer.charAt(i);
      if (c == '\n') return i + 1;
      if (CJK_TERMINATORS.indexOf(c) >= 0) return skipClosers(i + 1);
      if (!emitted && i + 1 >= settings.firstChunkMinChars()) {
        if (CJK_COMMAS.indexOf(c) >= 0) return i + 1;
        if (c == ',' || c == ':') {
          if (i + 1 == length) return complete ? length : -1;
          if (Character.isWhitespace(buffer.charAt(i + 1))) return i + 1;
        }
      }
      if (TERMINATORS.indexOf(c) < 0) continue;
      int end = i + 1;
      while (end < length) {
        char next = buffer.charAt(end);
        if (TERMINATORS.indexOf(next) >= 0 || CLOSERS.indexOf(next) >= 0) {
          end++;
          continue;
        }
        Matcher citation = CITATION.matcher(buffer).region(end, length);
        if (!citation.lookingAt()) {
          if (!complete && CITATION_START.matcher(buffer).region(end, length).matches()) return -1;
          break;
        }
        end = citation.end();
      }
      if (end == length) return complete ? length : -1; // what follows decides ("3." + "5", "e." + "g.", "[1]")
      if (!Character.isWhitespace(buffer.charAt(end))) {
        i = end - 1;
        continue;
      }
      if (c == '.' && end == i + 1 && notASentenceEnd(i)) continue;
      return end;
    }
    return -1;
  }

  private int skipClosers(int from) {
    int end = from;
    while (end < buffer.length() && CLOSERS.indexOf(buffer.charAt(end)) >= 0) end++;
    return end;
  }

  /** Whether the dot at {@code dot} ends an abbreviation, an initial or a list number rather than a sentence. */
  private boolean notASentenceEnd(int dot) {
    int start = dot;
    while (start > 0 && !Character.isWhitespace(buffer.charAt(start - 1))) start--;
    String word = buffer.substring(start, dot).replaceAll("^[\\p{Punct}“‘（(]+", "");
    if (word.isEmpty()) return false;
    if (settings.abbreviations().contains(word.toLowerCase(Locale.ROOT))) return true;
    if (word.length() == 1 && Character.isUpperCase(word.charAt(0))) return true;
    if (word.chars().allMatch(Character::isDigit)) {
      int before = start;
      while (before > 0 && (buffer.charAt(before - 1) == ' ' || buffer.charAt(before - 1) == '\t')) before--;
      return before == 0 || buffer.charAt(before - 1) == '\n';
    }
    return false;
  }

  /** Where an over-long buffer is cut: after the last space or CJK comma within max-chars, else at max-chars. */
  private int forcedCut() {
    int max = settings.maxChars();
    for (int i = max - 1; i >= max / 2; i--) {
      char c = buffer.charAt(i);
      if (Character.isWhitespace(c)) return i + 1;
      if (CJK_COMMAS.indexOf(c) >= 0 || c == ',') return i + 1;
    }
    return max;
  }

  /**
   * {@code text} as it should be spoken: markdown (headings, bullets, emphasis, code ticks, links reduced to their
   * text, rules) and citation markers ({@code [1]}, {@code [^2]}, {@code [1, 3]}, {@code 【1】}) removed, white
   * space collapsed; empty when nothing speakable is left.
   */
  public static String speakable(String text) {
    String out = CITATION.matcher(text).replaceAll("");
    out = IMAGE_OR_LINK.matcher(out).replaceAll("$1");
    out = RULE.matcher(out).replaceAll("");
    out = LINE_MARKER.matcher(out).replaceAll("");
    out = EMPHASIS.matcher(out).replaceAll("");
    out = out.replace('|', ' ').replaceAll("\\s+", " ").strip();
    out = out.replaceAll(" ([.,!?;:])", "$1");
    return SPEAKABLE.matcher(out).find() ? out : "";
  }

  /** Text deltas in, speakable chunks out as each completes; what is left is flushed when the deltas complete. */
  public static Flow<String, String, NotUsed> flow(VoiceAudioSettings.Chunker settings) {
    return Flow.<String>create()
        .statefulMap(
            () -> new SentenceChunker(settings),
            (chunker, delta) -> Pair.create(chunker, chunker.accept(delta)),
            chunker -> Optional.of(chunker.finish()))
        .mapConcat(chunks -> chunks);
  }
}
