package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The voice page's microphone worklet ({@code web/assets/pcm-worklet.js}) in Node, by
 * {@code src/test/browser/pcm-worklet.mjs}: 20 ms PCM16 frames at 16 kHz from 48 kHz and 44.1 kHz input, speech-band
 * tones within 0.5 dB, tones above 8 kHz down by at least 60 dB instead of aliasing.
 *
 * <p>Skipped without Node unless {@code VOICEHELPER_REQUIRE_BROWSER} is {@code true}.
 */
@Timeout(60)
class PcmWorkletTest {

  @Test
  void resamplesTheMicrophoneTo16kHzPcm16WithoutAliasing() throws Exception {
    Process node;
    try {
      node = new ProcessBuilder("node", "src/test/browser/pcm-worklet.mjs").redirectErrorStream(true).start();
    } catch (IOException noNode) {
      if ("true".equalsIgnoreCase(System.getenv("VOICEHELPER_REQUIRE_BROWSER"))) {
        fail("VOICEHELPER_REQUIRE_BROWSER=true, but Node is not installed: " + noNode.getMessage());
      }
      Assumptions.abort("Node is not installed: " + noNode.getMessage());
      return;
    }
    String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!node.waitFor(50, TimeUnit.SECONDS)) {
      node.destroyForcibly();
      fail("pcm-worklet.mjs did not finish: " + output);
    }
    assertEquals(0, node.exitValue(), output);
    assertTrue(output.contains("\"ok\":true"), output);
  }
}
