package io.voicehelper.streams.knowledge.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link EmbeddingSettings} read from {@code reference.conf} and overrides of it. */
class EmbeddingSettingsTest {

  static EmbeddingSettings read(String overrides) {
    Config config = ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.defaultReference().withoutPath("voicehelper.knowledge.embedding.openai.base-url")
            .withoutPath("voicehelper.knowledge.embedding.openai.api-key"))
        .withFallback(ConfigFactory.parseString(
            "voicehelper.knowledge.embedding.openai { base-url = \"\", api-key = \"\" }"))
        .resolve();
    return EmbeddingSettings.fromConfig(config.getConfig(EmbeddingSettings.CONFIG_PATH));
  }

  @Test
  void theDefaultIsTheInProcessModelInBatchesOf16() {
    EmbeddingSettings settings = read("");
    assertEquals(EmbeddingSettings.Provider.IN_PROCESS, settings.provider());
    assertEquals(16, settings.batchSize());
    assertEquals(1536, settings.openAi().dimensions());
    assertEquals(Duration.ofSeconds(30), settings.openAi().timeout());
    assertEquals(3, settings.openAi().maxRetries());
  }

  @Test
  void anOpenAiProviderNeedsABaseUrlAndKeepsItsKeyOutOfLogs() {
    String prefix = "voicehelper.knowledge.embedding.";
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> read(prefix + "provider = openai"));
    assertTrue(missing.getMessage().contains("openai.base-url"), missing.getMessage());

    EmbeddingSettings settings = read(prefix + "provider = openai\n" + prefix + "openai.base-url = \"http://x/v1\"\n"
        + prefix + "openai.api-key = sk-secret\n" + prefix + "openai.dimensions = 1024\n" + prefix + "batch-size = 8");
    assertEquals(EmbeddingSettings.Provider.OPENAI, settings.provider());
    assertEquals(1024, settings.openAi().dimensions());
    assertEquals(8, settings.batchSize());
    assertFalse(settings.toString().contains("sk-secret"));
  }

  @Test
  void anUnknownProviderIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> read("voicehelper.knowledge.embedding.provider = onnx"));
    assertTrue(e.getMessage().contains("in-process or openai"), e.getMessage());
  }
}
