package io.voicehelper.entities.knowledge;

import java.util.Optional;
import org.apache.pekko.pattern.StatusReply;

/**
 * Why a {@link DocumentEntity} refused a command, each with the HTTP status the edge answers it with. Carried in a
 * {@link StatusReply} error as {@code "<code>: <detail>"} so that it survives serialization between nodes as Pekko's
 * built-in error message; {@link #of} maps it back.
 */
public enum DocumentRejection {
  /** No such document, or it was deleted. */
  NOT_FOUND(404),
  /** The document has no such version. */
  VERSION_NOT_FOUND(404),
  /** The version's upload is no longer open: it completed, failed or timed out. */
  UPLOAD_NOT_OPEN(409),
  /** A newer version was completed first; this one was failed instead of replacing it. */
  SUPERSEDED(409),
  /** Only a superseded version can be restored. */
  NOT_RESTORABLE(409),
  /** Re-indexing needs a published version. */
  NOTHING_PUBLISHED(409),
  /** Another version is being indexed or published, or this one is still being cleaned up. */
  BUSY(409),
  /** The document is still being purged after a delete; an upload can start once that finished. */
  DELETING(409),
  /** The command's content is invalid (blank names, negative size, malformed checksum). */
  INVALID(422);

  /** The HTTP status the edge answers with. */
  public final int status;

  DocumentRejection(int status) {
    this.status = status;
  }

  public <T> StatusReply<T> reply(String detail) {
    return StatusReply.error(name() + ": " + detail);
  }

  /** The rejection a failed {@code askWithStatus} carries, or empty for any other failure. */
  public static Optional<DocumentRejection> of(Throwable failure) {
    String message = errorMessage(failure);
    int colon = message == null ? -1 : message.indexOf(':');
    if (colon < 0) return Optional.empty();
    try {
      return Optional.of(valueOf(message.substring(0, colon)));
    } catch (IllegalArgumentException notOurs) {
      return Optional.empty();
    }
  }

  /** The human-readable part of a rejection's message. */
  public static String detail(Throwable failure) {
    String message = errorMessage(failure);
    if (message == null) message = String.valueOf(failure.getMessage());
    int colon = message.indexOf(':');
    return colon < 0 ? message : message.substring(colon + 1).trim();
  }

  private static String errorMessage(Throwable failure) {
    Throwable cause = failure;
    while (cause != null && !(cause instanceof StatusReply.ErrorMessage)) cause = cause.getCause();
    return cause == null ? null : cause.getMessage();
  }
}
