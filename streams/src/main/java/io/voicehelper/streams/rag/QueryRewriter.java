package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ChatTurn;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Turns the last question of a conversation into a standalone search query, resolving references to earlier turns
 * ("and for cameras?" after a question about returns).
 */
public interface QueryRewriter {

  /**
   * The search query for {@code question}, given the turns before it (oldest first, the question not included).
   * Never fails: a rewriter that cannot answer returns the question or a rule's rewrite. A model call it makes is
   * recorded in {@code usage}.
   */
  CompletionStage<String> rewrite(String question, List<ChatTurn> history, ModelUsage usage);

  /**
   * Another search query for {@code question} after {@code failedQuery} found nothing that answers it ({@code why}):
   * other words, synonyms or a broader phrasing; empty when this rewriter has none worth a round. Never fails.
   */
  CompletionStage<Optional<String>> retry(String question, String failedQuery, String why, ModelUsage usage);
}
