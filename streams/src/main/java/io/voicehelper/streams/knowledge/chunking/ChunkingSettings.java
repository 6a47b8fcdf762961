package io.voicehelper.streams.knowledge.chunking;

import com.typesafe.config.Config;

/**
 * How big chunks are, read once from {@code voicehelper.knowledge.chunking} (see {@code reference.conf}).
 *
 * @param maxTokens the most tokens a chunk's text may have, by {@link
 *     io.voicehelper.entities.conversation.TokenEstimator#HEURISTIC}
 * @param overlapTokens the most tokens of whole sentences a chunk repeats from the one before it in the same section
 */
public record ChunkingSettings(int maxTokens, int overlapTokens) {

  /** The config path these settings are read from. */
  public static final String CONFIG_PATH = "voicehelper.knowledge.chunking";

  /** 300 tokens with 50 of overlap: a few paragraphs, small enough for a precise embedding. */
  public static final ChunkingSettings DEFAULT = new ChunkingSettings(300, 50);

  public ChunkingSettings {
    if (maxTokens <= 0) throw new IllegalArgumentException("max-tokens must be positive, was " + maxTokens);
    if (overlapTokens < 0 || overlapTokens >= maxTokens) {
      throw new IllegalArgumentException(
          "overlap-tokens must be at least 0 and less than max-tokens (" + maxTokens + "), was " + overlapTokens);
    }
  }

  /** Reads {@code max-tokens} and {@code overlap-tokens} from {@code config}, the {@link #CONFIG_PATH} section. */
  public static ChunkingSettings fromConfig(Config config) {
    return new ChunkingSettings(config.getInt("max-tokens"), config.getInt("overlap-tokens"));
  }
}
