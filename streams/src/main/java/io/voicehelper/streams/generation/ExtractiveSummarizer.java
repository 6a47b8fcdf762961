package io.voicehelper.streams.generation;

import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.Summarizer;
import io.voicehelper.streams.generation.internal.Texts;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The embedded summarizer when no model is configured: the previous summary's lines, then the first sentence of
 * each new user and assistant turn prefixed by its role ("User: …", "Assistant: …"). When the result exceeds
 * {@code maxChars}, the oldest lines are dropped (marked by a leading "…"), since the context strategy keeps
 * folding newer turns in.
 */
public final class ExtractiveSummarizer implements Summarizer {

  private static final String DROPPED = "…";
  private static final int MAX_SENTENCE = 200;

  private final int maxChars;

  /** @param maxChars the longest summary kept, in characters */
  public ExtractiveSummarizer(int maxChars) {
    if (maxChars < 20) throw new IllegalArgumentException("maxChars must be >= 20");
    this.maxChars = maxChars;
  }

  @Override
  public CompletionStage<String> summarize(String previousSummary, List<ChatTurn> turns) {
    List<String> lines = new ArrayList<>();
    if (previousSummary != null) {
      previousSummary.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.equals(DROPPED)).forEach(lines::add);
    }
    for (ChatTurn turn : turns) {
      if (turn.role() == ChatTurn.Role.SYSTEM) continue; // instructions and older summaries, already folded in
      String sentence = Texts.quote(Texts.firstSentence(turn.content()), MAX_SENTENCE);
      if (sentence.isEmpty()) continue;
      lines.add((turn.role() == ChatTurn.Role.USER ? "User: " : "Assistant: ") + sentence);
    }
    return CompletableFuture.completedFuture(capped(lines));
  }

  private String capped(List<String> lines) {
    String all = String.join("\n", lines);
    if (all.length() <= maxChars) return all;
    int budget = maxChars - DROPPED.length() - 1; // the "…" line that marks dropped lines
    Deque<String> kept = new ArrayDeque<>();
    int length = 0;
    for (int i = lines.size() - 1; i >= 0; i--) {
      String line = lines.get(i);
      int added = line.length() + (kept.isEmpty() ? 0 : 1);
      if (length + added > budget) break;
      kept.addFirst(line);
      length += added;
    }
    if (kept.isEmpty()) {
      String newest = lines.get(lines.size() - 1);
      kept.add(newest.substring(0, budget - DROPPED.length()) + DROPPED);
    }
    kept.addFirst(DROPPED);
    return String.join("\n", kept);
  }

}
