package io.voicehelper.streams.voice.engine;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Settings of the speech engines, read once from {@code voicehelper.voice.asr}, {@code .tts} and {@code .azure}
 * (see {@code reference.conf} for what each key does, its unit and its default).
 *
 * @param asr engine order for recognition
 * @param tts engine order for synthesis
 * @param pocketsphinx the pocketsphinx process
 * @param vosk Vosk's model directories
 * @param espeak the espeak-ng process
 * @param freeTtsPoolSize FreeTTS voices allocated at most
 * @param azure the Azure Speech resource
 */
public record VoiceEngineSettings(
    EngineOrder asr,
    EngineOrder tts,
    Pocketsphinx pocketsphinx,
    Map<String, Path> vosk,
    Espeak espeak,
    int freeTtsPoolSize,
    Azure azure) {

  /** The dispatcher that runs the engines' blocking work. */
  public static final String DISPATCHER = "voicehelper.voice.engine-dispatcher";

  public VoiceEngineSettings {
    if (freeTtsPoolSize < 1) throw new IllegalArgumentException("voicehelper.voice.tts.freetts.pool-size must be >= 1");
    vosk = Map.copyOf(vosk);
  }

  /** Engines in order of preference, by default and per language (keys are lower-case tags or primary languages). */
  public record EngineOrder(List<String> engines, Map<String, List<String>> languages) {
    public EngineOrder {
      engines = List.copyOf(engines);
      languages = Map.copyOf(languages);
    }

    /** The order for {@code language}: its own tag's, its primary language's, or the default. */
    public List<String> forLanguage(String language) {
      String tag = language.toLowerCase(Locale.ROOT);
      List<String> own = languages.get(tag);
      if (own != null) return own;
      List<String> primary = languages.get(Languages.primary(tag));
      return primary != null ? primary : engines;
    }
  }

  /** The pocketsphinx_continuous command line: models, optional JSGF grammar (empty: none), extra arguments. */
  public record Pocketsphinx(
      String binary, Path modelDir, Path dictionary, Path languageModel, String grammar, List<String> extraArgs,
      List<String> languages) {
    public Pocketsphinx {
      extraArgs = List.copyOf(extraArgs);
      languages = languages.stream().map(l -> l.toLowerCase(Locale.ROOT)).toList();
    }
  }

  /** The espeak-ng program, language-to-voice table (lower-case keys), and the rate and pitch at 1.0. */
  public record Espeak(String binary, Map<String, String> voices, int wordsPerMinute, int pitch) {
    public Espeak {
      voices = Map.copyOf(voices);
      if (wordsPerMinute < 80 || wordsPerMinute > 450) {
        throw new IllegalArgumentException("voicehelper.voice.tts.espeak-ng.words-per-minute must be 80..450");
      }
      if (pitch < 0 || pitch > 99) throw new IllegalArgumentException("voicehelper.voice.tts.espeak-ng.pitch must be 0..99");
    }
  }

  /**
   * The Azure Speech resource: key (empty: unused), region, endpoint or host, voice overrides, and how long a
   * recognition may take to finish once its audio has ended.
   */
  public record Azure(
      String key, String region, String endpoint, String host, Map<String, String> voices, Duration finalTimeout) {
    public Azure {
      voices = Map.copyOf(voices);
      if (finalTimeout.isNegative() || finalTimeout.isZero()) {
        throw new IllegalArgumentException("voicehelper.voice.azure.final-timeout must be positive");
      }
      if (!key.isBlank() && region.isBlank() && endpoint.isBlank() && host.isBlank()) {
        throw new IllegalArgumentException(
            "voicehelper.voice.azure.key is set: set region (AZURE_SPEECH_REGION), endpoint or host too");
      }
    }

    /** Whether a key is configured. */
    public boolean configured() {
      return !key.isBlank();
    }

    @Override
    public String toString() {
      return "Azure[key=" + (key.isBlank() ? "" : "***") + ", region=" + region + ", endpoint=" + endpoint
          + ", host=" + host + ", voices=" + voices + ", finalTimeout=" + finalTimeout + "]";
    }
  }

  /** Reads the settings from a configuration that holds {@code voicehelper.voice}. */
  public static VoiceEngineSettings fromConfig(Config root) {
    Config voice = root.getConfig("voicehelper.voice");
    Config ps = voice.getConfig("asr.pocketsphinx");
    Map<String, Path> vosk = new LinkedHashMap<>();
    strings(voice.getConfig("asr.vosk.models")).forEach((language, dir) -> vosk.put(language, Path.of(dir)));
    String voskDir = voice.getString("asr.vosk.model-dir").strip();
    if (!voskDir.isEmpty()) vosk.put(voice.getString("asr.vosk.language").toLowerCase(Locale.ROOT), Path.of(voskDir));
    Config espeak = voice.getConfig("tts.espeak-ng");
    Config azure = voice.getConfig("azure");
    return new VoiceEngineSettings(
        order(voice.getConfig("asr")),
        order(voice.getConfig("tts")),
        new Pocketsphinx(
            ps.getString("binary"), Path.of(ps.getString("model-dir")), Path.of(ps.getString("dictionary")),
            Path.of(ps.getString("language-model")), ps.getString("grammar").strip(), ps.getStringList("extra-args"),
            ps.getStringList("languages")),
        vosk,
        new Espeak(espeak.getString("binary"), strings(espeak.getConfig("voices")), espeak.getInt("words-per-minute"),
            espeak.getInt("pitch")),
        voice.getInt("tts.freetts.pool-size"),
        new Azure(azure.getString("key").strip(), azure.getString("region").strip(),
            azure.getString("endpoint").strip(), azure.getString("host").strip(), strings(azure.getConfig("voices")),
            azure.getDuration("final-timeout")));
  }

  private static EngineOrder order(Config section) {
    Map<String, List<String>> languages = new LinkedHashMap<>();
    Config byLanguage = section.getConfig("languages");
    for (Map.Entry<String, ConfigValue> entry : byLanguage.root().entrySet()) {
      languages.put(entry.getKey().toLowerCase(Locale.ROOT), byLanguage.getStringList(quoted(entry.getKey())));
    }
    return new EngineOrder(section.getStringList("engines"), languages);
  }

  /** The string values of a flat object, keys lower-cased (keys such as {@code zh-CN} are taken as they are). */
  private static Map<String, String> strings(Config section) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> entry : section.root().entrySet()) {
      out.put(entry.getKey().toLowerCase(Locale.ROOT), String.valueOf(entry.getValue().unwrapped()));
    }
    return out;
  }

  private static String quoted(String key) {
    return "\"" + key + "\"";
  }
}
