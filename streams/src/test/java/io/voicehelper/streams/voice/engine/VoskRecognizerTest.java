package io.voicehelper.streams.voice.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.voice.SpeechFixtures;
import io.voicehelper.streams.voice.SpeechRecognizer.Transcript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vosk.LibVosk;
import org.vosk.LogLevel;

class VoskRecognizerTest extends EngineTesting {


  /** Answers each chunk with the next scripted JSON: "partial" ones as partial results, others as segments. */
  private static final class ScriptedDecoder implements VoskRecognizer.Decoder {
    private final Deque<String> script;
    private final String finalResult;
    private final AtomicBoolean closed = new AtomicBoolean();
    private String result = "";

    ScriptedDecoder(List<String> script, String finalResult) {
      this.script = new ArrayDeque<>(script);
      this.finalResult = finalResult;
    }

    @Override
    public boolean accept(byte[] pcm) {
      result = script.isEmpty() ? "{\"partial\" : \"\"}" : script.poll();
      return !result.contains("partial");
    }

    @Override
    public String partialResult() {
      return result;
    }

    @Override
    public String result() {
      return result;
    }

    @Override
    public String finalResult() {
      return finalResult;
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  private List<Transcript> recognize(ScriptedDecoder decoder, int chunks) throws Exception {
    return Source.from(SpeechFixtures.frames(SpeechFixtures.silence(20L * chunks), 20))
        .via(VoskRecognizer.recognize(() -> decoder, EngineTesting.blocking()))
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void partialAndFinalResultsBecomeTranscripts() throws Exception {
    ScriptedDecoder decoder = new ScriptedDecoder(List.of(
        "{\n  \"partial\" : \"如何\"\n}", "{\n  \"partial\" : \"如何 重置\"\n}", "{\n  \"partial\" : \"如何 重置\"\n}",
        "{\n  \"text\" : \"如何 重置 密码\"\n}", "{\n  \"partial\" : \"\"\n}", "{\n  \"partial\" : \"谢谢\"\n}"),
        "{\n  \"text\" : \"谢谢\"\n}");

    List<Transcript> heard = recognize(decoder, 6);

    assertEquals(List.of(
        new Transcript("如何", false),
        new Transcript("如何 重置", false),
        new Transcript("如何 重置 密码", false),
        new Transcript("如何 重置 密码 谢谢", false),
        new Transcript("如何 重置 密码 谢谢", true)), heard);
    TestProbe<Void> waiter = testKit.createTestProbe();
    waiter.awaitAssert(Duration.ofSeconds(3), () -> {
      assertTrue(decoder.closed.get(), "the native recognizer is freed");
      return null;
    });
  }

  @Test
  void silenceIsAnEmptyFinalTranscript() throws Exception {
    assertEquals(List.of(new Transcript("", true)),
        recognize(new ScriptedDecoder(List.of(), "{\"text\" : \"\"}"), 3));
  }

  @Test
  void readsVoskJson() {
    assertEquals("how are you", VoskRecognizer.field("{\n  \"text\" : \"how are you\"\n}", "text"));
    assertEquals("", VoskRecognizer.field("{\"partial\" : \"\"}", "text"));
    assertThrows(SpeechEngineException.class, () -> VoskRecognizer.field("{not json", "text"));
  }

  @Test
  void theNativeLibraryLoads() {
    LibVosk.setLogLevel(LogLevel.WARNINGS);
    try (VoskRecognizer none = VoskRecognizer.load(Map.of(), EngineTesting.blocking())) {
      assertFalse(none.supports("en-US"));
    }
  }

  @Test
  void aMissingModelDirectoryStopsTheStartWithItsPath() {
    SpeechEngineException error = assertThrows(SpeechEngineException.class, () ->
        VoskRecognizer.load(Map.of("zh", Path.of("/nonexistent/vosk-model-cn")), EngineTesting.blocking()));

    assertEquals("Vosk model for zh (voicehelper.voice.asr.vosk) at /nonexistent/vosk-model-cn: no such directory",
        error.getMessage());
  }

  @Test
  void aDirectoryThatIsNotAModelStopsTheStart(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("conf"));
    Files.writeString(dir.resolve("conf/mfcc.conf"), "--sample-frequency=16000\n");

    SpeechEngineException error = assertThrows(SpeechEngineException.class, () ->
        VoskRecognizer.load(Map.of("zh", dir), EngineTesting.blocking()));

    assertTrue(error.getMessage().contains("not a Vosk model (missing am/final.mdl)"), error.getMessage());
  }

  @Test
  void aModelVoskCannotReadStopsTheStart(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("am"));
    Files.createDirectories(dir.resolve("conf"));
    Files.writeString(dir.resolve("am/final.mdl"), "not a model");
    Files.writeString(dir.resolve("conf/mfcc.conf"), "--sample-frequency=16000\n");

    SpeechEngineException error = assertThrows(SpeechEngineException.class, () ->
        VoskRecognizer.load(Map.of("zh", dir), EngineTesting.blocking()));

    assertTrue(error.getMessage().contains("Vosk could not load it"), error.getMessage());
  }
}
