package io.voicehelper.entities.conversation;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Port to the conversations read model: lists a tenant's conversations, newest activity first. It is fed by a
 * projection of {@link ConversationEntity}'s events, so it lags the entities by the projection's delay.
 */
public interface ConversationDirectory {

  CompletionStage<List<Entry>> list(String tenantId, int limit);

  /** One conversation in a listing. */
  record Entry(
      String conversationId,
      String title,
      Instant createdAt,
      Instant updatedAt,
      int messageCount,
      String lastMessage) {}
}
