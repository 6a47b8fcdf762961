package io.voicehelper.streams.knowledge.chunking;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Splits text into sentences, Chinese and English alike. The pieces keep the whitespace after them, so joining them
 * gives the text back exactly.
 *
 * <p>A Chinese sentence ends after 。！？；… (and the half-width ｡), any further such marks, and closing quotes or
 * brackets. An English sentence ends after . ! or ? (with closing quotes or brackets) followed by whitespace and a
 * word that does not start in lower case, unless the word before the period is a known abbreviation ("e.g.", "Mr.",
 * "No.") or a single capital (an initial). A number such as 3.14 is never split, as no space follows its point.
 */
public final class SentenceSplitter {

  private static final String CJK_TERMINATORS = "。｡！？；…";
  private static final String LATIN_TERMINATORS = ".!?";
  private static final String CLOSERS = "”’」』）)》〉】〕\"'］]";

  private static final Set<String> ABBREVIATIONS =
      Set.of(
          "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "no", "nos", "vs", "e.g", "i.e", "cf", "ca", "al",
          "fig", "figs", "eq", "approx", "dept", "est", "inc", "ltd", "co", "corp", "vol", "pp", "tel", "ext", "ref",
          "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "a.m",
          "p.m");

  private SentenceSplitter() {}

  /** The sentences of {@code text}, each with the whitespace after it. */
  public static List<String> split(String text) {
    List<String> sentences = new ArrayList<>();
    int start = 0;
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      int end = -1;
      if (CJK_TERMINATORS.indexOf(c) >= 0) {
        end = skipWhitespace(text, skipClosers(text, skipTerminators(text, i)));
      } else if (LATIN_TERMINATORS.indexOf(c) >= 0) {
        end = latinSentenceEnd(text, i);
      }
      if (end > i) {
        sentences.add(text.substring(start, end));
        start = end;
        i = end;
      } else {
        i++;
      }
    }
    if (start < text.length()) sentences.add(text.substring(start));
    return sentences;
  }

  /** Where the sentence ending with the mark at {@code i} ends, or -1 when the mark ends no sentence. */
  private static int latinSentenceEnd(String text, int i) {
    int afterMarks = skipTerminators(text, i);
    int afterClosers = skipClosers(text, afterMarks);
    if (afterClosers >= text.length()) return -1; // the text's end ends the last sentence anyway
    int next = text.codePointAt(afterClosers);
    if (isIdeographic(next)) return afterClosers; // "OK!好的" — Chinese written without a space
    if (!Character.isWhitespace(next)) return -1; // 3.14, e.g.x, www.example.com
    int nextWord = skipWhitespace(text, afterClosers);
    if (nextWord < text.length() && Character.isLowerCase(text.codePointAt(nextWord))) return -1;
    if (text.charAt(i) == '.' && afterMarks == i + 1 && isAbbreviation(text, i)) return -1;
    return nextWord;
  }

  private static boolean isAbbreviation(String text, int period) {
    int wordStart = period;
    while (wordStart > 0 && !Character.isWhitespace(text.charAt(wordStart - 1)) && text.charAt(wordStart - 1) != '(') {
      wordStart--;
    }
    String word = text.substring(wordStart, period);
    if (word.length() == 1 && Character.isUpperCase(word.charAt(0))) return true; // an initial: "J. Smith"
    return ABBREVIATIONS.contains(word.toLowerCase(Locale.ROOT));
  }

  private static int skipTerminators(String text, int i) {
    while (i < text.length()
        && (CJK_TERMINATORS.indexOf(text.charAt(i)) >= 0 || LATIN_TERMINATORS.indexOf(text.charAt(i)) >= 0)) {
      i++;
    }
    return i;
  }

  private static int skipClosers(String text, int i) {
    while (i < text.length() && CLOSERS.indexOf(text.charAt(i)) >= 0) i++;
    return i;
  }

  private static int skipWhitespace(String text, int i) {
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) i++;
    return i;
  }

  private static boolean isIdeographic(int cp) {
    Character.UnicodeScript script = Character.UnicodeScript.of(cp);
    return script == Character.UnicodeScript.HAN
        || script == Character.UnicodeScript.HIRAGANA
        || script == Character.UnicodeScript.KATAKANA;
  }
}
