package io.voicehelper.entities.conversation;

import java.util.Optional;
import org.apache.pekko.pattern.StatusReply;

/**
 * Why an entity refused a command. Carried in a {@link StatusReply} error as {@code "<code>: <detail>"} so that it
 * survives serialization between nodes as Pekko's built-in error message, and mapped back by the edges.
 */
public enum Rejection {
  NOT_FOUND,
  ALREADY_EXISTS,
  CONFLICT,
  TOO_MANY_PENDING,
  INVALID;

  public <T> StatusReply<T> reply(String detail) {
    return StatusReply.error(name() + ": " + detail);
  }

  /** The rejection a failed {@code askWithStatus} carries, or empty for any other failure. */
  public static Optional<Rejection> of(Throwable failure) {
    Throwable cause = failure;
    while (cause != null && !(cause instanceof StatusReply.ErrorMessage)) cause = cause.getCause();
    if (cause == null || cause.getMessage() == null) return Optional.empty();
    String message = cause.getMessage();
    int colon = message.indexOf(':');
    if (colon < 0) return Optional.empty();
    try {
      return Optional.of(valueOf(message.substring(0, colon)));
    } catch (IllegalArgumentException notOurs) {
      return Optional.empty();
    }
  }

  /** The human-readable part of a rejection's message. */
  public static String detail(Throwable failure) {
    Throwable cause = failure;
    while (cause != null && !(cause instanceof StatusReply.ErrorMessage)) cause = cause.getCause();
    String message = cause == null ? String.valueOf(failure.getMessage()) : cause.getMessage();
    int colon = message.indexOf(':');
    return colon < 0 ? message : message.substring(colon + 1).trim();
  }
}
