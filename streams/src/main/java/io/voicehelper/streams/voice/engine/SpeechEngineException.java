package io.voicehelper.streams.voice.engine;

/** A speech engine could not start, or failed while it recognized or synthesized; the message says which and why. */
public final class SpeechEngineException extends RuntimeException {

  public SpeechEngineException(String message) {
    super(message);
  }

  public SpeechEngineException(String message, Throwable cause) {
    super(message, cause);
  }
}
