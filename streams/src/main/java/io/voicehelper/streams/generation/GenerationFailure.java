package io.voicehelper.streams.generation;

/**
 * Why a model could not answer, in words fit to show a user: the provider's status, what was retried, what to
 * check. It never carries response bodies, keys or stack traces in its message; the cause is kept for logs.
 */
public final class GenerationFailure extends RuntimeException {

  public GenerationFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
