package io.voicehelper.streams.voice.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.SpeechFixtures;
import io.voicehelper.streams.voice.SpeechRecognizer.Transcript;
import io.voicehelper.streams.voice.VoiceOptions;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * Azure Speech for real: runs when AZURE_SPEECH_KEY and AZURE_SPEECH_REGION (or _ENDPOINT / _HOST) are set, e.g.
 * {@code AZURE_SPEECH_KEY=... AZURE_SPEECH_REGION=westeurope mvn -o -B -pl streams -am verify -Dit.test=AzureSpeechIT
 * -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false}.
 */
@EnabledIfEnvironmentVariable(named = "AZURE_SPEECH_KEY", matches = ".+")
class AzureSpeechIT extends EngineTesting {

  @Test
  void whatAzureSaysAzureHears() throws Exception {
    AzureSpeech azure = new AzureSpeech(settings("").azure(), blocking());
    AzureSpeechSynthesizer tts = new AzureSpeechSynthesizer(azure);
    AzureSpeechRecognizer asr = new AzureSpeechRecognizer(azure);

    List<ByteString> audio = tts.synthesize("How do I reset my password?",
            new VoiceOptions("en-US", null, "cheerful", 1.1, 1.0))
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    long millis = Pcm.millis(SpeechFixtures.join(audio).size());
    assertTrue(millis > 800 && millis < 5000, millis + " ms");

    List<Transcript> heard = Source.from(audio).concat(Source.single(SpeechFixtures.silence(500)))
        .via(asr.recognize("en-US"))
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    Transcript last = heard.get(heard.size() - 1);
    assertTrue(last.isFinal());
    assertTrue(last.text().toLowerCase(Locale.ROOT).contains("reset my password"), last.text());
  }

  @Test
  void speaksMandarin() throws Exception {
    AzureSpeechSynthesizer tts = new AzureSpeechSynthesizer(new AzureSpeech(settings("").azure(), blocking()));

    List<ByteString> audio = tts.synthesize("您好，请问有什么可以帮您？", VoiceOptions.of("zh-CN"))
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertEquals(640, audio.get(0).size());
    assertTrue(Pcm.millis(SpeechFixtures.join(audio).size()) > 1000);
  }
}
