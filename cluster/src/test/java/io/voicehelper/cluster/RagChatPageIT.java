package io.voicehelper.cluster;

import io.voicehelper.edge.http.BrowserScript;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The "done means" for the bundled knowledge base, in a real browser against a whole node with its embedded
 * defaults and no language model: {@code http-edge/src/test/browser/rag-chat-page.mjs} signs up a new tenant on the
 * chat page, waits on the knowledge page until the sample collection's 14 documents are indexed, then asks in
 * Chinese and in English and sees each extractive answer stream in and cite the right document and version, and asks
 * a question outside the documents and gets the honest "not covered" answer with no sources.
 *
 * <p>Skipped without Chromium or playwright-core unless {@code VOICEHELPER_REQUIRE_BROWSER} is {@code true} (see
 * {@link BrowserScript}).
 */
@Timeout(300)
class RagChatPageIT {

  @Test
  void aNewUserAsksTheSampleKnowledgeBaseInChineseAndEnglish() throws Exception {
    BrowserScript.require();
    try (SingleNode node = SingleNode.start("rag-chat-page",
        "voicehelper.knowledge.sample.enabled = on",
        // The product's pace (the test default streams unpaced), so the page can be seen receiving the reply in steps.
        "voicehelper.llm.template.tokens-per-second = 40")) {
      BrowserScript.run("rag-chat-page.mjs", node.api, Duration.ofSeconds(260));
    }
  }
}
