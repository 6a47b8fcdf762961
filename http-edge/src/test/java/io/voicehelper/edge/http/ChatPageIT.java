package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.voicehelper.entities.conversation.ConversationDirectory;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.ScriptedReplyGenerator;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The chat page in a real browser: Debian's Chromium driven by {@code src/test/browser/chat-page.mjs} (playwright-core)
 * against the edge on a free port, with replies from the echo generator paced like a model's tokens (and broken off
 * when the message says {@code [fail]}).
 *
 * <p>Skipped when Chromium, Node or the script's node_modules are missing, unless {@code VOICEHELPER_REQUIRE_BROWSER}
 * is {@code true}: then it fails, so CI cannot pass without running it.
 */
@Timeout(150)
class ChatPageIT {

  private static final Path BROWSER_DIR = Path.of("src/test/browser");
  private static final Path SCRIPT = BROWSER_DIR.resolve("chat-page.mjs");
  private static final Path PLAYWRIGHT = BROWSER_DIR.resolve("node_modules/playwright-core/package.json");
  private static final Path SCREENSHOT = Path.of("target/chat-page.png");
  private static final Path LOG = Path.of("target/chat-page.log");

  @Test
  void aVisitorSignsUpCreatesAConversationAndWatchesTheReplyStreamIn() throws Exception {
    requireBrowser();
    ReplyGenerator pacedEcho = new ReplyGenerator() {
      private final ScriptedReplyGenerator echo = ScriptedReplyGenerator.echo();

      @Override
      public Source<Output, NotUsed> generate(Request request) {
        Source<Output, NotUsed> tokens = echo.generate(request).throttle(1, Duration.ofMillis(120));
        String question = request.context().get(request.context().size() - 1).content();
        if (!question.contains("[fail]")) return tokens;
        // The provider drops out after two tokens: the reply ends interrupted, its text so far kept.
        AtomicInteger emitted = new AtomicInteger();
        return tokens.map(output -> {
          if (emitted.incrementAndGet() > 2) throw new IllegalStateException("the model provider is unavailable");
          return output;
        });
      }
    };
    try (EdgeTestKit kit = EdgeTestKit.start("ChatPageIT", "", pacedEcho)) {
      // An earlier conversation of another tenant (the kit's owner): the browser's new tenant must not see it.
      String earlier = kit.createConversation("Shipping question");
      kit.postJson("/api/v1/conversations/" + earlier + "/messages", "{\"content\":\"When will it ship?\"}");
      Instant now = Instant.now();
      kit.directory.add(new ConversationDirectory.Entry(earlier, "Shipping question", now.minusSeconds(300), now, 2,
          "Echo: When will it ship?"));

      Files.createDirectories(SCREENSHOT.getParent());
      Files.deleteIfExists(SCREENSHOT);
      Process node = new ProcessBuilder("node", SCRIPT.toString(), kit.baseUrl + "/", SCREENSHOT.toString())
          .redirectErrorStream(true)
          .redirectOutput(LOG.toFile())
          .start();
      if (!node.waitFor(120, TimeUnit.SECONDS)) {
        node.destroyForcibly();
        fail("the browser test did not finish within 120 s; output: " + Files.readString(LOG));
      }
      String output = Files.readString(LOG);
      assertEquals(0, node.exitValue(), "chat-page.mjs failed (screenshot " + SCREENSHOT + "):\n" + output);
      assertTrue(output.contains("\"ok\":true"), output);
      assertTrue(output.contains("\"reply\":\"Echo: Where is my order 12345?\""), output);
      assertTrue(Files.size(SCREENSHOT) > 10_000, "a screenshot was written to " + SCREENSHOT);
    }
  }

  private static void requireBrowser() {
    String chromium = System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium");
    String missing = null;
    if (!new File(chromium).canExecute()) {
      missing = "Chromium is not installed at " + chromium + " (apt-get install -y chromium)";
    } else if (!nodeRuns()) {
      missing = "node is not on the PATH (apt-get install -y nodejs)";
    } else if (!Files.exists(PLAYWRIGHT)) {
      missing = "playwright-core is not installed (npm install --prefix http-edge/src/test/browser)";
    }
    if (missing == null) return;
    if ("true".equalsIgnoreCase(System.getenv("VOICEHELPER_REQUIRE_BROWSER"))) {
      fail("VOICEHELPER_REQUIRE_BROWSER=true, but " + missing);
    }
    Assumptions.abort("Browser test skipped: " + missing
        + ". Set VOICEHELPER_REQUIRE_BROWSER=true to make this a failure.");
  }

  private static boolean nodeRuns() {
    try {
      Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      node.getInputStream().readAllBytes();
      return node.waitFor(20, TimeUnit.SECONDS) && node.exitValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }
}
