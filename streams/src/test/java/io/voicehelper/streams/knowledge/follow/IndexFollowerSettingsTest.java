package io.voicehelper.streams.knowledge.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link IndexFollowerSettings} read from {@code reference.conf} and overrides of it. */
class IndexFollowerSettingsTest {

  static IndexFollowerSettings read(String overrides) {
    return IndexFollowerSettings.fromConfig(ConfigFactory.parseString(overrides)
        .withFallback(ConfigFactory.defaultReference()).resolve().getConfig(IndexFollowerSettings.CONFIG_PATH));
  }

  @Test
  void theDefaultsFollowTheJdbcReadJournal() {
    IndexFollowerSettings settings = read("");
    assertTrue(settings.enabled());
    assertEquals("jdbc-read-journal", settings.readJournal());
    assertEquals(Duration.ofSeconds(1), settings.minBackoff());
    assertEquals(Duration.ofSeconds(30), settings.maxBackoff());
    assertEquals(Duration.ofSeconds(1), settings.offsetCommitInterval());
    assertEquals(500, settings.offsetCommitBatch());
    assertEquals(256, settings.copyBatchSize());
    assertEquals(1000, settings.largeLag());
  }

  @Test
  void nonsenseIsRefusedWithTheKeyToFix() {
    String prefix = IndexFollowerSettings.CONFIG_PATH + ".";
    assertTrue(assertThrows(IllegalArgumentException.class, () -> read(prefix + "copy-batch-size = 0"))
        .getMessage().contains("copy-batch-size"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> read(prefix + "restart-backoff { min = 10s, max = 1s }")).getMessage().contains("restart-backoff"));
  }
}
