package io.voicehelper.entities.voice;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * The calls of one node: each connected socket gets a session, a flow from what its client sends to what the server
 * answers. The first element a session gets is a {@link ClientMessage.Start}. The session completes after it emitted
 * a {@link ServerMessage.Close}, or when its input completes (the client went away).
 */
public interface VoiceSessions {

  /** A new session for {@code caller}. */
  Flow<ClientMessage, ServerMessage, NotUsed> open(CallIdentity caller);

  /** Whether this node can take another call now (its limit of concurrent calls). */
  boolean hasRoom();
}
