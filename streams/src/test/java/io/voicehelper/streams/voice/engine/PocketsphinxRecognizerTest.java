package io.voicehelper.streams.voice.engine;

import static io.voicehelper.streams.voice.SpeechFixtures.frames;
import static io.voicehelper.streams.voice.SpeechFixtures.silence;
import static io.voicehelper.streams.voice.SpeechFixtures.speak;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.voice.SpeechFixtures;
import io.voicehelper.streams.voice.SpeechRecognizer.Transcript;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.testkit.TestPublisher;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSource;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PocketsphinxRecognizerTest extends EngineTesting {

  private static final String PROGRAM = "pocketsphinx_continuous";
  private static VoiceEngineSettings settings;

  @BeforeAll
  static void setUp() {
    settings = EngineTesting.settings("");
  }

  @BeforeEach
  void requirePocketsphinx() {
    SpeechFixtures.requireProgram(PROGRAM);
    SpeechFixtures.requireFile(settings.pocketsphinx().languageModel());
  }

  private PocketsphinxRecognizer recognizer(VoiceEngineSettings.Pocketsphinx pocketsphinx) {
    return new PocketsphinxRecognizer(pocketsphinx, EngineTesting.blocking(), VoiceEngineSettings.DISPATCHER);
  }

  private List<Transcript> recognize(ByteString audio) throws Exception {
    return Source.from(frames(audio, 20))
        .via(recognizer(settings.pocketsphinx()).recognize("en-US"))
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  void hearsWhatFreeTtsSays() throws Exception {
    long started = System.nanoTime();
    List<Transcript> heard = recognize(silence(300).concat(speak("how do i reset my password")).concat(silence(300)));
    long millis = (System.nanoTime() - started) / 1_000_000;

    Transcript last = heard.get(heard.size() - 1);
    assertTrue(last.isFinal());
    assertEquals("how do i reset my password", last.text(), "took " + millis + " ms");
    assertEquals(1, heard.stream().filter(Transcript::isFinal).count());
  }

  @Test
  void hearsAnotherSupportQuestion() throws Exception {
    List<Transcript> heard = recognize(speak("how do i cancel my subscription"));

    String text = heard.get(heard.size() - 1).text();
    for (String word : List.of("how", "cancel", "my", "subscription")) {
      assertTrue(text.contains(word), text);
    }
  }

  @Test
  void givesEachSegmentAsAPartialAndJoinsThemInTheFinal() throws Exception {
    List<Transcript> heard = recognize(
        speak("the printer does not turn on").concat(silence(1000)).concat(speak("where is my order")));

    assertFalse(heard.get(0).isFinal(), heard.toString());
    assertEquals("the printer does not turn on", heard.get(0).text());
    assertEquals(new Transcript("the printer does not turn on where is my order", true), heard.get(heard.size() - 1));
  }

  @Test
  void noAudioIsAnEmptyFinalTranscript() throws Exception {
    assertEquals(List.of(new Transcript("", true)), recognize(ByteString.emptyByteString()));
  }

  @Test
  void cancellingKillsTheProcess() {
    int before = EngineTesting.running(PROGRAM).size();
    Pair<TestPublisher.Probe<ByteString>, TestSubscriber.Probe<Transcript>> probes = recognizing(before);

    probes.second().cancel();

    probes.first().expectCancellation();
    expectRunning(PROGRAM, before);
  }

  @Test
  void failingAudioKillsTheProcessAndFailsTheRecognition() {
    int before = EngineTesting.running(PROGRAM).size();
    Pair<TestPublisher.Probe<ByteString>, TestSubscriber.Probe<Transcript>> probes = recognizing(before);

    probes.first().sendError(new IllegalStateException("client went away"));

    assertEquals("client went away", probes.second().expectError().getMessage());
    expectRunning(PROGRAM, before);
  }

  /** A recognition that has heard some speech and whose process runs. */
  private Pair<TestPublisher.Probe<ByteString>, TestSubscriber.Probe<Transcript>> recognizing(int before) {
    Pair<TestPublisher.Probe<ByteString>, TestSubscriber.Probe<Transcript>> probes =
        TestSource.<ByteString>probe(testKit.system().classicSystem())
            .via(recognizer(settings.pocketsphinx()).recognize("en"))
            .toMat(TestSink.probe(testKit.system().classicSystem()), Keep.both())
            .run(testKit.system());
    probes.second().request(10);
    frames(speak("where is my order"), 20).forEach(probes.first()::sendNext);
    expectRunning(PROGRAM, before + 1);
    return probes;
  }


  @Test
  void aBrokenModelFailsWithThePocketsphinxError() {
    VoiceEngineSettings.Pocketsphinx broken = new VoiceEngineSettings.Pocketsphinx(
        PROGRAM, Path.of("/nonexistent/model"), settings.pocketsphinx().dictionary(),
        settings.pocketsphinx().languageModel(), "", List.of(), List.of("en"));

    ExecutionException failure = assertThrows(ExecutionException.class, () -> Source.from(frames(silence(200), 20))
        .via(recognizer(broken).recognize("en"))
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(60, TimeUnit.SECONDS));

    SpeechEngineException error = assertInstanceOf(SpeechEngineException.class, failure.getCause());
    assertTrue(error.getMessage().startsWith("pocketsphinx exited with"), error.getMessage());
    assertTrue(PocketsphinxRecognizer.unavailable(broken).isPresent());
  }

  @Test
  void speaksOnlyTheConfiguredLanguages() {
    PocketsphinxRecognizer recognizer = recognizer(settings.pocketsphinx());
    assertTrue(recognizer.supports("en-GB"));
    assertFalse(recognizer.supports("zh-CN"));
    assertEquals(java.util.Optional.empty(), PocketsphinxRecognizer.unavailable(settings.pocketsphinx()));
  }
}
