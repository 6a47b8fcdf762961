package io.voicehelper.edge.http;

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
 * Runs one of {@code http-edge/src/test/browser}'s scripts (playwright-core driving Debian's Chromium) against an edge
 * or a whole node and checks that it passed: exit code 0, an {@code "ok":true} line, a screenshot. Its output goes to
 * {@code target/<script>.log}, its screenshot to {@code target/<script>.png}. Used from http-edge and (through its
 * test-jar) from cluster.
 *
 * <p>{@link #require()} skips the calling test when Chromium, Node or the scripts' node_modules are missing, unless
 * {@code VOICEHELPER_REQUIRE_BROWSER} is {@code true}: then it fails, so CI cannot pass without running it.
 */
public final class BrowserScript {

  /** The scripts' folder, from http-edge or from a sibling module such as cluster. */
  private static final Path DIR = Files.isDirectory(Path.of("src/test/browser"))
      ? Path.of("src/test/browser") : Path.of("../http-edge/src/test/browser");
  private static final Path PLAYWRIGHT = DIR.resolve("node_modules/playwright-core/package.json");

  private BrowserScript() {}

  /** Skips (or, with {@code VOICEHELPER_REQUIRE_BROWSER=true}, fails) the test when the browser cannot run. */
  public static void require() {
    String chromium = System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium");
    String missing = null;
    if (!new File(chromium).canExecute()) {
      missing = "Chromium is not installed at " + chromium + " (apt-get install -y chromium)";
    } else if (!nodeRuns()) {
      missing = "node is not on the PATH (apt-get install -y nodejs)";
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
   * Runs {@code script} (e.g. {@code chat-page.mjs}) with the root of {@code url} (the edge's base URL or a node's
   * {@code http://127.0.0.1:8080/api/v1}), the screenshot path and {@code more} arguments; fails unless it passed
   * within {@code within}. Returns its output.
   */
  public static String run(String script, String url, Duration within, String... more) throws Exception {
    String name = script.replaceFirst("\\.mjs$", "");
    Path screenshot = Path.of("target", name + ".png");
    Path log = Path.of("target", name + ".log");
    Files.createDirectories(screenshot.getParent());
    Files.deleteIfExists(screenshot);
    List<String> command = new ArrayList<>(List.of("node", DIR.resolve(script).toString(),
        URI.create(url).resolve("/").toString(), screenshot.toString()));
    command.addAll(List.of(more));
    Process node = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!node.waitFor(within.toSeconds(), TimeUnit.SECONDS)) {
      node.destroyForcibly();
      fail(script + " did not finish within " + within.toSeconds() + " s; output: " + Files.readString(log));
    }
    String output = Files.readString(log);
    assertEquals(0, node.exitValue(), script + " failed (screenshot " + screenshot + "):\n" + output);
    assertTrue(output.contains("\"ok\":true"), output);
    assertTrue(Files.size(screenshot) > 10_000, "a screenshot was written to " + screenshot);
    return output;
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
