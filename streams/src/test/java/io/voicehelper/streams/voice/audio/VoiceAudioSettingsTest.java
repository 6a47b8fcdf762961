package io.voicehelper.streams.voice.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class VoiceAudioSettingsTest {

  private static Config reference() {
    return ConfigFactory.defaultReference().getConfig(VoiceAudioSettings.CONFIG_PATH);
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    VoiceAudioSettings settings = VoiceAudioSettings.fromConfig(reference());
    assertEquals(VoiceAudioSettings.VadEngine.SILERO, settings.vad().engine());
    assertEquals(0.5, settings.segmenter().startThreshold());
    assertEquals(0.35, settings.segmenter().endThreshold());
    assertEquals(Duration.ofMillis(250), settings.segmenter().minSpeech());
    assertEquals(Duration.ofMillis(300), settings.segmenter().preRoll());
    assertEquals(Duration.ofMillis(700), settings.turn().silence());
    assertEquals(Duration.ofMillis(1500), settings.turn().incompleteSilence());
    assertTrue(settings.turn().incompleteEndings().get("en").contains("because"));
    assertTrue(settings.turn().incompleteEndings().get("zh").contains("然后"));
    assertTrue(settings.chunker().abbreviations().contains("e.g"));
    assertTrue(settings.noiseSuppression().enabled());
  }

  @Test
  void badValuesAreRefusedWithTheirKey() {
    Config swapped = ConfigFactory.parseString("segmenter.end-threshold = 0.7").withFallback(reference());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VoiceAudioSettings.fromConfig(swapped));
    assertTrue(e.getMessage().contains("segmenter.end-threshold"), e.getMessage());
    Config engine = ConfigFactory.parseString("vad.engine = webrtc").withFallback(reference());
    assertThrows(IllegalArgumentException.class, () -> VoiceAudioSettings.fromConfig(engine));
    Config turn = ConfigFactory.parseString("turn.incomplete-silence = 500ms").withFallback(reference());
    assertThrows(IllegalArgumentException.class, () -> VoiceAudioSettings.fromConfig(turn));
    Config buffer = ConfigFactory.parseString("stage-buffer = 20").withFallback(reference());
    assertThrows(IllegalArgumentException.class, () -> VoiceAudioSettings.fromConfig(buffer));
  }

  @Test
  void theEnergyEngineCanBeChosen() throws Exception {
    Config energy = ConfigFactory.parseString("vad.engine = energy").withFallback(reference());
    try (VoiceActivityDetectors detectors = VoiceActivityDetectors.create(VoiceAudioSettings.fromConfig(energy).vad())) {
      assertEquals("energy", detectors.engine());
      assertEquals("energy", detectors.newDetector().name());
    }
  }
}
