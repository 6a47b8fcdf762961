package io.voicehelper.entities.knowledge;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A document version's user metadata: a flat map of string keys to string values, given at upload, carried onto
 * every chunk of the version and matched by searches ({@link SearchFilter#metadata()}). The limits keep every index's
 * filter cheap and every key usable as a Lucene term, a Milvus JSON path and an Elasticsearch field name.
 */
public final class DocumentMetadata {

  /** Most pairs one version (or one search filter) may have. */
  public static final int MAX_KEYS = 20;
  /** Longest value, in characters. */
  public static final int MAX_VALUE_LENGTH = 256;
  /** What a key is made of: lower-case ASCII letters, digits, '_', '.', '-'; 1 to 64 of them. */
  public static final Pattern KEY = Pattern.compile("[a-z0-9_.-]{1,64}");

  private DocumentMetadata() {}

  /** The map, sorted by key and unmodifiable; empty for {@code null} (an event written before metadata existed). */
  public static Map<String, String> of(Map<String, String> metadata) {
    return metadata == null || metadata.isEmpty()
        ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metadata));
  }

  /** What is wrong with {@code metadata}, for a client to read; empty when it keeps every limit. */
  public static Optional<String> problem(Map<String, String> metadata) {
    if (metadata.size() > MAX_KEYS) {
      return Optional.of("metadata has " + metadata.size() + " keys; at most " + MAX_KEYS + " are allowed");
    }
    for (Map.Entry<String, String> pair : metadata.entrySet()) {
      String key = pair.getKey();
      if (key == null || !KEY.matcher(key).matches()) {
        return Optional.of("metadata key '" + clip(String.valueOf(key)) + "' must be 1 to 64 of a-z, 0-9, '_', '.', '-'");
      }
      if (pair.getValue() == null) return Optional.of("metadata value of '" + key + "' must be a string");
      String value = pair.getValue();
      if (value.codePointCount(0, value.length()) > MAX_VALUE_LENGTH) {
        return Optional.of("metadata value of '" + key + "' is longer than " + MAX_VALUE_LENGTH + " characters");
      }
    }
    return Optional.empty();
  }

  private static String clip(String text) {
    return text.length() > 64 ? text.substring(0, 64) + "…" : text;
  }
}
