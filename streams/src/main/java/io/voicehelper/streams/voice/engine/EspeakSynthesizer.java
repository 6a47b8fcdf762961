package io.voicehelper.streams.voice.engine;

import io.voicehelper.streams.voice.SpeechSynthesizer;
import io.voicehelper.streams.voice.VoiceOptions;
import io.voicehelper.streams.voice.engine.internal.ProcessFlow;
import io.voicehelper.streams.voice.engine.internal.Unsupported;
import io.voicehelper.streams.voice.engine.internal.WavToPcm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Speech by espeak-ng (a Debian program, GPL, run as a separate process per sentence): the text goes in on stdin,
 * never on the command line, with espeak's {@code [[phoneme]]} brackets and control characters removed (no SSML
 * flag is passed, so markup is read out as text). Its 22.05 kHz WAV on stdout becomes 20 ms chunks of 16 kHz PCM as
 * it is produced. Cancelling the source kills the process.
 */
public final class EspeakSynthesizer implements SpeechSynthesizer {

  private static final Pattern UNSAFE = Pattern.compile("\\[\\[|]]|\\p{Cntrl}");

  private final VoiceEngineSettings.Espeak settings;
  private final Set<String> installedVoices;
  private final Executor blocking;
  private final String dispatcher;

  /**
   * @param installedVoices the voice names espeak-ng has (from {@link #installedVoices}), lower case
   */
  public EspeakSynthesizer(
      VoiceEngineSettings.Espeak settings, Set<String> installedVoices, Executor blocking, String dispatcher) {
    this.settings = settings;
    this.installedVoices = Set.copyOf(installedVoices);
    this.blocking = blocking;
    this.dispatcher = dispatcher;
  }

  /** The voices of the installed espeak-ng ({@code espeak-ng --voices}); blocks briefly; empty when it is absent. */
  public static Set<String> installedVoices(String binary) {
    if (Programs.find(binary).isEmpty()) return Set.of();
    try {
      Process process = new ProcessBuilder(binary, "--voices").redirectErrorStream(true).start();
      String listing = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
      Set<String> voices = new java.util.HashSet<>();
      listing.lines().skip(1).forEach(line -> {
        String[] columns = line.strip().split("\\s+");
        if (columns.length > 1) voices.add(columns[1].toLowerCase(Locale.ROOT));
      });
      return voices;
    } catch (IOException e) {
      return Set.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Set.of();
    }
  }

  @Override
  public String name() {
    return "espeak-ng";
  }

  @Override
  public boolean supports(String language) {
    return voiceFor(language).isPresent();
  }

  /** The espeak-ng voice for {@code language}: the configured one, else one named like its tag or primary language. */
  public Optional<String> voiceFor(String language) {
    String tag = language.toLowerCase(Locale.ROOT).replace('_', '-');
    Map<String, String> table = new HashMap<>(settings.voices());
    table.putIfAbsent(tag, tag);
    table.putIfAbsent(Languages.primary(tag), Languages.primary(tag));
    return Languages.lookup(table, tag).filter(installedVoices::contains)
        .or(() -> Optional.ofNullable(table.get(Languages.primary(tag))).filter(installedVoices::contains));
  }

  @Override
  public Source<ByteString, NotUsed> synthesize(String text, VoiceOptions voice) {
    Optional<String> found = Optional.ofNullable(voice.voice())
        .map(v -> v.toLowerCase(Locale.ROOT))
        .filter(installedVoices::contains)
        .or(() -> voiceFor(voice.language()));
    if (found.isEmpty()) return Unsupported.synthesis("espeak-ng has no voice for " + voice.language());
    String espeakVoice = found.get();
    String clean = UNSAFE.matcher(text).replaceAll(" ").strip();
    if (clean.isEmpty()) return Source.empty();
    return Source.single(ByteString.fromString(clean + "\n", StandardCharsets.UTF_8))
        .via(ProcessFlow.create(name(), command(espeakVoice, voice), blocking, dispatcher))
        .via(WavToPcm.flow());
  }

  /** The command line: voice, rate and pitch scaled from the configured normal, WAV to stdout, text from stdin. */
  List<String> command(String espeakVoice, VoiceOptions voice) {
    int wordsPerMinute = (int) Math.round(settings.wordsPerMinute() * voice.rate());
    int pitch = (int) Math.max(0, Math.min(99, Math.round(settings.pitch() * voice.pitch())));
    return List.of(settings.binary(), "--stdout", "-v", espeakVoice, "-s", Integer.toString(wordsPerMinute),
        "-p", Integer.toString(pitch));
  }
}
