package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EdgeSettingsTest {

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    EdgeSettings settings = EdgeSettings.fromConfig(ConfigFactory.defaultReference().getConfig("voicehelper.http"));
    assertEquals("0.0.0.0", settings.host());
    assertEquals(8080, settings.port());
    assertEquals(128 * 1024, settings.maxBodyBytes());
    assertEquals(32000, settings.maxMessageLength());
    assertEquals(200, settings.maxTitleLength());
    assertEquals(20, settings.maxJsonDepth());
    assertEquals(Duration.ofSeconds(15), settings.sseKeepAlive());
    assertEquals(256, settings.sseBufferSize());
    assertEquals(Duration.ofSeconds(30), settings.sseSlowConsumerTimeout());
    assertEquals(Duration.ofSeconds(90), settings.jsonReplyTimeout());
    assertEquals(20, settings.listDefaultLimit());
    assertEquals(100, settings.listMaxLimit());
  }

  @Test
  void nonsenseIsRefusedAtStartUp() {
    Config bad = ConfigFactory.parseString("sse.buffer-size = 0")
        .withFallback(ConfigFactory.defaultReference().getConfig("voicehelper.http"));
    assertThrows(IllegalArgumentException.class, () -> EdgeSettings.fromConfig(bad));
  }

  @Test
  void theRecommendedServerSettingsFitTheEdgeSettings() {
    Config server = ConfigFactory.parseResources("voicehelper-http-server.conf")
        .withFallback(ConfigFactory.defaultReference()).resolve();
    EdgeSettings edge = EdgeSettings.fromConfig(server.getConfig("voicehelper.http"));
    Config http = server.getConfig("pekko.http.server");
    assertTrue(http.getInt("max-connections") > 1024);
    Duration idle = http.getDuration("idle-timeout");
    assertTrue(idle.compareTo(edge.sseKeepAlive().multipliedBy(2)) > 0, "idle streams are kept alive");
    assertTrue(idle.compareTo(edge.jsonReplyTimeout()) > 0, "a JSON-mode post is not cut while it waits");
    assertEquals(1, http.getInt("pipelining-limit"));
    assertTrue(http.getBytes("parsing.max-content-length") >= edge.maxBodyBytes());
    assertFalse(ConfigFactory.defaultReference().getConfig("pekko.http.server").getInt("max-connections") > 1024,
        "reference.conf leaves Pekko's defaults alone");
  }
}
