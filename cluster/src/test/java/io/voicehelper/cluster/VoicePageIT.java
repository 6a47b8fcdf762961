package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.edge.http.BrowserScript;
import io.voicehelper.streams.voice.SpeechFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The "done means" for voice, in a real browser against a whole node: a new user speaks an English question
 * whose answer is in the bundled knowledge base and hears the answer. {@code http-edge/src/test/browser/voice-page.mjs}
 * runs Debian's Chromium with a fake microphone playing a WAV that FreeTTS (kevin16) speaks here, "how do I reset my
 * password" between silences; it signs up on the chat page, waits until the sample collection is indexed, starts a
 * call on the voice page and checks the final transcript's words, the reply citing {@code account-and-privacy.md},
 * the reply's audio frames played, and, after Stop, the turn in the chat page's conversation.
 *
 * <p>Skipped without Chromium or playwright-core unless {@code VOICEHELPER_REQUIRE_BROWSER} is {@code true} (see
 * {@link BrowserScript}), and without pocketsphinx unless {@code VOICEHELPER_REQUIRE_SPEECH} is {@code true}.
 */
@Timeout(300)
class VoicePageIT {

  private static final String QUESTION = "how do I reset my password";

  @Test
  void aNewUserAsksAloudAndHearsTheAnswerFromTheSampleKnowledgeBase() throws Exception {
    BrowserScript.require();
    SpeechFixtures.requireProgram("pocketsphinx_continuous");
    Path wav = Path.of("target", "voice-page-question.wav").toAbsolutePath();
    Files.createDirectories(wav.getParent());
    // A second of silence first (the page opens the microphone once the call has started), three after it for the
    // end of the turn; the fake device then goes silent.
    SpeechFixtures.writeWav(wav, SpeechFixtures.join(List.of(
        SpeechFixtures.silence(1_000), SpeechFixtures.speak(QUESTION), SpeechFixtures.silence(3_000))));
    try (SingleNode node = SingleNode.start("voice-page", "voicehelper.knowledge.sample.enabled = on")) {
      String output = BrowserScript.run("voice-page.mjs", node.api, Duration.ofSeconds(260), wav.toString());
      assertTrue(output.contains("account-and-privacy.md"), output);
    }
  }
}
