package io.voicehelper.edge.http.logging;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * Masks personal data in text bound for logs: e-mail addresses, phone numbers and identity-card numbers. Masking keeps
 * enough to correlate (first character and domain of an e-mail, last four digits of a number) and no more.
 */
public final class PiiMasking {

  /**
   * Marks a log event whose writer masked the parts that can carry personal data itself (a structured line such as
   * the access log's), so that the log layout does not scan the whole line again.
   */
  public static final Marker MASKED = MarkerFactory.getMarker("PII_MASKED");

  // The fewest digits a number must have to be masked: shorter ones are counts, ports and times.
  private static final int MIN_MASKED_DIGITS = 7;

  private static final Pattern EMAIL =
      Pattern.compile("([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\\.[A-Za-z]{2,})");
  // Chinese resident identity numbers: 17 digits and a check digit (or X), or the old 15-digit form.
  private static final Pattern ID_NUMBER = Pattern.compile("(?<![\\w-])(\\d{17}[0-9Xx]|\\d{15})(?![\\w-])");
  // Phone numbers: Chinese mobiles (1[3-9] and 9 digits), international numbers written with a leading +, and
  // grouped national numbers (555-123-4567). Dates, durations and ids do not have these shapes.
  private static final Pattern PHONE = Pattern.compile(
      "(?<![\\w-])(1[3-9]\\d{9}|\\+\\d{1,3}[ -]?\\d[\\d -]{5,14}\\d|\\d{3}[-. ]\\d{3,4}[-. ]\\d{4})(?![\\w-])");

  private PiiMasking() {}

  /** The text with every e-mail address, phone number and identity number masked. */
  public static String mask(String text) {
    if (text == null || text.isEmpty()) return text;
    // The patterns cost a scan per character, and every log line passes here: run them only where they can match.
    String masked = text.indexOf('@') < 0 ? text : EMAIL.matcher(text).replaceAll("$1***@$2");
    if (!mayHoldNumber(masked)) return masked;
    masked = replaceDigits(ID_NUMBER.matcher(masked));
    return replaceDigits(PHONE.matcher(masked));
  }

  /**
   * Whether some run of digits and the separators a number may be written with holds enough digits to be masked: a
   * necessary condition for {@link #ID_NUMBER} or {@link #PHONE} to mask anything.
   */
  static boolean mayHoldNumber(String text) {
    int digits = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        if (++digits >= MIN_MASKED_DIGITS) return true;
      } else if (c != ' ' && c != '-' && c != '.' && c != '+') {
        digits = 0;
      }
    }
    return false;
  }

  private static String replaceDigits(Matcher matcher) {
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String number = matcher.group(1);
      long digits = number.chars().filter(Character::isDigit).count();
      String replacement = digits < MIN_MASKED_DIGITS ? number : maskKeepingLastFour(number);
      matcher.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    matcher.appendTail(out);
    return out.toString();
  }

  private static String maskKeepingLastFour(String number) {
    StringBuilder out = new StringBuilder(number.length());
    int digitsSeen = 0;
    long total = number.chars().filter(c -> Character.isDigit(c) || c == 'X' || c == 'x').count();
    for (char c : number.toCharArray()) {
      boolean digit = Character.isDigit(c) || c == 'X' || c == 'x';
      if (digit) {
        digitsSeen++;
        out.append(digitsSeen > total - 4 ? c : '*');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
