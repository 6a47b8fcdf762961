package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Grades passages with the language model, all of a round's passages in one call: the question and the numbered
 * passages, and an instruction to answer with the numbers of those that help answer it, or NONE. An answer that
 * names no valid number and is not NONE, a failure or a timeout leaves the grading to the {@link TermGrader}.
 */
public final class ModelGrader implements PassageGrader {

  public static final String INSTRUCTION = "You grade search results for a customer-service assistant. For each numbered "
      + "passage, decide whether it contains information that helps answer the user's question. Answer with the "
      + "numbers of the helpful passages separated by commas, for example \"1, 3\", or with NONE if no passage "
      + "helps. Answer with the numbers or NONE only.";
  private static final Pattern NUMBER = Pattern.compile("\\d{1,3}");
  private static final Pattern NONE = Pattern.compile("^\\W*none\\b");

  private final ModelCall model;
  private final TermGrader fallback;
  private final int maxPassageChars;

  ModelGrader(ModelCall model, TermGrader fallback, int maxPassageChars) {
    this.model = model;
    this.fallback = fallback;
    this.maxPassageChars = maxPassageChars;
  }

  @Override
  public CompletionStage<Graded> grade(String question, String query, List<RetrievedPassage> passages, int limit,
      ModelUsage usage) {
    StringBuilder listed = new StringBuilder("Question: ").append(question).append("\n\nPassages:");
    for (int i = 0; i < passages.size(); i++) {
      RetrievedPassage p = passages.get(i);
      String text = p.chunk().text().strip();
      if (text.length() > maxPassageChars) text = text.substring(0, maxPassageChars) + "…";
      listed.append("\n\n[").append(i + 1).append("] ");
      if (!p.chunk().headingPath().isEmpty()) listed.append(String.join(" > ", p.chunk().headingPath())).append('\n');
      listed.append(text);
    }
    List<ChatTurn> context = List.of(ChatTurn.system(INSTRUCTION), ChatTurn.user(listed.toString()));
    return model.ask("passage-grading", context, usage).handle((answer, failure) -> {
      if (failure == null) {
        List<RetrievedPassage> relevant = parse(answer, passages, limit);
        if (relevant != null) return new Graded(relevant, "graded by the model");
      }
      String why = failure != null ? "model grading failed" : "model grading unreadable";
      return new Graded(fallback.gradeNow(question, query, passages, limit), "key terms (" + why + ")");
    });
  }

  /** The passages the answer names, in retrieval order; empty for NONE; null when it is neither. */
  static List<RetrievedPassage> parse(String answer, List<RetrievedPassage> passages, int limit) {
    if (NONE.matcher(answer.toLowerCase(Locale.ROOT)).find()) return List.of();
    Set<Integer> named = new LinkedHashSet<>();
    Matcher m = NUMBER.matcher(answer);
    while (m.find()) {
      int n = Integer.parseInt(m.group());
      if (n >= 1 && n <= passages.size()) named.add(n);
    }
    if (named.isEmpty()) return null;
    List<RetrievedPassage> relevant = new ArrayList<>();
    for (int i = 0; i < passages.size() && relevant.size() < limit; i++) {
      if (named.contains(i + 1)) relevant.add(passages.get(i));
    }
    return relevant;
  }
}
