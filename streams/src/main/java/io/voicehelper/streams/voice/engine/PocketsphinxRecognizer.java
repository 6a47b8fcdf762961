package io.voicehelper.streams.voice.engine;

import io.voicehelper.streams.voice.SpeechRecognizer;
import io.voicehelper.streams.voice.engine.internal.ProcessFlow;
import io.voicehelper.streams.voice.engine.internal.TranscriptAssembler;
import io.voicehelper.streams.voice.engine.internal.Unsupported;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.util.ByteString;

/**
 * English recognition by CMU pocketsphinx ({@code pocketsphinx_continuous} 0.8, BSD), one process per utterance.
 * The audio goes to its stdin as raw PCM ({@code -infile /dev/stdin}: without a {@code .wav} name it reads headerless
 * 16 kHz samples as they come); it loads its models (about 0.4 s) while the caller speaks. It prints one line per
 * segment its own voice detector closes at a pause, so partial transcripts come per segment, not per word; the
 * final transcript joins them once stdin is closed. Its log (stderr) only serves error messages.
 */
public final class PocketsphinxRecognizer implements SpeechRecognizer {

  private static final int MAX_LINE = 16 * 1024;

  private final VoiceEngineSettings.Pocketsphinx settings;
  private final List<String> command;
  private final Executor blocking;
  private final String dispatcher;

  /** Runs its process pipes on {@code dispatcher} ({@code blocking} is that dispatcher's executor). */
  public PocketsphinxRecognizer(VoiceEngineSettings.Pocketsphinx settings, Executor blocking, String dispatcher) {
    this.settings = settings;
    this.command = command(settings);
    this.blocking = blocking;
    this.dispatcher = dispatcher;
  }

  /** Why this engine cannot run here (program or model files missing), or empty when it can. */
  public static Optional<String> unavailable(VoiceEngineSettings.Pocketsphinx settings) {
    if (Programs.find(settings.binary()).isEmpty()) return Optional.of(settings.binary() + " not found");
    List<Path> files = new ArrayList<>(List.of(settings.modelDir(), settings.dictionary()));
    files.add(settings.grammar().isEmpty() ? settings.languageModel() : Path.of(settings.grammar()));
    for (Path file : files) {
      if (!Files.exists(file)) return Optional.of(file + " not found");
    }
    return Optional.empty();
  }

  @Override
  public String name() {
    return "pocketsphinx";
  }

  @Override
  public boolean supports(String language) {
    return settings.languages().contains(Languages.primary(language));
  }

  @Override
  public Flow<ByteString, Transcript, NotUsed> recognize(String language) {
    if (!supports(language)) return Unsupported.recognition("pocketsphinx is not configured for " + language);
    return Flow.<ByteString>create()
        .filter(chunk -> !chunk.isEmpty())
        .via(ProcessFlow.create(name(), command, blocking, dispatcher))
        .via(Framing.delimiter(ByteString.fromString("\n"), MAX_LINE, FramingTruncation.ALLOW))
        .map(ByteString::utf8String)
        .via(TranscriptAssembler.flow(TranscriptAssembler::segment));
  }

  /** The command line: models, grammar or language model, the caller's extra arguments, raw audio on stdin. */
  static List<String> command(VoiceEngineSettings.Pocketsphinx settings) {
    List<String> command = new ArrayList<>(List.of(
        settings.binary(), "-hmm", settings.modelDir().toString(), "-dict", settings.dictionary().toString()));
    if (settings.grammar().isEmpty()) {
      command.addAll(List.of("-lm", settings.languageModel().toString()));
    } else {
      command.addAll(List.of("-jsgf", settings.grammar()));
    }
    command.addAll(settings.extraArgs());
    command.addAll(List.of("-samprate", "16000", "-infile", "/dev/stdin"));
    return List.copyOf(command);
  }
}
