package io.voicehelper.streams.voice.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.SpeechFixtures;
import io.voicehelper.streams.voice.SpeechRecognizer.Transcript;
import io.voicehelper.streams.voice.VoiceOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FreeTtsSynthesizerTest extends EngineTesting {

  private static FreeTtsSynthesizer freeTts;

  @BeforeAll
  static void setUp() {
    freeTts = new FreeTtsSynthesizer(1, EngineTesting.blocking());
  }

  private List<ByteString> speak(String text, VoiceOptions voice) throws Exception {
    return freeTts.synthesize(text, voice).runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  void speaksEnglishAs16kHzPcmIn20msChunks() throws Exception {
    List<ByteString> chunks = speak("how do i reset my password", VoiceOptions.of("en-US"));

    ByteString audio = SpeechFixtures.join(chunks);
    assertTrue(Pcm.millis(audio.size()) > 1500 && Pcm.millis(audio.size()) < 3500, Pcm.millis(audio.size()) + " ms");
    chunks.subList(0, chunks.size() - 1).forEach(chunk -> assertEquals(640, chunk.size()));
    assertEquals(SpeechFixtures.speak("how do i reset my password"), audio, "the fixtures speak the same way");
  }

  @Test
  void rateAndPitchChangeTheVoice() throws Exception {
    String text = "where is my order";
    ByteString normal = SpeechFixtures.join(speak(text, VoiceOptions.of("en")));
    ByteString fast = SpeechFixtures.join(speak(text, new VoiceOptions("en", null, null, 1.5, 1.0)));
    ByteString high = SpeechFixtures.join(speak(text, new VoiceOptions("en", null, null, 1.0, 1.5)));

    assertTrue(fast.size() < normal.size() * 0.8, fast.size() + " vs " + normal.size());
    assertFalse(high.equals(normal));
    assertEquals(normal, SpeechFixtures.join(speak(text, VoiceOptions.of("en"))), "the voice is reset afterwards");
  }

  @Test
  void aCancelledSentenceReleasesTheVoice() throws Exception {
    TestSubscriber.Probe<ByteString> listener = freeTts
        .synthesize("This answer is long. ".repeat(40), VoiceOptions.of("en"))
        .runWith(TestSink.probe(testKit.system().classicSystem()), testKit.system());
    listener.request(1);
    listener.expectNext();

    listener.cancel();

    assertFalse(speak("thank you", VoiceOptions.of("en")).isEmpty(), "the only voice of the pool speaks again");
  }

  @Test
  void speaksEnglishOnly() {
    assertTrue(freeTts.supports("en-GB"));
    assertFalse(freeTts.supports("zh-CN"));
  }

  @Test
  void whatItSaysPocketsphinxHears() throws Exception {
    SpeechFixtures.requireProgram("pocketsphinx_continuous");
    VoiceEngineSettings settings = EngineTesting.settings("");
    SpeechFixtures.requireFile(settings.pocketsphinx().languageModel());
    PocketsphinxRecognizer pocketsphinx = new PocketsphinxRecognizer(
        settings.pocketsphinx(), EngineTesting.blocking(), VoiceEngineSettings.DISPATCHER);

    for (String question : List.of("how do i reset my password", "how do i change my email address")) {
      List<Transcript> heard = freeTts.synthesize(question, VoiceOptions.of("en-US"))
          .via(pocketsphinx.recognize("en-US"))
          .runWith(Sink.seq(), testKit.system())
          .toCompletableFuture().get(60, TimeUnit.SECONDS);

      assertEquals(new Transcript(question, true), heard.get(heard.size() - 1));
    }
  }
}
