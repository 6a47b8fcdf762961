package io.voicehelper.streams.knowledge.milvus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MilvusSettingsTest {

  static Config section(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference())
        .resolve().getConfig(MilvusSettings.CONFIG_PATH);
  }

  @Test
  void referenceConfHoldsTheDocumentedDefaults() {
    MilvusSettings settings = MilvusSettings.fromConfig(section(""));
    assertEquals("http://localhost:19530", settings.uri());
    assertEquals(MilvusSettings.Layout.PARTITION_KEY, settings.layout());
    assertEquals(new MilvusSettings.Index.Hnsw(16, 200, 64), settings.index());
    assertEquals(512, settings.dimension());
    assertEquals("STRONG", settings.consistency());
    assertEquals(Duration.ofSeconds(30), settings.requestTimeout());
    assertEquals(MilvusSettings.defaults("http://localhost:19530", MilvusSettings.Layout.PARTITION_KEY, 512),
        settings);
  }

  @Test
  void layoutAndIvfFlatAreRead() {
    MilvusSettings settings = MilvusSettings.fromConfig(section(
        "voicehelper.knowledge.milvus { layout = collection-per-tenant, index.type = ivf_flat, token = \"u:p\" }"));
    assertEquals(MilvusSettings.Layout.COLLECTION_PER_TENANT, settings.layout());
    assertEquals(new MilvusSettings.Index.IvfFlat(1024, 16), settings.index());
    assertFalse(settings.toString().contains("u:p"));
    assertTrue(settings.toString().contains("token=***"));
  }

  @Test
  void invalidValuesAreRefusedWithTheKey() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> MilvusSettings.fromConfig(
        section("voicehelper.knowledge.milvus.layout = shared"))).getMessage().contains(".layout"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> MilvusSettings.fromConfig(
        section("voicehelper.knowledge.milvus.metric = L2"))).getMessage().contains(".metric"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> MilvusSettings.fromConfig(
        section("voicehelper.knowledge.milvus.collection-prefix = \"bad-name\""))).getMessage()
        .contains(".collection-prefix"));
  }
}
