package io.voicehelper.streams.voice.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.voice.SpeechFixtures;
import io.voicehelper.streams.voice.SpeechRecognizer.Transcript;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DomainLanguageModelTest extends EngineTesting {

  private static final String FAQ = """
      Can I get a refund? You can get a refund within thirty days of delivery.
      How long is the warranty? The warranty lasts two years from the date of purchase.
      How do I reset my password? Open the login page and choose forgot password.
      My package arrived damaged. Send us a photo and we replace the item.
      Where is my order? Your order page shows where your package is.
      How do I cancel my subscription? Open your account settings and choose cancel.
      """;

  @Test
  void countsOnlySentencesTheDictionaryCanPronounce() {
    DomainLanguageModel model = DomainLanguageModel.fromTexts(
        Stream.of("Reset my password. Reset my Xylokrat. "), Set.of("reset", "my", "password"));

    assertEquals(1, model.sentences());
    assertEquals(Set.of("reset", "my", "password"), model.words());
    String arpa = model.toArpa();
    assertTrue(arpa.startsWith("\\data\\\nngram 1=5\nngram 2=4\n"), arpa);
    assertTrue(arpa.contains("-99.0000 <s> "), arpa);
    assertTrue(arpa.contains(" reset my\n"), arpa);
    assertTrue(arpa.endsWith("\\end\\\n"));
    assertThrows(IllegalArgumentException.class,
        () -> DomainLanguageModel.fromTexts(Stream.of("Xylokrat!"), Set.of("reset")));
  }

  @Test
  void aModelOfTheFaqMakesPocketsphinxHearItsQuestions(@TempDir Path dir) throws Exception {
    SpeechFixtures.requireProgram("pocketsphinx_continuous");
    VoiceEngineSettings.Pocketsphinx general = settings("").pocketsphinx();
    SpeechFixtures.requireFile(general.dictionary());
    Path lm = dir.resolve("faq.lm");
    DomainLanguageModel.fromTexts(Stream.of(FAQ), DomainLanguageModel.dictionaryWords(general.dictionary())).write(lm);
    PocketsphinxRecognizer domain = new PocketsphinxRecognizer(new VoiceEngineSettings.Pocketsphinx(
        general.binary(), general.modelDir(), general.dictionary(), lm, "", List.of(), List.of("en")),
        blocking(), VoiceEngineSettings.DISPATCHER);

    // the general model hears "can i go to respond" and "how long is warranted"
    for (String question : List.of("can i get a refund", "how long is the warranty")) {
      List<Transcript> heard = Source.from(SpeechFixtures.frames(SpeechFixtures.speak(question), 20))
          .via(domain.recognize("en-US"))
          .runWith(Sink.seq(), testKit.system())
          .toCompletableFuture().get(60, TimeUnit.SECONDS);

      assertEquals(new Transcript(question, true), heard.get(heard.size() - 1));
    }
    assertFalse(DomainLanguageModel.dictionaryWords(general.dictionary()).contains("xylokrat"));
  }
}
