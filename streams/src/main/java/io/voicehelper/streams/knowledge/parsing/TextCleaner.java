package io.voicehelper.streams.knowledge.parsing;

import java.util.regex.Pattern;

/** Cleans extracted text: collapses whitespace, drops control and invisible characters, rejoins hyphenated words. */
final class TextCleaner {

  /** A lower-case word broken with a hyphen at a line end, as PDF text extraction leaves it: "exam-\nple". */
  private static final Pattern LINE_BREAK_HYPHEN = Pattern.compile("(\\p{Ll})-[ \\t]*\\r?\\n[ \\t]*(\\p{Ll})");

  private TextCleaner() {}

  /**
   * Returns {@code raw} on one line: runs of whitespace become one space (none between two Chinese or Japanese
   * characters, where a line break in a PDF is not a word break), control and format characters are dropped, and
   * the ends are trimmed.
   *
   * @param dehyphenate whether to rejoin words hyphenated at a line end (PDF text)
   */
  static String clean(CharSequence raw, boolean dehyphenate) {
    String text = raw.toString();
    if (dehyphenate && text.indexOf('-') >= 0) {
      text = LINE_BREAK_HYPHEN.matcher(text).replaceAll("$1$2");
    }
    StringBuilder out = new StringBuilder(text.length());
    boolean pendingSpace = false;
    int previous = -1;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
        pendingSpace = true;
      } else if (isInvisible(cp)) {
        // dropped: it carries no text and would only confuse tokenizers and the reader
      } else {
        if (pendingSpace && previous >= 0 && !(isUnspacedScript(previous) && isUnspacedScript(cp))) {
          out.append(' ');
        }
        pendingSpace = false;
        out.appendCodePoint(cp);
        previous = cp;
      }
    }
    return out.toString();
  }

  private static boolean isInvisible(int cp) {
    int type = Character.getType(cp);
    return type == Character.CONTROL
        || type == Character.FORMAT // zero-width spaces, soft hyphens, byte-order marks, direction marks
        || type == Character.UNASSIGNED
        || type == Character.PRIVATE_USE
        || type == Character.SURROGATE
        || cp == 0xFFFD; // the replacement character of a failed decoding
  }

  /** Scripts written without spaces between words (Hangul is not one of them). */
  static boolean isUnspacedScript(int cp) {
    Character.UnicodeScript script = Character.UnicodeScript.of(cp);
    return script == Character.UnicodeScript.HAN
        || script == Character.UnicodeScript.HIRAGANA
        || script == Character.UnicodeScript.KATAKANA
        || (cp >= 0x3000 && cp <= 0x303F) // CJK punctuation
        || (cp >= 0xFF00 && cp <= 0xFFEF); // full-width forms
  }
}
