package io.voicehelper.streams.voice.engine.internal;

import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.commons.text.StringEscapeUtils;

/**
 * The SSML document Azure speaks: the voice, an {@code mstts:express-as} style when one is asked for, and prosody
 * rate and pitch as relative percentages. The text is escaped, and characters XML does not allow are dropped, so
 * nothing a caller or a model writes can become markup.
 */
public final class AzureSsml {

  private static final Pattern STYLE = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,40}");

  private AzureSsml() {}

  /**
   * @param locale the document's {@code xml:lang} ({@code en-US})
   * @param voice the voice name ({@code en-US-JennyNeural})
   * @param style a speaking style ({@code cheerful}), or {@code null}/blank for none; other than a plain name, ignored
   * @param rate speaking rate relative to normal (1.0: unchanged)
   * @param pitch pitch relative to normal (1.0: unchanged)
   */
  public static String build(String text, String locale, String voice, String style, double rate, double pitch) {
    String body = "<prosody rate=\"" + percent(rate) + "\" pitch=\"" + percent(pitch) + "\">" + escape(text)
        + "</prosody>";
    if (style != null && STYLE.matcher(style.strip()).matches()) {
      body = "<mstts:express-as style=\"" + style.strip().toLowerCase(Locale.ROOT) + "\">" + body
          + "</mstts:express-as>";
    }
    return "<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\""
        + " xmlns:mstts=\"https://www.w3.org/2001/mstts\" xml:lang=\"" + escape(locale) + "\">"
        + "<voice name=\"" + escape(voice) + "\">" + body + "</voice></speak>";
  }

  /** A relative change as SSML wants it: {@code +20%}, {@code -50%}, {@code +0%}. */
  static String percent(double relative) {
    long change = Math.round((relative - 1.0) * 100);
    return (change < 0 ? "" : "+") + change + "%";
  }

  /** {@code text} safe inside an element or a quoted attribute (characters XML 1.0 forbids are dropped). */
  public static String escape(String text) {
    return StringEscapeUtils.escapeXml10(text);
  }
}
