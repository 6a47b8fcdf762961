package io.voicehelper.streams.voice.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.voice.SpeechFixtures;
import io.voicehelper.streams.voice.SpeechRecognizer.Transcript;
import io.voicehelper.streams.voice.VoiceOptions;
import io.voicehelper.streams.voice.engine.internal.AzureSsml;
import io.voicehelper.streams.voice.engine.internal.AzureVoices;
import io.voicehelper.streams.voice.engine.internal.RecognitionEvents;
import io.voicehelper.streams.voice.engine.internal.TranscriptAssembler;
import io.voicehelper.streams.voice.engine.internal.TranscriptAssembler.Heard;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Azure Speech: the real SDK against a loopback fake of the service's WebSocket protocol, an unreachable service,
 * and the adapter's parts (SSML, voices, events to transcripts).
 */
class AzureSpeechTest extends EngineTesting {

  private static final VoiceEngineSettings.Azure UNREACHABLE =
      new VoiceEngineSettings.Azure("test-key", "", "", "ws://127.0.0.1:9", Map.of());

  @Test
  void ssmlCarriesVoiceStyleRateAndPitch() {
    String ssml = AzureSsml.build("How can I help?", "en-US", "en-US-JennyNeural", "cheerful", 1.2, 0.5);

    assertEquals("<speak version=\"1.0\" xmlns=\"http://www.w3.org/2001/10/synthesis\""
        + " xmlns:mstts=\"https://www.w3.org/2001/mstts\" xml:lang=\"en-US\"><voice name=\"en-US-JennyNeural\">"
        + "<mstts:express-as style=\"cheerful\"><prosody rate=\"+20%\" pitch=\"-50%\">How can I help?</prosody>"
        + "</mstts:express-as></voice></speak>", ssml);
  }

  @Test
  void ssmlEscapesTextAndIgnoresAStyleThatIsNotAName() {
    String ssml = AzureSsml.build("A < B & \"C\" </prosody><voice name='x'>\u0007", "zh-CN", "zh-CN-XiaoxiaoNeural",
        "cheerful\"><break time=\"9s\"/>", 1.0, 1.0);

    assertTrue(ssml.contains("<prosody rate=\"+0%\" pitch=\"+0%\">A &lt; B &amp; &quot;C&quot; &lt;/prosody&gt;"
        + "&lt;voice name=&apos;x&apos;&gt;</prosody>"), ssml);
    assertFalse(ssml.contains("express-as"), ssml);
    assertFalse(ssml.contains("\u0007"));
  }

  @Test
  void everyLanguageHasADefaultVoice() {
    assertTrue(AzureVoices.VOICES.size() >= 20, AzureVoices.VOICES.size() + " locales");
    assertEquals("en-US-JennyNeural", AzureVoices.voice("en", Map.of()).orElseThrow());
    assertEquals("en-GB-SoniaNeural", AzureVoices.voice("en-GB", Map.of()).orElseThrow());
    assertEquals("zh-CN-XiaoxiaoNeural", AzureVoices.voice("zh-CN", Map.of()).orElseThrow());
    assertEquals("zh-TW-HsiaoChenNeural", AzureVoices.voice("zh-TW", Map.of()).orElseThrow());
    assertEquals("zh-CN-YunxiNeural", AzureVoices.voice("zh-CN", Map.of("zh", "zh-CN-YunxiNeural")).orElseThrow());
    assertEquals("en-US", AzureVoices.locale("en-NZ").orElseThrow());
    assertTrue(AzureVoices.locale("tlh").isEmpty());
  }

  @Test
  void theCallersAzureVoiceWinsButAnotherEnginesVoiceIsIgnored() {
    String own = AzureSpeechSynthesizer.ssml("hi", new VoiceOptions("en-US", "en-US-GuyNeural", null, 1, 1), UNREACHABLE);
    String other = AzureSpeechSynthesizer.ssml("hi", new VoiceOptions("en-US", "kevin16", null, 1, 1), UNREACHABLE);

    assertTrue(own.contains("<voice name=\"en-US-GuyNeural\">"), own);
    assertTrue(other.contains("<voice name=\"en-US-JennyNeural\">"), other);
  }

  private static Pair<RecognitionEvents, CompletionStage<List<Transcript>>> recognition() {
    Pair<BoundedSourceQueue<Heard>, Source<Heard, NotUsed>> queue =
        Source.<Heard>queue(8).preMaterialize(testKit.system());
    CompletionStage<List<Transcript>> transcripts =
        queue.second().via(TranscriptAssembler.flow()).runWith(Sink.seq(), testKit.system());
    return Pair.create(new RecognitionEvents("azure", queue.first()), transcripts);
  }

  @Test
  void recognizingAndRecognizedEventsBecomeTranscripts() throws Exception {
    Pair<RecognitionEvents, CompletionStage<List<Transcript>>> recognition = recognition();
    RecognitionEvents events = recognition.first();

    events.recognizing("how do");
    events.recognizing("how do I reset");
    events.recognized("How do I reset my password?");
    events.recognized("");
    events.recognizing("thanks");
    events.recognized("Thanks.");
    events.canceled(false, "NoError", null);
    events.sessionStopped();

    assertEquals(List.of(
        new Transcript("how do", false),
        new Transcript("how do I reset", false),
        new Transcript("How do I reset my password?", false),
        new Transcript("How do I reset my password? thanks", false),
        new Transcript("How do I reset my password? Thanks.", false),
        new Transcript("How do I reset my password? Thanks.", true)),
        recognition.second().toCompletableFuture().get(5, TimeUnit.SECONDS));
  }

