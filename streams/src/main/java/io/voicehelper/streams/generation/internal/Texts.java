package io.voicehelper.streams.generation.internal;

import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.TokenEstimator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.ThrottleMode;
import org.apache.pekko.stream.javadsl.Source;

/** Text helpers of the no-model adapters: CJK detection, streaming tokens, quotes and first sentences. */
public final class Texts {

  private Texts() {}

  /** Whether the code point is Chinese, Japanese or Korean script, CJK punctuation or a full-width form. */
  public static boolean isCjk(int codePoint) {
    return TokenEstimator.isCjk(codePoint);
  }

  /** Whether the text has any Han character (then it is answered in Chinese). */
  public static boolean hasHan(String text) {
    return text.codePoints().anyMatch(cp -> Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN);
  }

  /**
   * Splits text into streaming tokens: each CJK character alone, other text by words with their trailing
   * whitespace. The tokens concatenate back to the text exactly.
   */
  public static List<String> tokens(String text) {
    List<String> tokens = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean inSpace = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      boolean space = Character.isWhitespace(cp);
      if (isCjk(cp)) {
        if (current.length() > 0) tokens.add(current.toString());
        current.setLength(0);
        current.appendCodePoint(cp);
        inSpace = false;
        continue;
      }
      if (!space && (inSpace || endsWithCjk(current))) {
        tokens.add(current.toString());
        current.setLength(0);
      }
      current.appendCodePoint(cp);
      inSpace = space;
    }
    if (current.length() > 0) tokens.add(current.toString());
    return tokens;
  }

  /**
   * The text as streamed {@link ReplyGenerator.Token}s (see {@link #tokens}), {@code tokensPerSecond} of them a
   * second, or as fast as they are taken when 0.
   */
  public static Source<ReplyGenerator.Output, NotUsed> streamed(String text, int tokensPerSecond) {
    Source<ReplyGenerator.Output, NotUsed> outputs = Source.from(tokens(text)).map(ReplyGenerator.Token::new);
    // Unpaced when 0: a throttle waits on the scheduler's 10 ms tick even at high rates.
    if (tokensPerSecond > 0) {
      outputs = outputs.throttle(tokensPerSecond, Duration.ofSeconds(1), 1, ThrottleMode.shaping());
    }
    return outputs;
  }

  /** The tokens the heuristic estimator counts in the turns, with each message's overhead. */
  public static int contextTokens(List<io.voicehelper.entities.conversation.ChatTurn> turns) {
    return turns.stream()
        .mapToInt(t -> TokenEstimator.HEURISTIC.estimate(t.content()) + TokenEstimator.PER_MESSAGE_OVERHEAD)
        .sum();
  }

  private static boolean endsWithCjk(StringBuilder s) {
    return s.length() > 0 && isCjk(s.codePointBefore(s.length()));
  }

  /** The text on one line, cut to {@code maxCodePoints} with an ellipsis. */
  public static String quote(String text, int maxCodePoints) {
    String oneLine = text == null ? "" : text.replaceAll("\\s+", " ").strip();
    if (oneLine.codePointCount(0, oneLine.length()) <= maxCodePoints) return oneLine;
    return oneLine.substring(0, oneLine.offsetByCodePoints(0, maxCodePoints)).stripTrailing() + "…";
  }

  /**
   * The first sentence of the text: up to and including the first 。！？, the first . ! ? that is
   * followed by whitespace or the end, or the first line break, whichever comes first.
   */
  public static String firstSentence(String text) {
    String t = text == null ? "" : text.strip();
    for (int i = 0; i < t.length(); ) {
      int cp = t.codePointAt(i);
      int next = i + Character.charCount(cp);
      if (cp == '\n' || cp == '\r') return t.substring(0, i).strip();
      if (cp == '。' || cp == '！' || cp == '？') return t.substring(0, next);
      if ((cp == '.' || cp == '!' || cp == '?') && (next >= t.length() || Character.isWhitespace(t.charAt(next)))) {
        return t.substring(0, next);
      }
      i = next;
    }
    return t;
  }
}
