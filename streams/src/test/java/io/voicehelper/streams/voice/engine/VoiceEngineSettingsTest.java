package io.voicehelper.streams.voice.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VoiceEngineSettingsTest {

  private static VoiceEngineSettings settings(String overrides) {
    return VoiceEngineSettings.fromConfig(ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()));
  }

  @Test
  void theDefaultsPreferAzureThenTheLocalEnginesWithFreeTtsForEnglish() {
    VoiceEngineSettings defaults = settings("");

    assertEquals(List.of("azure", "pocketsphinx", "vosk"), defaults.asr().forLanguage("en-US"));
    assertEquals(List.of("azure", "espeak-ng", "freetts"), defaults.tts().forLanguage("zh-CN"));
    assertEquals(List.of("azure", "freetts", "espeak-ng"), defaults.tts().forLanguage("en-GB"));
    assertEquals(Path.of("/usr/share/pocketsphinx/model/en-us/en-us"), defaults.pocketsphinx().modelDir());
    assertEquals("cmn", defaults.espeak().voices().get("zh"));
    assertEquals(Map.of(), defaults.vosk());
    assertFalse(defaults.azure().configured());
    assertEquals(2, defaults.freeTtsPoolSize());
  }

  @Test
  void aTagsOwnOrderWinsOverItsPrimaryLanguages() {
    VoiceEngineSettings settings = settings(
        "voicehelper.voice.asr.languages { zh = [vosk], zh-HK = [azure] }");

    assertEquals(List.of("azure"), settings.asr().forLanguage("zh-hk"));
    assertEquals(List.of("vosk"), settings.asr().forLanguage("zh-CN"));
  }

  @Test
  void voskModelsComeFromTheMapAndFromTheEnvironmentsOneDirectory() {
    VoiceEngineSettings settings = settings("""
        voicehelper.voice.asr.vosk.models { en = "/opt/vosk/en" }
        voicehelper.voice.asr.vosk.model-dir = "/opt/vosk/cn"
        voicehelper.voice.asr.vosk.language = zh-CN
        """);

    assertEquals(Map.of("en", Path.of("/opt/vosk/en"), "zh-cn", Path.of("/opt/vosk/cn")), settings.vosk());
  }

  @Test
  void theAzureKeyIsNeverPrinted() {
    VoiceEngineSettings settings = settings("voicehelper.voice.azure { key = s3cret, region = westeurope }");

    assertTrue(settings.azure().configured());
    assertFalse(settings.toString().contains("s3cret"), settings.toString());
  }

  @Test
  void outOfRangeValuesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> settings("voicehelper.voice.tts.freetts.pool-size = 0"));
    assertThrows(IllegalArgumentException.class, () -> settings("voicehelper.voice.tts.espeak-ng.pitch = 120"));
  }
}
