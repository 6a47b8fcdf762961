package io.voicehelper.streams.voice.call;

import io.voicehelper.entities.voice.CallIdentity;
import io.voicehelper.entities.voice.ClientMessage;
import io.voicehelper.entities.voice.ServerMessage;
import io.voicehelper.entities.voice.VoiceSessions;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;

/** The node's calls: a {@link VoiceCallSession} per socket, at most {@code max-calls} at a time. */
public final class VoiceCallSessions implements VoiceSessions {

  private final ActorSystem<?> system;
  private final VoiceCallSession.Parts parts;
  private final AtomicInteger active = new AtomicInteger();

  public VoiceCallSessions(ActorSystem<?> system, VoiceCallSession.Parts parts) {
    this.system = system;
    this.parts = parts;
  }

  /**
   * The node's calls as configured: the caller-side audio stages ({@code voicehelper.voice.audio}: noise
   * suppression, the VAD, the segmenter), end of turn and sentence chunking from the same settings, the session
   * limits ({@code voicehelper.voice.session}), and the speech engines the caller's language gets. Loads the VAD
   * model (blocking: call once at start); {@code detectors} must be closed at shutdown.
   */
  public static VoiceCallSessions create(ActorSystem<?> system, CallBackend backend,
      java.util.function.Function<String, java.util.Optional<io.voicehelper.streams.voice.SpeechRecognizer>> asr,
      java.util.function.Function<String, java.util.Optional<io.voicehelper.streams.voice.SpeechSynthesizer>> tts,
      io.voicehelper.streams.voice.audio.VoiceActivityDetectors detectors) {
    var config = system.settings().config();
    var audio = io.voicehelper.streams.voice.audio.VoiceAudioSettings.fromConfig(
        config.getConfig(io.voicehelper.streams.voice.audio.VoiceAudioSettings.CONFIG_PATH));
    var turn = audio.turn();
    // A detector is a word-list lookup: made per decision, nothing keyed by the caller's language is kept.
    TurnPolicy policy = (transcript, language) ->
        new io.voicehelper.streams.voice.audio.TurnDetector(turn, language).looksIncomplete(transcript)
            ? turn.incompleteSilence() : turn.silence();
    return new VoiceCallSessions(system, new VoiceCallSession.Parts(backend, asr, tts,
        () -> io.voicehelper.streams.voice.audio.VoiceAudioPipeline.inbound(audio, detectors::newDetector),
        () -> io.voicehelper.streams.voice.audio.SentenceChunker.flow(audio.chunker()),
        policy, detectors.engine(),
        CallSessionSettings.fromConfig(config.getConfig(CallSessionSettings.CONFIG_PATH))));
  }

  @Override
  public Flow<ClientMessage, ServerMessage, NotUsed> open(CallIdentity caller) {
    return VoiceCallSession.flow(system, parts, caller, active::incrementAndGet, active::decrementAndGet);
  }

  @Override
  public boolean hasRoom() {
    return active.get() < parts.settings().maxCalls();
  }

  /** Calls open on this node now. */
  public int active() {
    return active.get();
  }
}
