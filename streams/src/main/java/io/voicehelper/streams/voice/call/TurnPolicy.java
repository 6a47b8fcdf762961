package io.voicehelper.streams.voice.call;

import java.time.Duration;

/**
 * End-of-turn detection's decision: how much silence after the caller stopped speaking ends their turn, given
 * what they said so far. A complete-sounding sentence gets the short wait; one that trails off ("and", "um", "然后")
 * a longer one, so the caller is not cut off mid-thought.
 */
@FunctionalInterface
public interface TurnPolicy {

  /** The silence that ends a turn whose transcript so far is {@code transcript}, in {@code language}. */
  Duration silenceToEnd(String transcript, String language);
}
