package io.voicehelper.entities.conversation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How a conversation chooses the history it hands to the model. The newest user message is always included.
 */
public sealed interface ContextStrategy {

  /**
   * Selects the context for a reply.
   *
   * @param history every finished message up to and including the user message being answered, oldest first
   * @param summary the current summary, or empty
   * @param summaryCovers how many of the oldest messages of {@code history} the summary covers
   */
  List<ChatTurn> select(List<ChatTurn> history, String summary, int summaryCovers, TokenEstimator estimator);

  /** How many of the oldest messages should be summarized before this reply, or 0 for none. */
  default int messagesToSummarize(int historySize, int summaryCovers) {
    return 0;
  }

  /** The last {@code maxMessages} messages. */
  record FixedWindow(int maxMessages) implements ContextStrategy {
    public FixedWindow {
      if (maxMessages < 1) throw new IllegalArgumentException("maxMessages must be at least 1");
    }

    @Override
    public List<ChatTurn> select(
        List<ChatTurn> history, String summary, int summaryCovers, TokenEstimator estimator) {
      return List.copyOf(history.subList(Math.max(0, history.size() - maxMessages), history.size()));
    }
  }

  /** As many of the newest messages as fit in {@code maxTokens} by the token estimate. */
  record TokenLimit(int maxTokens) implements ContextStrategy {
    public TokenLimit {
      if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be at least 1");
    }

    @Override
    public List<ChatTurn> select(
        List<ChatTurn> history, String summary, int summaryCovers, TokenEstimator estimator) {
      List<ChatTurn> selected = new ArrayList<>();
      int used = 0;
      for (int i = history.size() - 1; i >= 0; i--) {
        ChatTurn turn = history.get(i);
        int cost = estimator.estimate(turn.content()) + TokenEstimator.PER_MESSAGE_OVERHEAD;
        if (!selected.isEmpty() && used + cost > maxTokens) break;
        selected.add(turn);
        used += cost;
      }
      Collections.reverse(selected);
      return List.copyOf(selected);
    }
  }

  /**
   * The last {@code recentMessages} messages verbatim, and everything older folded into a summary. The summary is
   * refreshed once at least {@code summarizeBatch} older messages are not yet covered by it, so the summarizer is
   * not called on every turn.
   */
  record SummaryCompression(int recentMessages, int summarizeBatch) implements ContextStrategy {
    public SummaryCompression {
      if (recentMessages < 1) throw new IllegalArgumentException("recentMessages must be at least 1");
      if (summarizeBatch < 1) throw new IllegalArgumentException("summarizeBatch must be at least 1");
    }

    @Override
    public List<ChatTurn> select(
        List<ChatTurn> history, String summary, int summaryCovers, TokenEstimator estimator) {
      int recentFrom = Math.max(0, history.size() - recentMessages);
      List<ChatTurn> selected = new ArrayList<>();
      if (!summary.isEmpty()) selected.add(summaryTurn(summary));
      // Older messages that the summary does not cover yet stay verbatim until the next refresh.
      selected.addAll(history.subList(Math.min(recentFrom, summaryCovers), history.size()));
      return List.copyOf(selected);
    }

    @Override
    public int messagesToSummarize(int historySize, int summaryCovers) {
      int older = Math.max(0, historySize - recentMessages);
      return older - summaryCovers >= summarizeBatch ? older : 0;
    }
  }

  /** The system turn that carries a summary into the context. */
  static ChatTurn summaryTurn(String summary) {
    return ChatTurn.system("Summary of the earlier conversation:\n" + summary);
  }
}
