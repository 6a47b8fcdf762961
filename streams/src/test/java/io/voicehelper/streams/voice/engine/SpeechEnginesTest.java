package io.voicehelper.streams.voice.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.streams.voice.SpeechFixtures;
import io.voicehelper.streams.voice.SpeechRecognizer;
import io.voicehelper.streams.voice.SpeechSynthesizer;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SpeechEnginesTest extends EngineTesting {

  private static SpeechEngines engines(String overrides) {
    return SpeechEngines.create(settings(overrides), blocking(), VoiceEngineSettings.DISPATCHER);
  }

  private static String asr(SpeechEngines engines, String language) {
    return engines.recognizerFor(language).map(SpeechRecognizer::name).orElse("none");
  }

  private static String tts(SpeechEngines engines, String language) {
    return engines.synthesizerFor(language).map(SpeechSynthesizer::name).orElse("none");
  }

  @Test
  void outOfTheBoxEnglishIsPocketsphinxAndFreeTtsAndMandarinIsEspeak() {
    SpeechFixtures.requireProgram("pocketsphinx_continuous");
    SpeechFixtures.requireProgram("espeak-ng");
    SpeechEngines engines = SpeechEngines.fromConfig(ConfigFactory.load(), testKit.system());

    assertEquals("pocketsphinx", asr(engines, "en-US"));
    assertEquals("freetts", tts(engines, "en-GB"));
    assertEquals("none", asr(engines, "zh-CN"));
    assertEquals("espeak-ng", tts(engines, "zh-CN"));
    assertEquals("espeak-ng", tts(engines, "de-DE"));
    assertEquals("en-US: asr pocketsphinx, tts freetts; zh-CN: asr none, tts espeak-ng; unavailable: azure (no key"
        + " (voicehelper.voice.azure.key, AZURE_SPEECH_KEY)), vosk (no model directory"
        + " (voicehelper.voice.asr.vosk.models, VOSK_MODEL_DIR))", engines.describe());
  }

  @Test
  void azureComesFirstOnceAKeyIsSet() {
    SpeechEngines engines = engines("voicehelper.voice.azure { key = k, region = westeurope }");

    assertEquals("azure", asr(engines, "zh-CN"));
    assertEquals("azure", tts(engines, "zh-CN"));
    assertEquals("azure", asr(engines, "en-US"));
    assertEquals("azure", tts(engines, "en-US"));
    assertEquals("none", tts(engines, "tlh"), "Klingon: neither Azure nor espeak-ng nor FreeTTS");
  }

  @Test
  void aLanguageCanHaveItsOwnOrder() {
    SpeechFixtures.requireProgram("espeak-ng");
    SpeechEngines engines = engines("voicehelper.voice.tts.languages { en = [espeak-ng, freetts], en-GB = [freetts] }");

    assertEquals("espeak-ng", tts(engines, "en-US"));
    assertEquals("freetts", tts(engines, "en-GB"));
  }

  @Test
  void engineThatIsNotInstalledIsSkippedAndSaysWhy() {
    SpeechEngines engines = engines("""
        voicehelper.voice.asr.pocketsphinx.binary = /nonexistent/pocketsphinx_continuous
        voicehelper.voice.tts.espeak-ng.binary = /nonexistent/espeak-ng
        """);

    assertEquals(Optional.empty(), engines.recognizerFor("en-US"));
    assertEquals("freetts", tts(engines, "en-US"));
    assertEquals("none", tts(engines, "zh-CN"));
    assertTrue(engines.describe().contains("pocketsphinx (/nonexistent/pocketsphinx_continuous not found)"),
        engines.describe());
  }

  @Test
  void anUnknownEngineOrABrokenVoskModelStopsTheStart() {
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> engines("voicehelper.voice.asr.engines = [whisper]"));
    assertTrue(unknown.getMessage().startsWith("voicehelper.voice.asr names an unknown engine \"whisper\""));

    SpeechEngineException vosk = assertThrows(SpeechEngineException.class,
        () -> engines("voicehelper.voice.asr.vosk.models { zh-CN = \"/nonexistent/vosk\" }"));
    assertTrue(vosk.getMessage().startsWith("Vosk model for zh-cn"), vosk.getMessage());
  }

  @Test
  void azureNeedsARegionEndpointOrHostWithItsKey() {
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> settings("voicehelper.voice.azure.key = k"));
    assertTrue(error.getMessage().contains("AZURE_SPEECH_REGION"));
  }
}