  @Test
  void aCancellationWithAnErrorFailsTheRecognition() {
    Pair<RecognitionEvents, CompletionStage<List<Transcript>>> recognition = recognition();

    recognition.first().canceled(true, "AuthenticationFailure", "WebSocket upgrade failed: 401");

    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> recognition.second().toCompletableFuture().get(5, TimeUnit.SECONDS));
    assertEquals("azure failed: AuthenticationFailure: WebSocket upgrade failed: 401", failure.getCause().getMessage());
  }

  private static AzureSpeech fake(FakeAzureSpeech fake, String key) {
    return new AzureSpeech(new VoiceEngineSettings.Azure(key, "", "", fake.host(), Map.of()), blocking());
  }

  @Test
  void recognizesThroughTheSdkWithPartialsAndAFinal() throws Exception {
    ByteString speech = SpeechFixtures.speak("how do i reset my password");
    try (FakeAzureSpeech fake = FakeAzureSpeech.start(testKit.system(), "how do I", "How do I reset my password?",
        ByteString.emptyByteString())) {
      List<Transcript> heard = Source.from(SpeechFixtures.frames(speech, 20))
          .via(new AzureSpeechRecognizer(fake(fake, FakeAzureSpeech.KEY)).recognize("en"))
          .runWith(Sink.seq(), testKit.system())
          .toCompletableFuture().get(60, TimeUnit.SECONDS);

      assertEquals(List.of(
          new Transcript("how do I", false),
          new Transcript("How do I reset my password?", false),
          new Transcript("How do I reset my password?", true)), heard);
      assertEquals(speech, fake.audioReceived.get(0), "the service got the caller's audio as it was");
    }
  }

  @Test
  void synthesizesThroughTheSdkIn20msChunks() throws Exception {
    ByteString speech = SpeechFixtures.tone(700, 440, -6);
    try (FakeAzureSpeech fake = FakeAzureSpeech.start(testKit.system(), "", "", speech)) {
      List<ByteString> chunks = new AzureSpeechSynthesizer(fake(fake, FakeAzureSpeech.KEY))
          .synthesize("您好 & 再见", new VoiceOptions("zh-CN", null, "cheerful", 0.8, 1.0))
          .runWith(Sink.seq(), testKit.system())
          .toCompletableFuture().get(60, TimeUnit.SECONDS);

      assertEquals(speech, SpeechFixtures.join(chunks));
      chunks.forEach(chunk -> assertEquals(640, chunk.size()));
      assertEquals(List.of(AzureSsml.build("您好 & 再见", "zh-CN", "zh-CN-XiaoxiaoNeural", "cheerful", 0.8, 1.0)),
          fake.ssmlReceived);
    }
  }

  @Test
  void aWrongKeyFailsTheRecognitionWithAzuresError() throws Exception {
    try (FakeAzureSpeech fake = FakeAzureSpeech.start(testKit.system(), "", "", ByteString.emptyByteString())) {
      ExecutionException failure = assertThrows(ExecutionException.class, () ->
          Source.from(SpeechFixtures.frames(SpeechFixtures.silence(200), 20))
              .via(new AzureSpeechRecognizer(fake(fake, "wrong-key")).recognize("en-US"))
              .runWith(Sink.seq(), testKit.system())
              .toCompletableFuture().get(60, TimeUnit.SECONDS));

      SpeechEngineException error = assertInstanceOf(SpeechEngineException.class, failure.getCause());
      assertTrue(error.getMessage().startsWith("azure failed: AuthenticationFailure"), error.getMessage());
    }
  }

  @Test
  void withoutTheServiceRecognitionFailsWithAzuresError() {
    AzureSpeechRecognizer azure = new AzureSpeechRecognizer(new AzureSpeech(UNREACHABLE, blocking()));

    ExecutionException failure = assertThrows(ExecutionException.class, () ->
        Source.from(SpeechFixtures.frames(SpeechFixtures.silence(400), 20))
            .via(azure.recognize("en-US"))
            .runWith(Sink.seq(), testKit.system())
            .toCompletableFuture().get(30, TimeUnit.SECONDS));

    SpeechEngineException error = assertInstanceOf(SpeechEngineException.class, failure.getCause());
    assertTrue(error.getMessage().startsWith("azure failed: ConnectionFailure"), error.getMessage());
  }

  @Test
  void withoutTheServiceSynthesisFailsWithAzuresError() {
    AzureSpeechSynthesizer azure = new AzureSpeechSynthesizer(new AzureSpeech(UNREACHABLE, blocking()));

    ExecutionException failure = assertThrows(ExecutionException.class, () ->
        azure.synthesize("Hello", VoiceOptions.of("en-US"))
            .runWith(Sink.seq(), testKit.system())
            .toCompletableFuture().get(30, TimeUnit.SECONDS));

    SpeechEngineException error = assertInstanceOf(SpeechEngineException.class, failure.getCause());
    assertTrue(error.getMessage().startsWith("Azure Speech synthesis failed: ConnectionFailure"), error.getMessage());
  }
}
