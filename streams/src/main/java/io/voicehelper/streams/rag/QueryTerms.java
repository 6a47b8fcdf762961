package io.voicehelper.streams.rag;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The key terms of a text, for matching questions to passages and sentences without a model: English words without
 * stop words, lightly stemmed ("refunds", "refunded" → "refund"), and Chinese character bigrams of the text's Han
 * runs, split at function characters (是, 的, 吗, 多, 么 …) so that "退货期限是多久" gives 退货, 货期, 期限.
 */
public final class QueryTerms {

  private static final Set<String> STOP_WORDS = Set.of(
      "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into",
      "about", "as", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "done", "have", "has", "had",
      "i", "me", "my", "we", "our", "you", "your", "he", "she", "it", "its", "they", "them", "their", "this", "that",
      "these", "those", "there", "here", "what", "which", "who", "whom", "whose", "when", "where", "why", "how",
      "can", "could", "would", "should", "will", "shall", "may", "might", "must", "long", "much", "many", "any",
      "some", "please", "tell", "know", "not", "no", "yes", "so", "than", "then", "also", "just", "get", "got");

  /** Han characters that carry grammar rather than topic; a bigram containing one is no key term. */
  private static final String STOP_CHARS = "的了吗呢吧啊呀么是在有和与或及我你您他她它们这那哪什怎如何多少久几可以能要请问吗就都也还很会把被让给对从到为";

  /** Words that point back to an earlier turn. */
  private static final Set<String> REFERENCES = Set.of("it", "its", "this", "that", "they", "them", "those",
      "these", "one", "ones");
  private static final List<String> HAN_REFERENCES = List.of("它", "这个", "那个", "这种", "那种", "其", "上述", "该");
  // "那摄像头呢？", "门铃呢", "what about the doorbell?", "and for cameras?": a question carried over from the last one.
  private static final java.util.regex.Pattern FOLLOW_UP = java.util.regex.Pattern.compile(
      "^那(么)?\\S|^\\S{1,12}呢\\s*[？?]?$|^(?i:what about|how about|and)\\b");

  private QueryTerms() {}

  /**
   * The key phrases of a text in order, without repeats: English words (as written, lower-cased) that are no stop
   * words, and the Han runs between function characters that are two or more characters long.
   */
  public static List<String> phrases(String text) {
    Set<String> phrases = new LinkedHashSet<>();
    StringBuilder word = new StringBuilder();
    StringBuilder han = new StringBuilder();
    for (int i = 0; i <= text.length(); ) {
      int cp = i < text.length() ? text.codePointAt(i) : ' ';
      i += i < text.length() ? Character.charCount(cp) : 1;
      if (isHan(cp) && STOP_CHARS.indexOf(cp) < 0) {
        flushWord(word, phrases);
        han.appendCodePoint(cp);
      } else if (Character.isLetterOrDigit(cp) && !isHan(cp)) {
        flushHan(han, phrases);
        word.appendCodePoint(Character.toLowerCase(cp));
      } else {
        flushWord(word, phrases);
        flushHan(han, phrases);
      }
    }
    return List.copyOf(phrases);
  }

  /** The matching terms of a text: stemmed English words and Han bigrams of its {@link #phrases}. */
  public static Set<String> terms(String text) {
    Set<String> terms = new LinkedHashSet<>();
    for (String phrase : phrases(text)) {
      if (isHan(phrase.codePointAt(0))) {
        int[] cps = phrase.codePoints().toArray();
        for (int i = 0; i + 1 < cps.length; i++) terms.add(new String(cps, i, 2));
      } else {
        terms.add(stem(phrase));
      }
    }
    return terms;
  }

  /** How many of {@code terms} the text contains (as terms of its own). */
  public static int overlap(Set<String> terms, String text) {
    if (terms.isEmpty()) return 0;
    Set<String> own = terms(text);
    int shared = 0;
    for (String term : terms) if (own.contains(term)) shared++;
    return shared;
  }

  /** The share of {@code terms} the text contains, 0 when there are none. */
  public static double coverage(Set<String> terms, String text) {
    return terms.isEmpty() ? 0 : (double) overlap(terms, text) / terms.size();
  }

  /** Whether the text refers back to something said before ("it", "this one", 它, 这个 …). */
  public static boolean refersBack(String text) {
    for (String reference : HAN_REFERENCES) if (text.contains(reference)) return true;
    if (FOLLOW_UP.matcher(text.strip()).find()) return true;
    for (String word : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{Nd}]+")) {
      if (REFERENCES.contains(word)) return true;
    }
    return false;
  }

  /** A light English stemmer: plural and past endings only, enough to match "refunds" with "refunded". */
  static String stem(String word) {
    if (word.length() > 4 && word.endsWith("ies")) return word.substring(0, word.length() - 3) + "y";
    if (word.length() > 5 && word.endsWith("ing")) return word.substring(0, word.length() - 3);
    if (word.length() > 4 && word.endsWith("ed")) return word.substring(0, word.length() - 2);
    if (word.length() > 4 && (word.endsWith("ses") || word.endsWith("xes") || word.endsWith("ches")
        || word.endsWith("shes"))) {
      return word.substring(0, word.length() - 2);
    }
    if (word.length() > 3 && word.endsWith("s") && !word.endsWith("ss")) return word.substring(0, word.length() - 1);
    return word;
  }

  private static void flushWord(StringBuilder word, Set<String> phrases) {
    if (word.length() > 0 && !STOP_WORDS.contains(word.toString())) phrases.add(word.toString());
    word.setLength(0);
  }

  private static void flushHan(StringBuilder han, Set<String> phrases) {
    if (han.codePointCount(0, han.length()) >= 2) phrases.add(han.toString());
    han.setLength(0);
  }

  static boolean isHan(int cp) {
    return Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN;
  }
}
