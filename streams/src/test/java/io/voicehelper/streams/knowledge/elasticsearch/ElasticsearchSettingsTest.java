package io.voicehelper.streams.knowledge.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class ElasticsearchSettingsTest {

  static Config section(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference())
        .resolve().getConfig(ElasticsearchSettings.CONFIG_PATH);
  }

  @Test
  void referenceConfHoldsTheDocumentedDefaults() {
    assertEquals(ElasticsearchSettings.defaults("http://localhost:9200"),
        ElasticsearchSettings.fromConfig(section("")));
    assertEquals("cjk", ElasticsearchSettings.fromConfig(section("")).analyzer(), "built in, bigrams for Chinese");
  }

  @Test
  void severalUrlsAndSecretsAreReadAndSecretsMasked() {
    ElasticsearchSettings settings = ElasticsearchSettings.fromConfig(section(
        "voicehelper.knowledge.elasticsearch { urls = \"http://a:9200, http://b:9200\", api-key = k3y, "
            + "password = s3cret, analyzer = smartcn }"));
    assertEquals(List.of("http://a:9200", "http://b:9200"), settings.urls());
    assertEquals("smartcn", settings.analyzer());
    assertFalse(settings.toString().contains("k3y"));
    assertFalse(settings.toString().contains("s3cret"));
  }

  @Test
  void invalidValuesAreRefusedWithTheKey() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ElasticsearchSettings.fromConfig(
        section("voicehelper.knowledge.elasticsearch.refresh = sometimes"))).getMessage().contains(".refresh"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ElasticsearchSettings.fromConfig(
        section("voicehelper.knowledge.elasticsearch.index-prefix = Upper"))).getMessage()
        .contains(".index-prefix"));
  }
}
