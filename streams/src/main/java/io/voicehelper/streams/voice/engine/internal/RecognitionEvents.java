package io.voicehelper.streams.voice.engine.internal;

import io.voicehelper.streams.voice.engine.SpeechEngineException;
import io.voicehelper.streams.voice.engine.internal.TranscriptAssembler.Heard;
import java.time.Duration;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;

/**
 * Where a cloud recognizer's callbacks (on the SDK's threads) enter the stream: hypotheses, recognized segments,
 * cancellation with an error, the end of the session. A full queue drops a hypothesis (the next one supersedes it)
 * but fails the recognition for a segment, which must not be lost.
 */
public final class RecognitionEvents {

  private final String engine;
  private final BoundedSourceQueue<Heard> queue;
  private volatile boolean finished;

  public RecognitionEvents(String engine, BoundedSourceQueue<Heard> queue) {
    this.engine = engine;
    this.queue = queue;
  }

  /** The text of the segment so far. */
  public void recognizing(String text) {
    queue.offer(new Heard(text == null ? "" : text, false));
  }

  /** A finished segment ({@code text} empty or null when nothing was recognized in it). */
  public void recognized(String text) {
    QueueOfferResult result = queue.offer(new Heard(text == null ? "" : text, true));
    if (result == QueueOfferResult.dropped()) {
      queue.fail(new SpeechEngineException(engine + " recognized faster than the transcripts were taken"));
    }
  }

  /** The service ended the recognition: an error when {@code error} is true, else the end of the audio. */
  public void canceled(boolean error, String code, String details) {
    if (error) {
      finished = true;
      queue.fail(new SpeechEngineException(engine + " failed: " + code + (details == null ? "" : ": " + details)));
    }
  }

  /** The session ended: every segment has been recognized. */
  public void sessionStopped() {
    finished = true;
    queue.complete();
  }

  /** The audio ended {@code after} ago and the service has not finished: fails the recognition unless it has. */
  public void finalTimeout(Duration after) {
    if (finished) return;
    try {
      queue.fail(new SpeechEngineException(engine + " gave no final result within " + after + " of the audio's end"));
    } catch (IllegalStateException alreadyFinished) {
      // the session ended just now
    }
  }
}
