package io.voicehelper.entities.knowledge;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of {@link DocumentEntity}, read once from {@code voicehelper.knowledge.documents}.
 *
 * @param supersededRetention how long a replaced version keeps its chunks (so it can be restored without indexing
 *     it again) before they are purged
 * @param uploadTimeout after how long a version whose file never finished uploading is failed
 * @param compensationBackoffMin first delay before a failed compensation or purge is tried again
 * @param compensationBackoffMax longest delay between two tries; the delay doubles up to it
 * @param snapshotEvery a snapshot of the document is saved after this many events
 * @param idleTimeout after how long without work the entity passivates
 */
public record KnowledgeSettings(
    Duration supersededRetention,
    Duration uploadTimeout,
    Duration compensationBackoffMin,
    Duration compensationBackoffMax,
    int snapshotEvery,
    Duration idleTimeout) {

  public static KnowledgeSettings fromConfig(Config documents) {
    return new KnowledgeSettings(
        documents.getDuration("superseded-retention"),
        documents.getDuration("upload-timeout"),
        documents.getDuration("compensation-backoff.min"),
        documents.getDuration("compensation-backoff.max"),
        documents.getInt("snapshot-every"),
        documents.getDuration("idle-timeout"));
  }

  /** The delay before try number {@code attempt + 1} of a step that has failed {@code attempt} times (from 1). */
  public Duration backoff(int attempt) {
    Duration delay = compensationBackoffMin;
    for (int i = 1; i < attempt && delay.compareTo(compensationBackoffMax) < 0; i++) delay = delay.multipliedBy(2);
    return delay.compareTo(compensationBackoffMax) > 0 ? compensationBackoffMax : delay;
  }

  public KnowledgeSettings withSupersededRetention(Duration retention) {
    return new KnowledgeSettings(retention, uploadTimeout, compensationBackoffMin, compensationBackoffMax,
        snapshotEvery, idleTimeout);
  }

  public KnowledgeSettings withUploadTimeout(Duration timeout) {
    return new KnowledgeSettings(supersededRetention, timeout, compensationBackoffMin, compensationBackoffMax,
        snapshotEvery, idleTimeout);
  }
}
