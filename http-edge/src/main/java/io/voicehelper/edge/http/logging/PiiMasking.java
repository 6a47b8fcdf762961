package io.voicehelper.edge.http.logging;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks personal data in text bound for logs: e-mail addresses, phone numbers and identity-card numbers. Masking keeps
 * enough to correlate (first character and domain of an e-mail, last four digits of a number) and no more.
 */
public final class PiiMasking {

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
    String masked = EMAIL.matcher(text).replaceAll("$1***@$2");
    masked = replaceDigits(ID_NUMBER.matcher(masked));
    return replaceDigits(PHONE.matcher(masked));
  }

  private static String replaceDigits(Matcher matcher) {
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String number = matcher.group(1);
      long digits = number.chars().filter(Character::isDigit).count();
      String replacement = digits < 7 ? number : maskKeepingLastFour(number);
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
