package io.voicehelper.streams.voice.engine;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** BCP 47 tag helpers shared by the engines' tables. */
final class Languages {

  private Languages() {}

  /** The primary language subtag, lower case: {@code zh} for {@code zh-CN}. */
  static String primary(String language) {
    String tag = language.toLowerCase(Locale.ROOT).replace('_', '-');
    int dash = tag.indexOf('-');
    return dash < 0 ? tag : tag.substring(0, dash);
  }

  /** The entry of {@code table} (lower-case keys) for {@code language}'s full tag, else for its primary language. */
  static <V> Optional<V> lookup(Map<String, V> table, String language) {
    String tag = language.toLowerCase(Locale.ROOT).replace('_', '-');
    V own = table.get(tag);
    return Optional.ofNullable(own != null ? own : table.get(primary(tag)));
  }
}
