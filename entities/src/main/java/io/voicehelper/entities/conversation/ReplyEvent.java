package io.voicehelper.entities.conversation;

import io.voicehelper.entities.CborSerializable;

/**
 * What a subscriber to a reply receives: the reply's text in numbered chunks, then exactly one {@link Done}.
 * Sequence numbers start at 1 and have no gaps, so a subscriber that resumes after chunk {@code n} gets chunk
 * {@code n + 1} next.
 */
public sealed interface ReplyEvent extends CborSerializable {

  /** A chunk of reply text. */
  record Delta(long seq, String text) implements ReplyEvent {}

  /**
   * The reply has ended: {@code status} is {@code completed} or {@code interrupted} (then {@code reason} says why and
   * the text so far is kept). {@code lastSeq} is the sequence number of the last chunk. {@code grounding} says how
   * the reply was grounded (mode, routing reason, citations); {@code null} for replies that have none.
   */
  record Done(
      String messageId,
      String replyId,
      String status,
      String reason,
      String model,
      int inputTokens,
      int outputTokens,
      long latencyMillis,
      long lastSeq,
      ReplyGenerator.Grounding grounding)
      implements ReplyEvent {

    public Done(String messageId, String replyId, String status, String reason, String model, int inputTokens,
        int outputTokens, long latencyMillis, long lastSeq) {
      this(messageId, replyId, status, reason, model, inputTokens, outputTokens, latencyMillis, lastSeq, null);
    }
  }
}
