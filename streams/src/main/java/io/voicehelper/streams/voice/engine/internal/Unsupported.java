package io.voicehelper.streams.voice.engine.internal;

import io.voicehelper.streams.voice.SpeechRecognizer.Transcript;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** What an engine returns for a language it cannot handle: the ports fail the stream rather than throw. */
public final class Unsupported {

  private Unsupported() {}

  /** A recognition that takes no audio and fails with {@code message}. */
  public static Flow<ByteString, Transcript, NotUsed> recognition(String message) {
    return Flow.fromSinkAndSource(Sink.cancelled(), Source.failed(new IllegalArgumentException(message)));
  }

  /** A synthesis that fails with {@code message}. */
  public static Source<ByteString, NotUsed> synthesis(String message) {
    return Source.failed(new IllegalArgumentException(message));
  }
}
