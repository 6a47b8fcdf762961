package io.voicehelper.streams.voice.engine;

import com.typesafe.config.Config;
import io.voicehelper.streams.voice.SpeechRecognizer;
import io.voicehelper.streams.voice.SpeechSynthesizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiPredicate;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The speech engines of a node, chosen by configuration ({@code voicehelper.voice.asr}, {@code .tts},
 * {@code .azure}): each engine that is configured and installed is created once at start, and each language gets the
 * first engine of its preference order that supports it. Out of the box: English ASR by pocketsphinx, English TTS by
 * FreeTTS, Mandarin and most other languages' TTS by espeak-ng; Azure first for everything once a key is set; Vosk
 * for the languages whose model directories are configured. See docs/voice-engines.md.
 */
public final class SpeechEngines implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SpeechEngines.class);

  /** The engine names the {@code engines} lists may hold. */
  public static final Set<String> ASR_ENGINES = Set.of("azure", "pocketsphinx", "vosk");

  public static final Set<String> TTS_ENGINES = Set.of("azure", "espeak-ng", "freetts");

  private static final List<String> DESCRIBED_LANGUAGES = List.of("en-US", "zh-CN");

  private final VoiceEngineSettings settings;
  private final Map<String, SpeechRecognizer> recognizers;
  private final Map<String, SpeechSynthesizer> synthesizers;
  private final Map<String, String> unavailable;
  private final List<AutoCloseable> resources;

  private SpeechEngines(
      VoiceEngineSettings settings, Map<String, SpeechRecognizer> recognizers,
      Map<String, SpeechSynthesizer> synthesizers, Map<String, String> unavailable, List<AutoCloseable> resources) {
    this.settings = settings;
    this.recognizers = Map.copyOf(recognizers);
    this.synthesizers = Map.copyOf(synthesizers);
    this.unavailable = Collections.unmodifiableMap(new LinkedHashMap<>(unavailable)); // in the order probed
    this.resources = List.copyOf(resources);
  }

  /**
   * The engines {@code config} asks for, on {@code system}'s engine dispatcher; logs what was found and frees native
   * models when the system shuts down. Blocks while it probes programs and loads Vosk models.
   *
   * @throws SpeechEngineException when a configured Vosk model cannot be loaded
   * @throws IllegalArgumentException when an engine list names an unknown engine
   */
  public static SpeechEngines fromConfig(Config config, ActorSystem<?> system) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(VoiceEngineSettings.DISPATCHER));
    SpeechEngines engines = create(VoiceEngineSettings.fromConfig(config), blocking, VoiceEngineSettings.DISPATCHER);
    log.info("Speech engines: {}", engines.describe());
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "close-speech-engines", () -> {
          engines.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    return engines;
  }

  /** The engines of {@code settings}, their blocking work on {@code blocking} (the executor of {@code dispatcher}). */
  public static SpeechEngines create(VoiceEngineSettings settings, Executor blocking, String dispatcher) {
    check("asr", settings.asr(), ASR_ENGINES);
    check("tts", settings.tts(), TTS_ENGINES);
    Map<String, SpeechRecognizer> recognizers = new LinkedHashMap<>();
    Map<String, SpeechSynthesizer> synthesizers = new LinkedHashMap<>();
    Map<String, String> unavailable = new LinkedHashMap<>();
    List<AutoCloseable> resources = new ArrayList<>();

    if (settings.azure().configured()) {
      AzureSpeech azure = new AzureSpeech(settings.azure(), blocking);
      recognizers.put(AzureSpeech.NAME, new AzureSpeechRecognizer(azure));
      synthesizers.put(AzureSpeech.NAME, new AzureSpeechSynthesizer(azure));
    } else {
      unavailable.put(AzureSpeech.NAME, "no key (voicehelper.voice.azure.key, AZURE_SPEECH_KEY)");
    }
    Optional<String> pocketsphinxMissing = PocketsphinxRecognizer.unavailable(settings.pocketsphinx());
    if (pocketsphinxMissing.isEmpty()) {
      recognizers.put("pocketsphinx", new PocketsphinxRecognizer(settings.pocketsphinx(), blocking, dispatcher));
    } else {
      unavailable.put("pocketsphinx", pocketsphinxMissing.get());
    }
    if (!settings.vosk().isEmpty()) {
      VoskRecognizer vosk = VoskRecognizer.load(settings.vosk(), blocking);
      recognizers.put("vosk", vosk);
      resources.add(vosk);
    } else {
      unavailable.put("vosk", "no model directory (voicehelper.voice.asr.vosk.models, VOSK_MODEL_DIR)");
    }
    Set<String> espeakVoices = EspeakSynthesizer.installedVoices(settings.espeak().binary());
    if (!espeakVoices.isEmpty()) {
      synthesizers.put("espeak-ng", new EspeakSynthesizer(settings.espeak(), espeakVoices, blocking, dispatcher));
    } else {
      unavailable.put("espeak-ng", settings.espeak().binary() + " not found");
    }
    synthesizers.put("freetts", new FreeTtsSynthesizer(settings.freeTtsPoolSize(), blocking));
    return new SpeechEngines(settings, recognizers, synthesizers, unavailable, resources);
  }

  private static void check(String kind, VoiceEngineSettings.EngineOrder order, Set<String> known) {
    List<List<String>> lists = new ArrayList<>(order.languages().values());
    lists.add(order.engines());
    for (List<String> list : lists) {
      for (String name : list) {
        if (!known.contains(name)) {
          throw new IllegalArgumentException(
              "voicehelper.voice." + kind + " names an unknown engine \"" + name + "\" (known: " + known + ")");
        }
      }
    }
  }

  /** The recognizer for {@code language} (BCP 47), or empty when no usable engine supports it. */
  public Optional<SpeechRecognizer> recognizerFor(String language) {
    return first(settings.asr().forLanguage(language), recognizers, language, SpeechRecognizer::supports);
  }

  /** The synthesizer for {@code language} (BCP 47), or empty when no usable engine supports it. */
  public Optional<SpeechSynthesizer> synthesizerFor(String language) {
    return first(settings.tts().forLanguage(language), synthesizers, language, SpeechSynthesizer::supports);
  }

  private static <E> Optional<E> first(
      List<String> order, Map<String, E> engines, String language, BiPredicate<E, String> supports) {
    return order.stream()
        .map(engines::get)
        .filter(engine -> engine != null && supports.test(engine, language))
        .findFirst();
  }

  /**
   * Which engine each language gets and why the others are missing, for logs and the README, e.g.
   * {@code en-US: asr pocketsphinx, tts freetts; zh-CN: asr none, tts espeak-ng; unavailable: azure (no key), ...}.
   */
  public String describe() {
    Set<String> languages = new LinkedHashSet<>(DESCRIBED_LANGUAGES);
    Set<String> configured = new LinkedHashSet<>(settings.asr().languages().keySet());
    configured.addAll(settings.tts().languages().keySet());
    configured.addAll(settings.vosk().keySet());
    for (String language : configured) {
      if (DESCRIBED_LANGUAGES.stream().noneMatch(l -> Languages.primary(l).equals(language))) languages.add(language);
    }
    List<String> parts = new ArrayList<>();
    for (String language : languages) {
      parts.add(language + ": asr " + recognizerFor(language).map(SpeechRecognizer::name).orElse("none")
          + ", tts " + synthesizerFor(language).map(SpeechSynthesizer::name).orElse("none"));
    }
    List<String> missing = new ArrayList<>();
    unavailable.forEach((engine, why) -> missing.add(engine + " (" + why + ")"));
    return String.join("; ", parts) + (missing.isEmpty() ? "" : "; unavailable: " + String.join(", ", missing));
  }

  /** Frees the engines' native resources (Vosk models). */
  @Override
  public void close() {
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("Could not free a speech engine: {}", e.toString());
      }
    }
  }
}
