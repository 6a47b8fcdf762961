package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs one of {@code http-edge/src/test/browser}'s scripts (playwright-core driving Debian's Chromium) against a node
 * and checks that it passed: exit code 0, a {@code "ok":true} line, a screenshot. Its output goes to
 * {@code target/<script>.log}, its screenshot to {@code target/<script>.png}.
 *
 * <p>{@link #require()} skips the calling test when Chromium or the script's node_modules are missing, unless
 * {@code VOICEHELPER_REQUIRE_BROWSER} is {@code true}: then it fails, so CI cannot pass without running it.
 */
final class BrowserScript {

  private static final Path DIR = Path.of("../http-edge/src/test/browser");
  private static final Path PLAYWRIGHT = DIR.resolve("node_modules/playwright-core/package.json");

  private BrowserScript() {}

  /** Skips (or, with {@code VOICEHELPER_REQUIRE_BROWSER=true}, fails) the test when the browser cannot run. */
  static void require() {
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

  /**
   * Runs {@code script} (e.g. {@code knowledge-page.mjs}) with the node's root URL (from its {@code api}, e.g.
   * {@code http://127.0.0.1:8080/api/v1}), the screenshot path and {@code more} arguments; fails unless it passed
   * within {@code within}. Returns its output.
   */
  static String run(String script, String api, Duration within, String... more) throws Exception {
    String name = script.replaceFirst("\\.mjs$", "");
    Path screenshot = Path.of("target", name + ".png");
    Path log = Path.of("target", name + ".log");
    Files.createDirectories(screenshot.getParent());
    Files.deleteIfExists(screenshot);
    List<String> command = new ArrayList<>(List.of("node", DIR.resolve(script).toString(),
        URI.create(api).resolve("/").toString(), screenshot.toString()));
    command.addAll(List.of(more));
    Process browser = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    if (!browser.waitFor(within.toSeconds(), TimeUnit.SECONDS)) {
      browser.destroyForcibly();
      fail(script + " did not finish within " + within.toSeconds() + " s; output: " + Files.readString(log));
    }
    String output = Files.readString(log);
    assertEquals(0, browser.exitValue(), script + " failed (screenshot " + screenshot + "):\n" + output);
    assertTrue(output.contains("\"ok\":true"), output);
    assertTrue(Files.size(screenshot) > 10_000, "a screenshot was written to " + screenshot);
    return output;
  }
}
