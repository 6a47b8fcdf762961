package io.voicehelper.streams.voice.engine;

import com.microsoft.cognitiveservices.speech.SpeechConfig;
import com.microsoft.cognitiveservices.speech.SpeechSynthesisCancellationDetails;
import com.microsoft.cognitiveservices.speech.SpeechSynthesisOutputFormat;
import com.microsoft.cognitiveservices.speech.SpeechSynthesisResult;
import io.voicehelper.streams.voice.SpeechSynthesizer;
import io.voicehelper.streams.voice.VoiceOptions;
import io.voicehelper.streams.voice.engine.internal.AzureSsml;
import io.voicehelper.streams.voice.engine.internal.AzureVoices;
import io.voicehelper.streams.voice.engine.internal.PcmChunks;
import io.voicehelper.streams.voice.engine.internal.Unsupported;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Speech by Azure Speech (cloud neural voices): SSML with the caller's style ({@code mstts:express-as}), rate and
 * pitch, in a default voice per language ({@link AzureVoices}, overridable) or the caller's Azure voice name; the
 * audio, Raw16Khz16BitMonoPcm, comes out in 20 ms chunks as Azure sends it (its {@code synthesizing} events; a
 * sentence's audio fits the bounded queue many times over). Cancelling the source stops the synthesis.
 */
public final class AzureSpeechSynthesizer extends AzureSpeech.Engine implements SpeechSynthesizer {

  private static final Pattern AZURE_VOICE = Pattern.compile("[a-z]{2,3}-[A-Za-z]{2,4}(-[A-Za-z]+)?-\\w+");
  private static final int CHUNK = 640;
  private static final int QUEUED_PARTS = 1024;

  public AzureSpeechSynthesizer(AzureSpeech azure) {
    super(azure);
  }

  @Override
  public boolean supports(String language) {
    return AzureVoices.voice(language, azure.settings().voices()).isPresent();
  }

  @Override
  public Source<ByteString, NotUsed> synthesize(String text, VoiceOptions options) {
    if (text.isBlank()) return Source.empty();
    if (!supports(options.language())) return Unsupported.synthesis("Azure Speech is not set up for " + options.language());
    String ssml = ssml(text, options, azure.settings());
    return Source.<ByteString, NotUsed>fromMaterializer((materializer, attributes) -> {
          Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> audio =
              Source.<ByteString>queue(QUEUED_PARTS).preMaterialize(materializer);
          Speaking speaking;
          try {
            speaking = new Speaking(ssml, audio.first());
          } catch (RuntimeException e) {
            audio.first().complete();
            return Source.failed(new SpeechEngineException("Azure Speech could not start: " + e.getMessage(), e));
          }
          return audio.second().watchTermination((notUsed, done) -> {
            done.whenComplete((ok, failure) -> azure.blocking().execute(speaking::close));
            return notUsed;
          });
        })
        .mapMaterializedValue(started -> NotUsed.notUsed())
        .via(PcmChunks.of(CHUNK));
  }

  /** The SSML spoken for {@code text}: the caller's Azure voice if it names one, else the language's default. */
  static String ssml(String text, VoiceOptions options, VoiceEngineSettings.Azure azure) {
    String locale = AzureVoices.locale(options.language())
        .orElseThrow(() -> new IllegalArgumentException("Azure Speech is not set up for " + options.language()));
    String voice = Optional.ofNullable(options.voice())
        .filter(v -> AZURE_VOICE.matcher(v).matches())
        .or(() -> AzureVoices.voice(options.language(), azure.voices()))
        .orElseThrow();
    return AzureSsml.build(text, locale, voice, options.style(), options.rate(), options.pitch());
  }

  /** One synthesis: its SDK objects; Azure's audio events go into the queue, bounded by a sentence's length. */
  private final class Speaking {
    private final SpeechConfig config;
    private final com.microsoft.cognitiveservices.speech.SpeechSynthesizer synthesizer;
    private final Future<SpeechSynthesisResult> result;

    Speaking(String ssml, BoundedSourceQueue<ByteString> audio) {
      config = azure.config();
      config.setSpeechSynthesisOutputFormat(SpeechSynthesisOutputFormat.Raw16Khz16BitMonoPcm);
      synthesizer = new com.microsoft.cognitiveservices.speech.SpeechSynthesizer(config, null);
      synthesizer.Synthesizing.addEventListener((sender, e) -> {
        byte[] data = e.getResult().getAudioData();
        if (data.length > 0 && audio.offer(ByteString.fromArrayUnsafe(data)) == QueueOfferResult.dropped()) {
          audio.fail(new SpeechEngineException("Azure Speech sent more audio than " + QUEUED_PARTS + " parts ahead"));
        }
      });
      synthesizer.SynthesisCompleted.addEventListener((sender, e) -> audio.complete());
      synthesizer.SynthesisCanceled.addEventListener((sender, e) -> {
        SpeechSynthesisCancellationDetails details = SpeechSynthesisCancellationDetails.fromResult(e.getResult());
        audio.fail(new SpeechEngineException(
            "Azure Speech synthesis failed: " + details.getErrorCode() + ": " + details.getErrorDetails()));
      });
      result = synthesizer.SpeakSsmlAsync(ssml);
    }

    void close() {
      if (!result.isDone()) synthesizer.StopSpeakingAsync();
      synthesizer.close();
      config.close();
    }
  }
}
