package io.voicehelper.entities.retrieval;

/** A {@link Retriever}'s stage fails with this when no half of the search could answer (both failed or timed out). */
public final class RetrievalUnavailableException extends RuntimeException {

  public RetrievalUnavailableException(String message) {
    super(message, null, false, false);
  }
}
