package io.voicehelper.streams.voice.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.SpeechRecognizer;
import io.voicehelper.streams.voice.engine.internal.SerialResource;
import io.voicehelper.streams.voice.engine.internal.TranscriptAssembler.Heard;
import io.voicehelper.streams.voice.engine.internal.TranscriptAssembler;
import io.voicehelper.streams.voice.engine.internal.Unsupported;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.vosk.LibVosk;
import org.vosk.LogLevel;
import org.vosk.Model;
import org.vosk.Recognizer;

/**
 * Recognition by Vosk (Kaldi in process, Apache-2), for each language a model directory is configured for. Models
 * load once, when this is created (seconds for a small model; a missing or invalid directory is an error then, not at
 * the first call). Each recognition has its own native recognizer, used by one blocking-dispatcher thread at a time
 * and freed after its last call; Vosk's partial results become partial transcripts, its endpointed results segments.
 */
public final class VoskRecognizer implements SpeechRecognizer, AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The calls a recognition makes of a Vosk recognizer: the seam that tests script. */
  interface Decoder {
    /** Feeds audio; true when Vosk closed a segment ({@link #result} then holds it). */
    boolean accept(byte[] pcm);

    String partialResult();

    String result();

    String finalResult();

    void close();
  }

  private final Map<String, Model> models;
  private final Executor blocking;

  private VoskRecognizer(Map<String, Model> models, Executor blocking) {
    this.models = Map.copyOf(models);
    this.blocking = blocking;
  }

  /**
   * Loads the model of each language (lower-case tag or primary language to directory); blocks while they load.
   *
   * @throws SpeechEngineException naming the directory when one is missing, incomplete or not loadable
   */
  public static VoskRecognizer load(Map<String, Path> directories, Executor blocking) {
    LibVosk.setLogLevel(LogLevel.WARNINGS);
    Map<String, Model> models = new LinkedHashMap<>();
    try {
      directories.forEach((language, dir) -> models.put(language, model(language, dir)));
    } catch (RuntimeException e) {
      models.values().forEach(Model::close);
      throw e;
    }
    return new VoskRecognizer(models, blocking);
  }

  private static Model model(String language, Path dir) {
    String what = "Vosk model for " + language + " (voicehelper.voice.asr.vosk) at " + dir;
    if (!Files.isDirectory(dir)) throw new SpeechEngineException(what + ": no such directory");
    List<String> missing = new ArrayList<>();
    for (String part : List.of("am/final.mdl", "conf/mfcc.conf")) {
      if (!Files.isRegularFile(dir.resolve(part))) missing.add(part);
    }
    if (!missing.isEmpty()) {
      throw new SpeechEngineException(what + ": not a Vosk model (missing " + String.join(", ", missing)
          + "); unpack one from https://alphacephei.com/vosk/models");
    }
    try {
      return new Model(dir.toString());
    } catch (IOException | RuntimeException e) {
      throw new SpeechEngineException(what + ": Vosk could not load it (" + e.getMessage() + ")", e);
    }
  }

  @Override
  public String name() {
    return "vosk";
  }

  @Override
  public boolean supports(String language) {
    return Languages.lookup(models, language).isPresent();
  }

  @Override
  public Flow<ByteString, Transcript, NotUsed> recognize(String language) {
    Optional<Model> model = Languages.lookup(models, language);
    if (model.isEmpty()) return Unsupported.recognition("no Vosk model is configured for " + language);
    return recognize(() -> decoder(model.get()), blocking);
  }

  /** A recognition on decoders from {@code decoders} (one per materialization), called on {@code blocking}. */
  static Flow<ByteString, Transcript, NotUsed> recognize(Supplier<Decoder> decoders, Executor blocking) {
    return Flow.<ByteString, Heard, NotUsed>fromMaterializer((materializer, attributes) -> {
          SerialResource<Decoder> decoder = new SerialResource<>(decoders.get(), blocking, Decoder::close);
          return Flow.<ByteString>create()
              .filter(chunk -> !chunk.isEmpty())
              .mapAsync(1, chunk -> decoder.call(d -> heard(d, chunk)))
              .concatLazy(Source.lazyCompletionStage(() -> decoder.call(d -> Optional.of(segment(d.finalResult())))))
              .filter(Optional::isPresent)
              .map(Optional::get)
              .watchTermination((notUsed, done) -> {
                done.whenComplete((ok, failure) -> decoder.close());
                return notUsed;
              });
        })
        .mapMaterializedValue(started -> NotUsed.notUsed())
        .via(TranscriptAssembler.flow());
  }

  private static Optional<Heard> heard(Decoder decoder, ByteString chunk) {
    if (decoder.accept(chunk.toArrayUnsafe())) return Optional.of(segment(decoder.result()));
    return Optional.of(new Heard(field(decoder.partialResult(), "partial"), false));
  }

  private static Heard segment(String json) {
    return new Heard(field(json, "text"), true);
  }

  /** The text of Vosk's JSON answer ({@code {"partial": "..."}} or {@code {"text": "..."}}); "" when absent. */
  static String field(String json, String name) {
    try {
      JsonNode node = JSON.readTree(json);
      return node == null ? "" : node.path(name).asText("").strip();
    } catch (IOException e) {
      throw new SpeechEngineException("Vosk answered with malformed JSON: " + json, e);
    }
  }

  private static Decoder decoder(Model model) {
    Recognizer recognizer;
    try {
      recognizer = new Recognizer(model, Pcm.SAMPLE_RATE);
    } catch (IOException e) {
      throw new SpeechEngineException("Vosk could not create a recognizer: " + e.getMessage(), e);
    }
    return new Decoder() {
      @Override
      public boolean accept(byte[] pcm) {
        return recognizer.acceptWaveForm(pcm, pcm.length);
      }

      @Override
      public String partialResult() {
        return recognizer.getPartialResult();
      }

      @Override
      public String result() {
        return recognizer.getResult();
      }

      @Override
      public String finalResult() {
        return recognizer.getFinalResult();
      }

      @Override
      public void close() {
        recognizer.close();
      }
    };
  }

  /** Frees the models. */
  @Override
  public void close() {
    models.values().forEach(Model::close);
  }
}
