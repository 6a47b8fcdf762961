package io.voicehelper.entities.conversation;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of {@link ConversationEntity}, read once from {@code voicehelper.conversation}.
 *
 * @param contextStrategy how the model's context is chosen from the history
 * @param maxQueuedTurns user messages that may wait for a reply behind the one being generated
 * @param idempotencyWindow how long an {@code Idempotency-Key} is remembered
 * @param checkpointInterval how often the text of a reply in flight is made durable
 * @param abandonedReplyGrace how long a reply keeps generating after its last subscriber left
 * @param pollTimeout how long a subscriber's request for more chunks waits before it is answered empty
 * @param idleTimeout after how long without work the entity passivates
 * @param maxChunkBatch tokens handed to the entity at once while it is busy
 * @param generationAskTimeout how long the generation stream waits for the entity to take a batch
 */
public record ConversationSettings(
    ContextStrategy contextStrategy,
    int maxQueuedTurns,
    Duration idempotencyWindow,
    Duration checkpointInterval,
    Duration abandonedReplyGrace,
    Duration pollTimeout,
    Duration idleTimeout,
    int maxChunkBatch,
    Duration generationAskTimeout) {

  public static ConversationSettings fromConfig(Config config) {
    return new ConversationSettings(
        contextStrategy(config.getConfig("context")),
        config.getInt("max-queued-turns"),
        config.getDuration("idempotency-window"),
        config.getDuration("checkpoint-interval"),
        config.getDuration("abandoned-reply-grace"),
        config.getDuration("poll-timeout"),
        config.getDuration("idle-timeout"),
        config.getInt("max-chunk-batch"),
        config.getDuration("generation-ask-timeout"));
  }

  private static ContextStrategy contextStrategy(Config context) {
    String strategy = context.getString("strategy");
    return switch (strategy) {
      case "fixed-window" -> new ContextStrategy.FixedWindow(context.getInt("fixed-window.max-messages"));
      case "token-limit" -> new ContextStrategy.TokenLimit(context.getInt("token-limit.max-tokens"));
      case "summary" ->
          new ContextStrategy.SummaryCompression(
              context.getInt("summary.recent-messages"), context.getInt("summary.summarize-batch"));
      default ->
          throw new IllegalArgumentException(
              "voicehelper.conversation.context.strategy must be fixed-window, token-limit or summary, not "
                  + strategy);
    };
  }

  public ConversationSettings withContextStrategy(ContextStrategy strategy) {
    return new ConversationSettings(strategy, maxQueuedTurns, idempotencyWindow, checkpointInterval,
        abandonedReplyGrace, pollTimeout, idleTimeout, maxChunkBatch, generationAskTimeout);
  }

  public ConversationSettings withMaxQueuedTurns(int turns) {
    return new ConversationSettings(contextStrategy, turns, idempotencyWindow, checkpointInterval,
        abandonedReplyGrace, pollTimeout, idleTimeout, maxChunkBatch, generationAskTimeout);
  }

  public ConversationSettings withAbandonedReplyGrace(Duration grace) {
    return new ConversationSettings(contextStrategy, maxQueuedTurns, idempotencyWindow, checkpointInterval,
        grace, pollTimeout, idleTimeout, maxChunkBatch, generationAskTimeout);
  }
}
