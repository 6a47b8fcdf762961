package io.voicehelper.streams.voice;

import com.sun.speech.freetts.Voice;
import com.sun.speech.freetts.VoiceManager;
import io.voicehelper.streams.voice.engine.internal.CapturingAudioPlayer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import org.junit.jupiter.api.Assumptions;

/**
 * Audio for voice tests, all in the {@link Pcm} format: phrases spoken by FreeTTS's {@code kevin16} (the voice
 * pocketsphinx recognizes well), silence, noise and tones, WAV files, 20 ms framing, and the check that a Debian
 * speech program is installed. Shared with other modules' tests through the streams test-jar.
 */
public final class SpeechFixtures {

  /** Env var that makes a missing speech program fail a test instead of skipping it (CI sets it). */
  public static final String REQUIRE_SPEECH = "VOICEHELPER_REQUIRE_SPEECH";

  private static final AudioFormat PCM16 = new AudioFormat(Pcm.SAMPLE_RATE, 16, 1, true, false);
  private static final Map<String, ByteString> SPOKEN = new ConcurrentHashMap<>();
  private static Voice voice;

  private SpeechFixtures() {}

  /** {@code text} spoken by FreeTTS {@code kevin16} at normal rate and pitch (cached per text). */
  public static ByteString speak(String text) {
    return SPOKEN.computeIfAbsent(text, SpeechFixtures::synthesize);
  }

  private static synchronized ByteString synthesize(String text) {
    if (voice == null) {
      if (System.getProperty("freetts.voices") == null) {
        System.setProperty("freetts.voices", "com.sun.speech.freetts.en.us.cmu_us_kal.KevinVoiceDirectory");
      }
      voice = VoiceManager.getInstance().getVoice("kevin16");
      voice.allocate();
    }
    ByteStringBuilder audio = new ByteStringBuilder();
    CapturingAudioPlayer player = new CapturingAudioPlayer(chunk -> {
      audio.append(chunk);
      return true;
    });
    voice.setAudioPlayer(player);
    if (!voice.speak(text)) throw new IllegalStateException("FreeTTS could not speak: " + text);
    player.flush();
    return audio.result();
  }

  /** {@code millis} of digital silence. */
  public static ByteString silence(long millis) {
    return ByteString.fromArrayUnsafe(new byte[Pcm.bytesFor(millis)]);
  }

  /** {@code millis} of white noise at about {@code dbfs} RMS level, repeatable for a {@code seed}. */
  public static ByteString noise(long millis, double dbfs, long seed) {
    Random random = new Random(seed);
    short[] samples = new short[Pcm.bytesFor(millis) / Pcm.BYTES_PER_SAMPLE];
    double rms = 32768 * Math.pow(10, dbfs / 20);
    for (int i = 0; i < samples.length; i++) {
      samples[i] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, random.nextGaussian() * rms));
    }
    return Pcm.bytes(samples);
  }

  /** {@code millis} of a sine tone of {@code hertz} at {@code dbfs} peak level. */
  public static ByteString tone(long millis, double hertz, double dbfs) {
    short[] samples = new short[Pcm.bytesFor(millis) / Pcm.BYTES_PER_SAMPLE];
    double amplitude = 32767 * Math.pow(10, dbfs / 20);
    for (int i = 0; i < samples.length; i++) {
      samples[i] = (short) Math.round(amplitude * Math.sin(2 * Math.PI * hertz * i / Pcm.SAMPLE_RATE));
    }
    return Pcm.bytes(samples);
  }

  /** {@code audio} cut into frames of {@code millis} (the last may be shorter), as a client streams it. */
  public static List<ByteString> frames(ByteString audio, long millis) {
    int size = Pcm.bytesFor(millis);
    List<ByteString> frames = new ArrayList<>();
    for (int offset = 0; offset < audio.size(); offset += size) {
      frames.add(audio.slice(offset, Math.min(audio.size(), offset + size)));
    }
    return frames;
  }

  /** The chunks joined. */
  public static ByteString join(List<ByteString> chunks) {
    ByteStringBuilder all = new ByteStringBuilder();
    chunks.forEach(all::append);
    return all.result();
  }

  /** {@code audio} as a WAV file's bytes. */
  public static byte[] wav(ByteString audio) {
    byte[] samples = audio.toArray();
    try (AudioInputStream in = new AudioInputStream(new ByteArrayInputStream(samples), PCM16,
        samples.length / Pcm.BYTES_PER_SAMPLE)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      AudioSystem.write(in, AudioFileFormat.Type.WAVE, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code audio} to {@code file} as a WAV file. */
  public static void writeWav(Path file, ByteString audio) {
    try {
      Files.write(file, wav(audio));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A WAV file's audio converted to {@link Pcm} (16-bit PCM at any rate; only the first channel is kept). */
  public static ByteString readWav(Path file) {
    try (AudioInputStream in = AudioSystem.getAudioInputStream(file.toFile())) {
      AudioFormat format = in.getFormat();
      try (AudioInputStream pcm = AudioSystem.getAudioInputStream(
          new AudioFormat(format.getSampleRate(), 16, format.getChannels(), true, false), in)) {
        short[] interleaved = Pcm.samples(ByteString.fromArrayUnsafe(pcm.readAllBytes()));
        short[] mono = new short[interleaved.length / format.getChannels()];
        for (int i = 0; i < mono.length; i++) mono[i] = interleaved[i * format.getChannels()];
        return Pcm.bytes(Pcm.resample(mono, Math.round(format.getSampleRate())));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (UnsupportedAudioFileException e) {
      throw new IllegalArgumentException(file + " is not a WAV file", e);
    }
  }

  /**
   * Skips the test when {@code program} is not installed (not on {@code PATH}), or fails it when
   * {@value #REQUIRE_SPEECH}{@code =true}.
   */
  public static void requireProgram(String program) {
    boolean found = false;
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) found = true;
    }
    requireInstalled(found, program);
  }

  /** As {@link #requireProgram}, for a data file of a Debian package (such as a pocketsphinx model). */
  public static void requireFile(Path file) {
    requireInstalled(Files.exists(file), file.toString());
  }

  private static void requireInstalled(boolean present, String what) {
    if (present) return;
    if (Boolean.parseBoolean(System.getenv(REQUIRE_SPEECH))) {
      throw new AssertionError(what + " is not installed but " + REQUIRE_SPEECH + "=true");
    }
    Assumptions.abort(what + " is not installed");
  }
}
