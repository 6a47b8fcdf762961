package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The knowledge page in a real browser against a whole node with its embedded defaults: Debian's Chromium driven by
 * {@code http-edge/src/test/browser/knowledge-page.mjs} (playwright-core) signs up, creates and renames a collection,
 * uploads a Markdown file and a second version of it, waits for both to be indexed, downloads the first version and
 * restores it.
 *
 * <p>Skipped when Chromium, Node or the script's node_modules are missing, unless {@code VOICEHELPER_REQUIRE_BROWSER}
 * is {@code true}: then it fails, so CI cannot pass without running it.
 */
@Timeout(240)
class KnowledgePageIT {

  private static final Path BROWSER_DIR = Path.of("../http-edge/src/test/browser");
  private static final Path SCRIPT = BROWSER_DIR.resolve("knowledge-page.mjs");
  private static final Path PLAYWRIGHT = BROWSER_DIR.resolve("node_modules/playwright-core/package.json");
  private static final Path SCREENSHOT = Path.of("target/knowledge-page.png");
  private static final Path LOG = Path.of("target/knowledge-page.log");

  @Test
  void aNewUserUploadsADocumentAndSeesItsVersionsIndexed() throws Exception {
    requireBrowser();
    int http = NodeTestSupport.freePort();
    ActorSystem<Void> node = Node.start(Node.loadConfig(NodeTestSupport.singleNode(http,
        "jdbc:h2:mem:knowledge-page-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1")));
    ActorTestKit probes = ActorTestKit.create("knowledge-page-probes");
    try {
      probes.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
        assertEquals(MemberStatus.up(), Cluster.get(node).selfMember().status());
        return null;
      });
      Files.createDirectories(SCREENSHOT.getParent());
      Files.deleteIfExists(SCREENSHOT);
      Process browser = new ProcessBuilder("node", SCRIPT.toString(), "http://127.0.0.1:" + http + "/",
          SCREENSHOT.toString())
          .redirectErrorStream(true)
          .redirectOutput(LOG.toFile())
          .start();
      if (!browser.waitFor(200, TimeUnit.SECONDS)) {
        browser.destroyForcibly();
        fail("the browser test did not finish within 200 s; output: " + Files.readString(LOG));
      }
      String output = Files.readString(LOG);
      assertEquals(0, browser.exitValue(), "knowledge-page.mjs failed (screenshot " + SCREENSHOT + "):\n" + output);
      assertTrue(output.contains("\"ok\":true"), output);
      assertTrue(Files.size(SCREENSHOT) > 10_000, "a screenshot was written to " + SCREENSHOT);
    } finally {
      probes.shutdownTestKit();
      node.terminate();
      node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static void requireBrowser() {
    String chromium = System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium");
    String missing = null;
    if (!new File(chromium).canExecute()) {
      missing = "Chromium is not installed at " + chromium + " (apt-get install -y chromium)";
    } else if (!Files.exists(PLAYWRIGHT)) {
      missing = "playwright-core is not installed (npm ci --prefix http-edge/src/test/browser)";
    }
    if (missing == null) return;
    if ("true".equalsIgnoreCase(System.getenv("VOICEHELPER_REQUIRE_BROWSER"))) {
      fail("VOICEHELPER_REQUIRE_BROWSER=true, but " + missing);
    }
    Assumptions.abort("Browser test skipped: " + missing
        + ". Set VOICEHELPER_REQUIRE_BROWSER=true to make this a failure.");
  }
}
