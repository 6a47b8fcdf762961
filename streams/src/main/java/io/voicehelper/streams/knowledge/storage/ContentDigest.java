package io.voicehelper.streams.knowledge.storage;

import io.voicehelper.entities.knowledge.ObjectStore;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.pekko.util.ByteString;

/**
 * Counts the bytes of one upload and computes their SHA-256 as they pass, refusing the byte after {@code maxBytes}.
 * One per materialization; used by one stream stage at a time, so it needs no locking.
 */
final class ContentDigest {

  private final long maxBytes;
  private final MessageDigest sha256;
  private long size;

  ContentDigest(long maxBytes) {
    if (maxBytes < 0) throw new IllegalArgumentException("maxBytes must be >= 0");
    this.maxBytes = maxBytes;
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }

  /** Adds {@code bytes} and returns them; throws {@link ObjectStore.TooLarge} once the total passes the limit. */
  ByteString accept(ByteString bytes) {
    size += bytes.size();
    if (size > maxBytes) throw new ObjectStore.TooLarge(maxBytes);
    for (ByteBuffer buffer : bytes.getByteBuffers()) sha256.update(buffer);
    return bytes;
  }

  long size() {
    return size;
  }

  /** What was stored; call once, after the last bytes. */
  ObjectStore.Stored stored() {
    return new ObjectStore.Stored(size, HexFormat.of().formatHex(sha256.digest()));
  }
}
