package io.voicehelper.streams.retrieval;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The retrieval caches, read once from {@code voicehelper.retrieval.cache} (see {@code reference.conf}).
 *
 * @param results retrieval results kept per node; 0: none
 * @param ttl the longest a result is kept
 * @param queryEmbeddings query vectors kept per node; 0: none
 */
public record RetrievalCacheSettings(long results, Duration ttl, long queryEmbeddings) {

  public static final String CONFIG_PATH = "voicehelper.retrieval.cache";

  public RetrievalCacheSettings {
    if (results < 0 || queryEmbeddings < 0) throw new IllegalArgumentException(CONFIG_PATH + " sizes must be >= 0");
    if (ttl.isZero() || ttl.isNegative()) throw new IllegalArgumentException(CONFIG_PATH + ".ttl must be positive");
  }

  public static RetrievalCacheSettings fromConfig(Config config) {
    return new RetrievalCacheSettings(config.getLong("results"), config.getDuration("ttl"),
        config.getLong("query-embeddings"));
  }
}
