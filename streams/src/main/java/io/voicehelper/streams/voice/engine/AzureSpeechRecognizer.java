package io.voicehelper.streams.voice.engine;

import com.microsoft.cognitiveservices.speech.CancellationReason;
import com.microsoft.cognitiveservices.speech.ResultReason;
import com.microsoft.cognitiveservices.speech.SpeechConfig;
import com.microsoft.cognitiveservices.speech.audio.AudioConfig;
import com.microsoft.cognitiveservices.speech.audio.AudioStreamFormat;
import com.microsoft.cognitiveservices.speech.audio.PushAudioInputStream;
import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.SpeechRecognizer;
import io.voicehelper.streams.voice.engine.internal.AzureVoices;
import io.voicehelper.streams.voice.engine.internal.Duplex;
import io.voicehelper.streams.voice.engine.internal.RecognitionEvents;
import io.voicehelper.streams.voice.engine.internal.TranscriptAssembler.Heard;
import io.voicehelper.streams.voice.engine.internal.TranscriptAssembler;
import io.voicehelper.streams.voice.engine.internal.Unsupported;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recognition by Azure Speech (cloud): continuous recognition of a push stream of 16 kHz PCM16 mono in the caller's
 * locale. Azure's {@code recognizing} events become partial transcripts and each {@code recognized} one a segment;
 * closing the push stream when the audio ends lets Azure finish, and the end of its session completes the final
 * transcript. However the flow ends, the recognition is stopped and the SDK's native objects are freed.
 */
public final class AzureSpeechRecognizer extends AzureSpeech.Engine implements SpeechRecognizer {

  private static final Logger log = LoggerFactory.getLogger(AzureSpeechRecognizer.class);
  private static final int QUEUED_EVENTS = 256;

  public AzureSpeechRecognizer(AzureSpeech azure) {
    super(azure);
  }

  @Override
  public boolean supports(String language) {
    return AzureVoices.locale(language).isPresent();
  }

  @Override
  public Flow<ByteString, Transcript, NotUsed> recognize(String language) {
    Optional<String> found = AzureVoices.locale(language);
    if (found.isEmpty()) return Unsupported.recognition("Azure Speech is not set up for " + language);
    String locale = found.get();
    return Flow.<ByteString, Heard, NotUsed>fromMaterializer((materializer, attributes) -> session(locale, materializer))
        .mapMaterializedValue(started -> NotUsed.notUsed())
        .via(TranscriptAssembler.flow());
  }

  private Flow<ByteString, Heard, NotUsed> session(String locale, Materializer materializer) {
    Pair<BoundedSourceQueue<Heard>, Source<Heard, NotUsed>> events =
        Source.<Heard>queue(QUEUED_EVENTS).preMaterialize(materializer);
    RecognitionEvents listener = new RecognitionEvents(name(), events.first());
    Session session;
    try {
      session = new Session(azure, locale, listener);
    } catch (RuntimeException e) {
      events.first().complete();
      return Flow.fromSinkAndSource(Sink.cancelled(),
          Source.failed(new SpeechEngineException("Azure Speech could not start: " + e.getMessage(), e)));
    }
    Executor blocking = azure.blocking();
    Duration finalTimeout = azure.settings().finalTimeout();
    Runnable endOfAudio = () -> {
      session.endOfAudio();
      CompletableFuture.delayedExecutor(finalTimeout.toMillis(), TimeUnit.MILLISECONDS, blocking)
          .execute(() -> listener.finalTimeout(finalTimeout));
    };
    return Duplex.flow(session::write, endOfAudio, events.second(), () -> blocking.execute(session::close), blocking);
  }

  /** One continuous recognition and the SDK objects it holds. */
  private static final class Session {
    private final SpeechConfig config;
    private final AudioStreamFormat format;
    private final PushAudioInputStream push;
    private final AudioConfig audio;
    private final com.microsoft.cognitiveservices.speech.SpeechRecognizer recognizer;

    Session(AzureSpeech azure, String locale, RecognitionEvents events) {
      config = azure.config();
      config.setSpeechRecognitionLanguage(locale);
      format = AudioStreamFormat.getWaveFormatPCM(Pcm.SAMPLE_RATE, (short) 16, (short) 1);
      push = PushAudioInputStream.create(format);
      audio = AudioConfig.fromStreamInput(push);
      recognizer = new com.microsoft.cognitiveservices.speech.SpeechRecognizer(config, audio);
      recognizer.recognizing.addEventListener((sender, e) -> events.recognizing(e.getResult().getText()));
      recognizer.recognized.addEventListener((sender, e) -> {
        if (e.getResult().getReason() == ResultReason.RecognizedSpeech) events.recognized(e.getResult().getText());
      });
      recognizer.canceled.addEventListener((sender, e) -> events.canceled(
          e.getReason() == CancellationReason.Error, String.valueOf(e.getErrorCode()), e.getErrorDetails()));
      recognizer.sessionStopped.addEventListener((sender, e) -> events.sessionStopped());
      recognizer.startContinuousRecognitionAsync();
    }

    void write(ByteString chunk) {
      push.write(chunk.toArray());
    }

    void endOfAudio() {
      push.close();
    }

    void close() {
      try {
        recognizer.stopContinuousRecognitionAsync().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.debug("Azure recognition did not stop cleanly: {}", e.toString());
      }
      recognizer.close();
      audio.close();
      push.close();
      format.close();
      config.close();
    }
  }
}
