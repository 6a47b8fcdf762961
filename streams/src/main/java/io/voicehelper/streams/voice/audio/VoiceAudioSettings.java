package io.voicehelper.streams.voice.audio;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Settings of the voice audio stages, read once from {@code voicehelper.voice.audio} (see {@code reference.conf} for
 * what each key does, its unit and its default).
 *
 * @param stageBuffer elements held at each asynchronous boundary of the audio flows
 * @param noiseSuppression the noise suppressor's settings
 * @param vad which voice activity detector scores frames
 * @param segmenter the speech segmenter's thresholds and durations
 * @param turn the end-of-turn detector's silences and word lists
 * @param chunker the TTS sentence chunker's lengths and abbreviations
 */
public record VoiceAudioSettings(
    int stageBuffer,
    NoiseSuppression noiseSuppression,
    Vad vad,
    Segmenter segmenter,
    Turn turn,
    Chunker chunker) {

  /** The config path these settings are read from. */
  public static final String CONFIG_PATH = "voicehelper.voice.audio";

  /** The config path of the dispatcher VAD inference runs on. */
  public static final String VAD_DISPATCHER = CONFIG_PATH + ".vad.dispatcher";

  public VoiceAudioSettings {
    if (stageBuffer < 1 || Integer.bitCount(stageBuffer) != 1) {
      throw new IllegalArgumentException(CONFIG_PATH + ".stage-buffer must be a power of two (Pekko's input buffers)");
    }
  }

  /** Reads the settings of the system's {@code voicehelper.voice.audio}. */
  public static VoiceAudioSettings fromSystem(ActorSystem<?> system) {
    return fromConfig(system.settings().config().getConfig(CONFIG_PATH));
  }

  /** Reads the settings from the {@code voicehelper.voice.audio} section. */
  public static VoiceAudioSettings fromConfig(Config config) {
    Config ns = config.getConfig("noise-suppression");
    Config vad = config.getConfig("vad");
    Config seg = config.getConfig("segmenter");
    Config turn = config.getConfig("turn");
    Config chunker = config.getConfig("chunker");
    Config endings = turn.getConfig("incomplete-endings");
    Map<String, Set<String>> endingsByLanguage = new TreeMap<>();
    for (String language : endings.root().keySet()) {
      endingsByLanguage.put(language.toLowerCase(Locale.ROOT), lowerCase(endings.getStringList(language)));
    }
    return new VoiceAudioSettings(
        config.getInt("stage-buffer"),
        new NoiseSuppression(
            ns.getBoolean("enabled"), ns.getDouble("max-attenuation-db"), ns.getDuration("noise-window")),
        new Vad(
            VadEngine.parse(vad.getString("engine")),
            vad.getString("model-path").strip(),
            vad.getInt("intra-op-threads"),
            vad.getDouble("energy.margin-db"),
            vad.getDouble("energy.min-dbfs")),
        new Segmenter(
            seg.getDouble("start-threshold"),
            seg.getDouble("end-threshold"),
            seg.getDuration("min-speech"),
            seg.getDouble("min-energy-dbfs"),
            seg.getDuration("min-silence"),
            seg.getDuration("pre-roll"),
            seg.getDuration("max-utterance")),
        new Turn(turn.getDuration("silence"), turn.getDuration("incomplete-silence"), endingsByLanguage),
        new Chunker(
            chunker.getInt("first-chunk-min-chars"),
            chunker.getInt("max-chars"),
            lowerCase(chunker.getStringList("abbreviations"))));
  }

  private static Set<String> lowerCase(List<String> words) {
    return words.stream()
        .map(word -> word.strip().toLowerCase(Locale.ROOT))
        .filter(word -> !word.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
  }

  /**
   * @param enabled whether caller audio is denoised
   * @param maxAttenuationDb strongest attenuation of a frequency bin, in dB (positive)
   * @param noiseWindow window over which the noise floor is the minimum of the smoothed spectrum
   */
  public record NoiseSuppression(boolean enabled, double maxAttenuationDb, Duration noiseWindow) {
    public NoiseSuppression {
      if (!(maxAttenuationDb >= 0 && maxAttenuationDb <= 60)) {
        throw new IllegalArgumentException(CONFIG_PATH + ".noise-suppression.max-attenuation-db must be 0 to 60");
      }
      if (noiseWindow.toMillis() < 200) {
        throw new IllegalArgumentException(CONFIG_PATH + ".noise-suppression.noise-window must be >= 200ms");
      }
    }
  }

  /** Which detector scores frames. */
  public enum VadEngine {
    /** Silero VAD v5 on ONNX Runtime. */
    SILERO,
    /** RMS level above an adaptive noise floor. */
    ENERGY;

    static VadEngine parse(String name) {
      return switch (name.strip().toLowerCase(Locale.ROOT)) {
        case "silero" -> SILERO;
        case "energy" -> ENERGY;
        default -> throw new IllegalArgumentException(CONFIG_PATH + ".vad.engine must be silero or energy, not " + name);
      };
    }
  }

  /**
   * @param engine which detector scores frames
   * @param modelPath a Silero VAD v5 .onnx file, empty for the bundled one
   * @param intraOpThreads ONNX Runtime threads per inference
   * @param energyMarginDb level above the noise floor at which the energy detector says 0.5
   * @param energyMinDbfs quietest level the energy detector can call speech
   */
  public record Vad(
      VadEngine engine, String modelPath, int intraOpThreads, double energyMarginDb, double energyMinDbfs) {
    public Vad {
      if (intraOpThreads < 1) throw new IllegalArgumentException(CONFIG_PATH + ".vad.intra-op-threads must be >= 1");
      modelPath = modelPath == null ? "" : modelPath.strip();
    }
  }

  /**
   * @param startThreshold probability at or above which a frame counts as speech before speech started
   * @param endThreshold probability below which a frame counts as silence during speech
   * @param minSpeech speech needed before speech starts
   * @param minEnergyDbfs quietest frame that can count towards the start of speech
   * @param minSilence silence that ends an utterance
   * @param preRoll audio before the detected start that is sent along
   * @param maxUtterance longest utterance
   */
  public record Segmenter(
      double startThreshold,
      double endThreshold,
      Duration minSpeech,
      double minEnergyDbfs,
      Duration minSilence,
      Duration preRoll,
      Duration maxUtterance) {
    public Segmenter {
      if (!(startThreshold > 0 && startThreshold <= 1)) {
        throw new IllegalArgumentException(CONFIG_PATH + ".segmenter.start-threshold must be in (0, 1]");
      }
      if (!(endThreshold >= 0 && endThreshold <= startThreshold)) {
        throw new IllegalArgumentException(CONFIG_PATH + ".segmenter.end-threshold must be 0 to start-threshold");
      }
      if (minSpeech.isNegative() || minSilence.isNegative() || preRoll.isNegative()) {
        throw new IllegalArgumentException(CONFIG_PATH + ".segmenter durations must not be negative");
      }
      if (maxUtterance.compareTo(minSpeech) <= 0 || maxUtterance.toMillis() < 1000) {
        throw new IllegalArgumentException(CONFIG_PATH + ".segmenter.max-utterance must be >= 1s and > min-speech");
      }
    }


    /** A copy with {@code minSpeech} instead. */
    public Segmenter withMinSpeech(Duration minSpeech) {
      return new Segmenter(startThreshold, endThreshold, minSpeech, minEnergyDbfs, minSilence, preRoll, maxUtterance);
    }

    /** A copy with {@code minEnergyDbfs} instead. */
    public Segmenter withMinEnergyDbfs(double minEnergyDbfs) {
      return new Segmenter(startThreshold, endThreshold, minSpeech, minEnergyDbfs, minSilence, preRoll, maxUtterance);
    }
  }

  /**
   * @param silence silence after which a complete-looking turn ends
   * @param incompleteSilence silence after which an empty or unfinished-looking turn ends
   * @param incompleteEndings per primary language subtag, the lower-case words that mark a transcript unfinished
   */
  public record Turn(Duration silence, Duration incompleteSilence, Map<String, Set<String>> incompleteEndings) {
    public Turn {
      if (silence.isNegative() || silence.isZero()) {
        throw new IllegalArgumentException(CONFIG_PATH + ".turn.silence must be positive");
      }
      if (incompleteSilence.compareTo(silence) < 0) {
        throw new IllegalArgumentException(CONFIG_PATH + ".turn.incomplete-silence must be >= silence");
      }
      incompleteEndings = Map.copyOf(incompleteEndings);
    }
  }

  /**
   * @param firstChunkMinChars characters after which the first chunk may be cut at a comma
   * @param maxChars longest chunk
   * @param abbreviations lower-case words (without their final dot) whose dot does not end a sentence
   */
  public record Chunker(int firstChunkMinChars, int maxChars, Set<String> abbreviations) {
    public Chunker {
      if (firstChunkMinChars < 1) {
        throw new IllegalArgumentException(CONFIG_PATH + ".chunker.first-chunk-min-chars must be >= 1");
      }
      if (maxChars < 20 || maxChars < firstChunkMinChars) {
        throw new IllegalArgumentException(CONFIG_PATH + ".chunker.max-chars must be >= 20 and >= first-chunk-min-chars");
      }
      abbreviations = Set.copyOf(abbreviations);
    }
  }
}
