package io.voicehelper.streams.knowledge.storage;

import java.nio.charset.StandardCharsets;

/**
 * The keys both stores accept: relative paths of segments joined by {@code /}; each segment is made of letters,
 * digits and {@code - _ . ~ = + @ ,}, does not start with a dot (so no {@code .} or {@code ..}, and no clash with
 * the file store's hidden temporary files) and has at most 255 bytes; a key has at most 1024 bytes (S3's limit,
 * in UTF-8).
 */
final class ObjectKeys {

  static final int MAX_KEY_BYTES = 1024;
  private static final int MAX_SEGMENT_BYTES = 255;
  private static final String PUNCTUATION = "-_.~=+@,";

  private ObjectKeys() {}

  /** Returns {@code key} if it is a valid object key, else throws {@link IllegalArgumentException}. */
  static String requireKey(String key) {
    check(key, false);
    return key;
  }

  /**
   * Returns {@code prefix} if it is a valid key prefix: a key, optionally ending with {@code /}. The empty prefix
   * (everything) is refused.
   */
  static String requirePrefix(String prefix) {
    check(prefix, true);
    return prefix;
  }

  private static void check(String key, boolean prefix) {
    if (key == null || key.isEmpty()) throw new IllegalArgumentException("an object key must not be empty");
    if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
      throw new IllegalArgumentException("an object key has at most " + MAX_KEY_BYTES + " bytes in UTF-8");
    }
    String body = prefix && key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
    for (String segment : body.split("/", -1)) {
      if (segment.isEmpty()) {
        throw new IllegalArgumentException("object key has an empty segment or starts with '/': " + key);
      }
      if (segment.charAt(0) == '.') {
        throw new IllegalArgumentException("object key segments must not start with '.': " + key);
      }
      if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
        throw new IllegalArgumentException("object key segment longer than " + MAX_SEGMENT_BYTES + " bytes");
      }
      boolean allowed = segment.codePoints().allMatch(ObjectKeys::allowed);
      if (!allowed) {
        throw new IllegalArgumentException(
            "object keys may only use letters, digits and - _ . ~ = + @ , in their segments: " + key);
      }
    }
  }

  private static boolean allowed(int codePoint) {
    if (Character.isLetterOrDigit(codePoint)) return true;
    int type = Character.getType(codePoint);
    return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
        || (codePoint < 128 && PUNCTUATION.indexOf(codePoint) >= 0);
  }
}
