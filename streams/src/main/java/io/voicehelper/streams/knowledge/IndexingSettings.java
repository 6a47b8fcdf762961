package io.voicehelper.streams.knowledge;

import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Settings of the indexing pipeline, read once from {@code voicehelper.knowledge.indexing} (see {@code reference.conf}
 * for what each key does, its unit and its default).
 *
 * @param embeddingBatchSize chunks per embedding call
 * @param embeddingParallelism embedding calls in flight at once per job
 * @param storeWriteParallelism chunk-table writes in flight at once per job
 * @param publishBatchSize chunks per index upsert when a version is published
 * @param readTimeout longest the parser waits for the next bytes of the original
 * @param blockingDispatcher config path of the dispatcher that parses and chunks
 */
public record IndexingSettings(
    int embeddingBatchSize,
    int embeddingParallelism,
    int storeWriteParallelism,
    int publishBatchSize,
    Duration readTimeout,
    String blockingDispatcher) {

  /** The config path these settings are read from. */
  public static final String CONFIG_PATH = "voicehelper.knowledge.indexing";

  public IndexingSettings {
    if (embeddingBatchSize < 1) throw new IllegalArgumentException(CONFIG_PATH + ".embedding-batch-size must be >= 1");
    if (embeddingParallelism < 1) {
      throw new IllegalArgumentException(CONFIG_PATH + ".embedding-parallelism must be >= 1");
    }
    if (storeWriteParallelism < 1) {
      throw new IllegalArgumentException(CONFIG_PATH + ".store-write-parallelism must be >= 1");
    }
    if (publishBatchSize < 1) throw new IllegalArgumentException(CONFIG_PATH + ".publish-batch-size must be >= 1");
    if (readTimeout.isNegative() || readTimeout.isZero()) {
      throw new IllegalArgumentException(CONFIG_PATH + ".read-timeout must be positive");
    }
  }

  /** Reads the settings of the system's {@code voicehelper.knowledge.indexing}. */
  public static IndexingSettings fromSystem(ActorSystem<?> system) {
    return fromConfig(system.settings().config().getConfig(CONFIG_PATH));
  }

  /** Reads the settings from the {@code voicehelper.knowledge.indexing} section. */
  public static IndexingSettings fromConfig(Config config) {
    return new IndexingSettings(
        config.getInt("embedding-batch-size"),
        config.getInt("embedding-parallelism"),
        config.getInt("store-write-parallelism"),
        config.getInt("publish-batch-size"),
        config.getDuration("read-timeout"),
        CONFIG_PATH + ".blocking-dispatcher");
  }
}
