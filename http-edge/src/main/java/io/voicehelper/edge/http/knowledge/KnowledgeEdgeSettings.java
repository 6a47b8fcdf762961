package io.voicehelper.edge.http.knowledge;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the knowledge API at the edge, read once from {@code voicehelper.http.knowledge} (see this module's
 * {@code reference.conf}).
 *
 * @param maxUploadBytes largest file accepted by an upload
 * @param uploadTimeout how long an upload request may take from its first byte to the answer
 * @param maxCollectionNameLength longest collection name, in characters
 * @param maxFileNameLength longest file name, in characters
 */
public record KnowledgeEdgeSettings(
    long maxUploadBytes, Duration uploadTimeout, int maxCollectionNameLength, int maxFileNameLength) {

  public KnowledgeEdgeSettings {
    if (maxUploadBytes < 1) throw new IllegalArgumentException("voicehelper.http.knowledge.max-upload-size must be positive");
    if (uploadTimeout.isNegative() || uploadTimeout.isZero()) {
      throw new IllegalArgumentException("voicehelper.http.knowledge.upload-timeout must be positive");
    }
  }

  public static KnowledgeEdgeSettings fromConfig(Config config) {
    return new KnowledgeEdgeSettings(
        config.getBytes("max-upload-size"),
        config.getDuration("upload-timeout"),
        config.getInt("max-collection-name-length"),
        config.getInt("max-file-name-length"));
  }
}
