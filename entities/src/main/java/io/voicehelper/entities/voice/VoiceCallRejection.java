package io.voicehelper.entities.voice;

import java.util.Optional;
import org.apache.pekko.pattern.StatusReply;

/**
 * Why a {@link VoiceCallEntity} refused a command. Carried in a {@link StatusReply} error as
 * {@code "<code>: <detail>"} so that it survives serialization between nodes as Pekko's built-in error message;
 * {@link #of} maps it back.
 */
public enum VoiceCallRejection {
  /** No call was started under this id, or it belongs to another user (who must not learn that it exists). */
  NOT_FOUND,
  /** The call has ended: it can be read, not resumed or changed. */
  ENDED,
  /** The command's content is invalid (a turn's input is neither voice nor text, a blank turn id). */
  INVALID;

  public <T> StatusReply<T> reply(String detail) {
    return StatusReply.error(name() + ": " + detail);
  }

  /** The rejection a failed {@code askWithStatus} carries, or empty for any other failure. */
  public static Optional<VoiceCallRejection> of(Throwable failure) {
    Throwable cause = failure;
    while (cause != null && !(cause instanceof StatusReply.ErrorMessage)) cause = cause.getCause();
    String message = cause == null ? null : cause.getMessage();
    int colon = message == null ? -1 : message.indexOf(':');
    if (colon < 0) return Optional.empty();
    for (VoiceCallRejection rejection : values()) {
      if (rejection.name().equals(message.substring(0, colon))) return Optional.of(rejection);
    }
    return Optional.empty();
  }
}
