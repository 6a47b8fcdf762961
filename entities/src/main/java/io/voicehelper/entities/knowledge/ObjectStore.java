package io.voicehelper.entities.knowledge;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Port to where original files are kept: the local file system by default, an S3-compatible store (MinIO, AWS) by
 * configuration. Files are streamed both ways and never held whole in memory.
 */
public interface ObjectStore {

  /** What was stored: its size in bytes and the SHA-256 of its content (lower-case hex). */
  record Stored(long size, String sha256) {}

  /** Thrown (as the failure of a stage) when a stream is longer than allowed; nothing is left stored. */
  final class TooLarge extends RuntimeException {
    public TooLarge(long maxBytes) {
      super("more than " + maxBytes + " bytes", null, false, false);
    }
  }

  /**
   * A sink that stores the bytes under {@code key}, replacing what was there; it completes when the object is
   * durable. More than {@code maxBytes} bytes fail it with {@link TooLarge} and leave nothing stored.
   */
  Sink<ByteString, CompletionStage<Stored>> put(String key, long maxBytes);

  /** The object's bytes; the source fails if there is no such object. */
  Source<ByteString, ?> get(String key);

  /** Deletes the object if it exists. */
  CompletionStage<Void> delete(String key);

  /** Deletes every object whose key starts with {@code prefix}. */
  CompletionStage<Void> deletePrefix(String prefix);
}
