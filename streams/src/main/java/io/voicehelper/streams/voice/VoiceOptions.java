package io.voicehelper.streams.voice;

/**
 * How the assistant speaks in a call, as the caller's {@code start} message asked.
 *
 * @param language BCP 47 tag, such as {@code en-US} or {@code zh-CN}
 * @param voice an engine's voice name, or {@code null} for the engine's default for the language
 * @param style a speaking style or emotion ({@code cheerful}, {@code empathetic}, ...), or {@code null} for neutral;
 *     engines without styles ignore it
 * @param rate speaking rate relative to normal, 0.5 to 2.0
 * @param pitch pitch relative to normal, 0.5 to 2.0
 */
public record VoiceOptions(String language, String voice, String style, double rate, double pitch) {

  public static final double MIN_RATE = 0.5;
  public static final double MAX_RATE = 2.0;

  public VoiceOptions {
    if (language == null || language.isBlank()) throw new IllegalArgumentException("language is required");
    if (!(rate >= MIN_RATE && rate <= MAX_RATE)) throw new IllegalArgumentException("rate must be 0.5 to 2.0");
    if (!(pitch >= MIN_RATE && pitch <= MAX_RATE)) throw new IllegalArgumentException("pitch must be 0.5 to 2.0");
  }

  public static VoiceOptions of(String language) {
    return new VoiceOptions(language, null, null, 1.0, 1.0);
  }

  /** The primary language subtag, lower case: {@code en} for {@code en-US}. */
  public String primaryLanguage() {
    int dash = language.indexOf('-');
    return (dash < 0 ? language : language.substring(0, dash)).toLowerCase(java.util.Locale.ROOT);
  }
}
