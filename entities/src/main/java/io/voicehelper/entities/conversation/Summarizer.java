package io.voicehelper.entities.conversation;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** Port that compresses older turns of a conversation into a short summary, for the summary context strategy. */
public interface Summarizer {

  /**
   * @param previousSummary the summary of the turns before {@code turns}, empty when there is none
   * @param turns the turns to fold into the summary, oldest first
   */
  CompletionStage<String> summarize(String previousSummary, List<ChatTurn> turns);
}
