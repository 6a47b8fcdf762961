package io.voicehelper.streams.voice.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.SpeechFixtures;
import io.voicehelper.streams.voice.VoiceOptions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EspeakSynthesizerTest extends EngineTesting {

  private static final String PROGRAM = "espeak-ng";
  private static EspeakSynthesizer espeak;

  @BeforeAll
  static void setUp() {
    VoiceEngineSettings settings = EngineTesting.settings("");
    espeak = new EspeakSynthesizer(settings.espeak(), EspeakSynthesizer.installedVoices(PROGRAM),
        EngineTesting.blocking(), VoiceEngineSettings.DISPATCHER);
  }

  @BeforeEach
  void requireEspeak() {
    SpeechFixtures.requireProgram(PROGRAM);
  }

  private List<ByteString> speak(String text, VoiceOptions voice) throws Exception {
    return espeak.synthesize(text, voice).runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static long millis(List<ByteString> chunks) {
    return Pcm.millis(SpeechFixtures.join(chunks).size());
  }

  @Test
  void speaksEnglishAs16kHzPcmIn20msChunks() throws Exception {
    List<ByteString> chunks = speak("How do I reset my password?", VoiceOptions.of("en-US"));

    assertTrue(millis(chunks) > 1000 && millis(chunks) < 4000, millis(chunks) + " ms");
    chunks.subList(0, chunks.size() - 1).forEach(chunk -> assertEquals(640, chunk.size()));
    assertTrue(Pcm.rmsDbfs(Pcm.samples(SpeechFixtures.join(chunks))) > -40, "audible");
  }

  @Test
  void speaksMandarin() throws Exception {
    List<ByteString> chunks = speak("如何重置密码？请登录后点击设置。", VoiceOptions.of("zh-CN"));

    assertTrue(millis(chunks) > 1500 && millis(chunks) < 8000, millis(chunks) + " ms");
    assertTrue(Pcm.rmsDbfs(Pcm.samples(SpeechFixtures.join(chunks))) > -40, "audible");
  }

  @Test
  void aFasterRateIsShorter() throws Exception {
    String text = "Your refund is sent within five working days.";
    long normal = millis(speak(text, VoiceOptions.of("en")));
    long fast = millis(speak(text, new VoiceOptions("en", null, null, 2.0, 1.0)));

    assertTrue(fast < normal * 0.7, fast + " ms vs " + normal + " ms");
  }

  @Test
  void textIsNeverReadAsOptionsOrPhonemes() throws Exception {
    long plain = millis(speak("hello", VoiceOptions.of("en")));
    long sneaky = millis(speak("--help", VoiceOptions.of("en")));
    long phonemes = millis(speak("[[h@'loU]]", VoiceOptions.of("en")));

    assertTrue(plain > 200 && sneaky > 200, "spoken as words, not an option: " + sneaky + " ms");
    assertTrue(phonemes > 200, "the brackets are dropped and the rest read out: " + phonemes + " ms");
  }

  @Test
  void choosesVoicesByLanguage() {
    assertEquals(Optional.of("en-us"), espeak.voiceFor("en-US"));
    assertEquals(Optional.of("en-gb"), espeak.voiceFor("en-GB"));
    assertEquals(Optional.of("cmn"), espeak.voiceFor("zh-CN"));
    assertEquals(Optional.of("de"), espeak.voiceFor("de-DE"));
    assertEquals(Optional.empty(), espeak.voiceFor("tlh-KL"));
    assertFalse(espeak.supports("xx"));
  }

  @Test
  void cancellingKillsTheProcess() {
    int before = EngineTesting.running(PROGRAM).size();
    String text = "This is a long answer that keeps going. ".repeat(60);
    TestSubscriber.Probe<ByteString> listener = espeak.synthesize(text, VoiceOptions.of("en"))
        .runWith(TestSink.probe(testKit.system().classicSystem()), testKit.system());
    listener.request(1);
    assertEquals(640, listener.expectNext().size());
    assertEquals(before + 1, EngineTesting.running(PROGRAM).size(), "still speaking, held back by the listener");

    listener.cancel();

    expectRunning(PROGRAM, before);
  }
}
