package io.voicehelper.streams.voice.engine;

import com.sun.speech.freetts.Voice;
import com.sun.speech.freetts.VoiceManager;
import io.voicehelper.streams.voice.SpeechSynthesizer;
import io.voicehelper.streams.voice.VoiceOptions;
import io.voicehelper.streams.voice.engine.internal.CapturingAudioPlayer;
import io.voicehelper.streams.voice.engine.internal.Unsupported;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * English speech by FreeTTS (pure Java, BSD-like licence) with its 16 kHz voice {@code kevin16}: always available,
 * and the voice pocketsphinx recognizes best. A FreeTTS voice speaks one text at a time, so voices are pooled (at
 * most {@code pool-size}, allocated on first use) and a synthesis holds one on the blocking dispatcher while it
 * speaks; its chunks go downstream through a queue bounded by a sentence's length, and cancelling the source stops
 * the voice at its next chunk.
 */
public final class FreeTtsSynthesizer implements SpeechSynthesizer {

  /** The voice used: FreeTTS's 16 kHz US English diphone voice. */
  public static final String VOICE = "kevin16";

  private static final String VOICE_DIRECTORY = "com.sun.speech.freetts.en.us.cmu_us_kal.KevinVoiceDirectory";
  /** A sentence's audio at most: 60 s in 20 ms chunks (under 2 MB). */
  private static final int MAX_CHUNKS = 3000;

  private final int poolSize;
  private final Executor blocking;
  private final BlockingQueue<Voice> idle = new LinkedBlockingQueue<>();
  private final AtomicInteger allocated = new AtomicInteger();

  /** Speaks on {@code blocking} (the engine dispatcher) with at most {@code poolSize} voices at once. */
  public FreeTtsSynthesizer(int poolSize, Executor blocking) {
    if (poolSize < 1) throw new IllegalArgumentException("poolSize must be >= 1");
    this.poolSize = poolSize;
    this.blocking = blocking;
  }

  @Override
  public String name() {
    return "freetts";
  }

  @Override
  public boolean supports(String language) {
    return Languages.primary(language).equals("en");
  }

  @Override
  public Source<ByteString, NotUsed> synthesize(String text, VoiceOptions options) {
    if (!supports(options.language())) return Unsupported.synthesis("FreeTTS speaks English only");
    if (text.isBlank()) return Source.empty();
    return Source.<ByteString>queue(MAX_CHUNKS)
        .mapMaterializedValue(queue -> {
          CompletableFuture.runAsync(() -> speak(text, options, queue), blocking);
          return NotUsed.notUsed();
        });
  }

  /**
   * Speaks into the queue without waiting for the listener (FreeTTS is some 50 times faster than real time), so a
   * voice is held only while it synthesizes, not while the audio is played out.
   */
  private void speak(String text, VoiceOptions options, BoundedSourceQueue<ByteString> queue) {
    Voice voice = null;
    try {
      voice = acquire();
      float normalRate = voice.getRate();
      float normalPitch = voice.getPitch();
      CapturingAudioPlayer player = new CapturingAudioPlayer(chunk -> offer(queue, chunk));
      voice.setAudioPlayer(player);
      voice.setRate((float) (normalRate * options.rate()));
      voice.setPitch((float) (normalPitch * options.pitch()));
      try {
        boolean spoken = voice.speak(text);
        if (player.flush()) {
          if (spoken) {
            queue.complete();
          } else {
            queue.fail(new SpeechEngineException("FreeTTS could not speak the text"));
          }
        }
      } finally {
        voice.setRate(normalRate);
        voice.setPitch(normalPitch);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      queue.fail(new SpeechEngineException("FreeTTS was interrupted"));
    } catch (RuntimeException e) {
      queue.fail(new SpeechEngineException("FreeTTS failed: " + e.getMessage(), e));
    } finally {
      if (voice != null) idle.add(voice);
    }
  }

  /** Whether to go on: false once the listener cancelled, or (failing the stream) when the text is far too long. */
  private static boolean offer(BoundedSourceQueue<ByteString> queue, ByteString chunk) {
    QueueOfferResult result = queue.offer(chunk);
    if (result == QueueOfferResult.dropped()) {
      queue.fail(new SpeechEngineException("FreeTTS: a text longer than " + MAX_CHUNKS / 50 + " s of speech"));
    }
    return result == QueueOfferResult.enqueued();
  }

  /** An idle voice, a new one while fewer than the pool size exist, or the next one released. */
  private Voice acquire() throws InterruptedException {
    Voice voice = idle.poll();
    if (voice != null) return voice;
    if (allocated.incrementAndGet() <= poolSize) {
      try {
        return newVoice();
      } catch (RuntimeException e) {
        allocated.decrementAndGet();
        throw e;
      }
    }
    allocated.decrementAndGet();
    return idle.take();
  }

  private static Voice newVoice() {
    synchronized (FreeTtsSynthesizer.class) {
      if (System.getProperty("freetts.voices") == null) System.setProperty("freetts.voices", VOICE_DIRECTORY);
    }
    Voice voice = VoiceManager.getInstance().getVoice(VOICE);
    if (voice == null) throw new SpeechEngineException("FreeTTS voice " + VOICE + " not found");
    voice.allocate();
    return voice;
  }
}
