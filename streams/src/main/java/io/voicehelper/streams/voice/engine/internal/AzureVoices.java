package io.voicehelper.streams.voice.engine.internal;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Azure Speech's locales and a default neural voice for each (all of them support SSML prosody; many support
 * {@code mstts:express-as} styles, which the others ignore). A primary language maps to its most common locale.
 */
public final class AzureVoices {

  /** Locale to default voice. */
  public static final Map<String, String> VOICES = Map.ofEntries(
      Map.entry("en-US", "en-US-JennyNeural"), Map.entry("en-GB", "en-GB-SoniaNeural"),
      Map.entry("en-AU", "en-AU-NatashaNeural"), Map.entry("en-IN", "en-IN-NeerjaNeural"),
      Map.entry("zh-CN", "zh-CN-XiaoxiaoNeural"), Map.entry("zh-HK", "zh-HK-HiuMaanNeural"),
      Map.entry("zh-TW", "zh-TW-HsiaoChenNeural"), Map.entry("ja-JP", "ja-JP-NanamiNeural"),
      Map.entry("ko-KR", "ko-KR-SunHiNeural"), Map.entry("de-DE", "de-DE-KatjaNeural"),
      Map.entry("fr-FR", "fr-FR-DeniseNeural"), Map.entry("fr-CA", "fr-CA-SylvieNeural"),
      Map.entry("es-ES", "es-ES-ElviraNeural"), Map.entry("es-MX", "es-MX-DaliaNeural"),
      Map.entry("it-IT", "it-IT-ElsaNeural"), Map.entry("pt-BR", "pt-BR-FranciscaNeural"),
      Map.entry("pt-PT", "pt-PT-RaquelNeural"), Map.entry("ru-RU", "ru-RU-SvetlanaNeural"),
      Map.entry("ar-SA", "ar-SA-ZariyahNeural"), Map.entry("hi-IN", "hi-IN-SwaraNeural"),
      Map.entry("nl-NL", "nl-NL-ColetteNeural"), Map.entry("pl-PL", "pl-PL-ZofiaNeural"),
      Map.entry("sv-SE", "sv-SE-SofieNeural"), Map.entry("tr-TR", "tr-TR-EmelNeural"),
      Map.entry("vi-VN", "vi-VN-HoaiMyNeural"), Map.entry("th-TH", "th-TH-PremwadeeNeural"),
      Map.entry("id-ID", "id-ID-GadisNeural"), Map.entry("ms-MY", "ms-MY-YasminNeural"),
      Map.entry("uk-UA", "uk-UA-PolinaNeural"), Map.entry("cs-CZ", "cs-CZ-VlastaNeural"),
      Map.entry("da-DK", "da-DK-ChristelNeural"), Map.entry("fi-FI", "fi-FI-SelmaNeural"),
      Map.entry("nb-NO", "nb-NO-PernilleNeural"), Map.entry("el-GR", "el-GR-AthinaNeural"),
      Map.entry("he-IL", "he-IL-HilaNeural"));

  /** Primary language to its default locale. */
  private static final Map<String, String> LOCALES = Map.ofEntries(
      Map.entry("en", "en-US"), Map.entry("zh", "zh-CN"), Map.entry("ja", "ja-JP"), Map.entry("ko", "ko-KR"),
      Map.entry("de", "de-DE"), Map.entry("fr", "fr-FR"), Map.entry("es", "es-ES"), Map.entry("it", "it-IT"),
      Map.entry("pt", "pt-BR"), Map.entry("ru", "ru-RU"), Map.entry("ar", "ar-SA"), Map.entry("hi", "hi-IN"),
      Map.entry("nl", "nl-NL"), Map.entry("pl", "pl-PL"), Map.entry("sv", "sv-SE"), Map.entry("tr", "tr-TR"),
      Map.entry("vi", "vi-VN"), Map.entry("th", "th-TH"), Map.entry("id", "id-ID"), Map.entry("ms", "ms-MY"),
      Map.entry("uk", "uk-UA"), Map.entry("cs", "cs-CZ"), Map.entry("da", "da-DK"), Map.entry("fi", "fi-FI"),
      Map.entry("nb", "nb-NO"), Map.entry("no", "nb-NO"), Map.entry("el", "el-GR"), Map.entry("he", "he-IL"));

  private AzureVoices() {}

  /**
   * The Azure locale for a BCP 47 tag: itself when it names a locale of the table ({@code en-GB}), else its primary
   * language's default ({@code en} and {@code en-NZ} are {@code en-US}); empty for a language Azure is not set up for.
   */
  public static Optional<String> locale(String language) {
    String[] parts = language.replace('_', '-').split("-");
    String primary = parts[0].toLowerCase(Locale.ROOT);
    if (parts.length > 1) {
      String tag = primary + "-" + parts[parts.length - 1].toUpperCase(Locale.ROOT);
      if (VOICES.containsKey(tag)) return Optional.of(tag);
    }
    return Optional.ofNullable(LOCALES.get(primary));
  }

  /** The voice for {@code language}: from {@code overrides} (lower-case tag or primary language keys), else the table. */
  public static Optional<String> voice(String language, Map<String, String> overrides) {
    String tag = language.toLowerCase(Locale.ROOT).replace('_', '-');
    String own = overrides.get(tag);
    if (own != null) return Optional.of(own);
    Optional<String> locale = locale(language);
    String primary = overrides.get(tag.split("-")[0]);
    if (primary != null) return Optional.of(primary);
    return locale.map(VOICES::get);
  }
}
