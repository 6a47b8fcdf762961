package io.voicehelper.cluster;

import io.voicehelper.edge.http.BrowserScript;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The knowledge page in a real browser against a whole node with its embedded defaults: Debian's Chromium driven by
 * {@code http-edge/src/test/browser/knowledge-page.mjs} (playwright-core) signs up, creates and renames a collection,
 * uploads a Markdown file and a second version of it, waits for both to be indexed, downloads the first version and
 * restores it.
 *
 * <p>Skipped when Chromium, Node or the script's node_modules are missing, unless {@code VOICEHELPER_REQUIRE_BROWSER}
 * is {@code true}: then it fails, so CI cannot pass without running it (see {@link BrowserScript}).
 */
@Timeout(240)
class KnowledgePageIT {

  @Test
  void aNewUserUploadsADocumentAndSeesItsVersionsIndexed() throws Exception {
    BrowserScript.require();
    try (SingleNode node = SingleNode.start("knowledge-page")) {
      BrowserScript.run("knowledge-page.mjs", node.api, Duration.ofSeconds(200));
    }
  }
}
