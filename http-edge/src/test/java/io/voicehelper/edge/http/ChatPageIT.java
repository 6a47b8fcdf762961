package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.conversation.ConversationDirectory;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.ScriptedReplyGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The chat page in a real browser: Debian's Chromium driven by {@code src/test/browser/chat-page.mjs} (playwright-core)
 * against the edge on a free port, with replies from the echo generator paced like a model's tokens (and broken off
 * when the message says {@code [fail]}).
 *
 * <p>Skipped when Chromium, Node or the script's node_modules are missing, unless {@code VOICEHELPER_REQUIRE_BROWSER}
 * is {@code true}: then it fails, so CI cannot pass without running it (see {@link BrowserScript}).
 */
@Timeout(150)
class ChatPageIT {

  @Test
  void aVisitorSignsUpCreatesAConversationAndWatchesTheReplyStreamIn() throws Exception {
    BrowserScript.require();
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

      String output = BrowserScript.run("chat-page.mjs", kit.baseUrl, Duration.ofSeconds(120));
      assertTrue(output.contains("\"reply\":\"Echo: Where is my order 12345?\""), output);
    }
  }
}
