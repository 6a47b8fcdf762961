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
