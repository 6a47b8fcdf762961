package io.voicehelper.streams.knowledge.follow;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the {@link IndexFollower}, read once from {@code voicehelper.knowledge.index-follower} (see
 * {@code reference.conf} for what each key does, its unit and its default).
 *
 * @param enabled whether a node with a node-local Lucene index follows the journal
 * @param readJournal plugin id of the read journal whose {@code eventsByTag} is followed
 * @param minBackoff first delay before a failed follower starts again
 * @param maxBackoff longest delay between two starts; the delay doubles up to it
 * @param randomFactor random share added to each delay
 * @param offsetCommitInterval longest time applied offsets wait before they are committed to the index
 * @param offsetCommitBatch most events whose offsets are committed together
 * @param copyBatchSize chunks per index write when a document's published version is copied in
 * @param largeLag journal entries behind at start from which catching up is logged at info
 */
public record IndexFollowerSettings(
    boolean enabled,
    String readJournal,
    Duration minBackoff,
    Duration maxBackoff,
    double randomFactor,
    Duration offsetCommitInterval,
    int offsetCommitBatch,
    int copyBatchSize,
    long largeLag) {

  /** The config path these settings are read from. */
  public static final String CONFIG_PATH = "voicehelper.knowledge.index-follower";

  public IndexFollowerSettings {
    if (minBackoff.isNegative() || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0) {
      throw new IllegalArgumentException(CONFIG_PATH + ".restart-backoff: min must be positive and max >= min");
    }
    if (randomFactor < 0) {
      throw new IllegalArgumentException(CONFIG_PATH + ".restart-backoff.random-factor must be >= 0");
    }
    if (offsetCommitInterval.isNegative() || offsetCommitInterval.isZero()) {
      throw new IllegalArgumentException(CONFIG_PATH + ".offset-commit-interval must be positive");
    }
    if (offsetCommitBatch < 1) throw new IllegalArgumentException(CONFIG_PATH + ".offset-commit-batch must be >= 1");
    if (copyBatchSize < 1) throw new IllegalArgumentException(CONFIG_PATH + ".copy-batch-size must be >= 1");
    if (largeLag < 0) throw new IllegalArgumentException(CONFIG_PATH + ".large-lag must be >= 0");
  }

  /** Reads the settings from the {@code voicehelper.knowledge.index-follower} section. */
  public static IndexFollowerSettings fromConfig(Config config) {
    return new IndexFollowerSettings(
        config.getBoolean("enabled"),
        config.getString("read-journal"),
        config.getDuration("restart-backoff.min"),
        config.getDuration("restart-backoff.max"),
        config.getDouble("restart-backoff.random-factor"),
        config.getDuration("offset-commit-interval"),
        config.getInt("offset-commit-batch"),
        config.getInt("copy-batch-size"),
        config.getLong("large-lag"));
  }
}
