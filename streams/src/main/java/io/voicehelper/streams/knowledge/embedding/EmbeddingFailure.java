package io.voicehelper.streams.knowledge.embedding;

/**
 * Why texts could not be embedded, in words fit to show a user (the provider's status, what was retried); never
 * response bodies or keys. The cause is kept for logs.
 */
public final class EmbeddingFailure extends RuntimeException {

  public EmbeddingFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
