package io.voicehelper.streams.retrieval;

import io.voicehelper.entities.retrieval.RetrievedPassage;
import io.voicehelper.streams.generation.OpenAiCompatibleCompletion;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Listwise rerank by the configured LLM: the model sees the question and the numbered candidates and answers with
 * their numbers, best first. Numbers it leaves out keep their fusion order after the ones it ranked; an answer
 * without a single valid number fails the stage (the retriever then keeps the fusion order and says so).
 */
public final class LlmListwiseReranker implements Reranker {

  static final String INSTRUCTIONS = "You rank passages by how well they answer a customer's question. Answer with "
      + "the passage numbers only, most relevant first, separated by ' > ', for example: [2] > [1] > [3]. Include "
      + "every passage once. Do not explain.";
  private static final Pattern NUMBER = Pattern.compile("\\d+");

  private final OpenAiCompatibleCompletion model;
  private final int maxPassageChars;

  /** {@code maxPassageChars}: each passage is cut to this many characters in the prompt. */
  public LlmListwiseReranker(OpenAiCompatibleCompletion model, int maxPassageChars) {
    if (maxPassageChars < 50) throw new IllegalArgumentException("max-passage-chars must be >= 50");
    this.model = model;
    this.maxPassageChars = maxPassageChars;
  }

  @Override
  public String name() {
    return "llm:" + model.settings().model();
  }

  @Override
  public CompletionStage<List<RetrievedPassage>> rerank(String query, List<RetrievedPassage> passages) {
    // About 8 output tokens per number ("[12] > ") is enough for the whole ranking.
    return model.complete("reranking", INSTRUCTIONS, prompt(query, passages), 8 * passages.size() + 16)
        .thenApply(answer -> order(answer, passages));
  }

  String prompt(String query, List<RetrievedPassage> passages) {
    StringBuilder prompt = new StringBuilder("Question: ").append(query.strip()).append("\n\nPassages:\n");
    for (int i = 0; i < passages.size(); i++) {
      var chunk = passages.get(i).chunk();
      String text = chunk.text().strip().replaceAll("\\s+", " ");
      if (text.length() > maxPassageChars) text = text.substring(0, maxPassageChars) + "…";
      prompt.append('[').append(i + 1).append("] ");
      if (!chunk.headingPath().isEmpty()) prompt.append('(').append(String.join(" > ", chunk.headingPath())).append(") ");
      prompt.append(text).append('\n');
    }
    return prompt.append("\nRank all ").append(passages.size()).append(" passages.").toString();
  }

  /** The passages in the model's order, then those it left out in their order; scores from 1 down. */
  static List<RetrievedPassage> order(String answer, List<RetrievedPassage> passages) {
    Set<Integer> ranked = new LinkedHashSet<>();
    Matcher numbers = NUMBER.matcher(answer);
    while (numbers.find()) {
      String digits = numbers.group();
      if (digits.length() > 4) continue;
      int n = Integer.parseInt(digits);
      if (n >= 1 && n <= passages.size()) ranked.add(n - 1);
    }
    if (ranked.isEmpty()) {
      throw new IllegalStateException("the model's ranking names no passage: "
          + (answer.length() > 80 ? answer.substring(0, 80) + "…" : answer));
    }
    for (int i = 0; i < passages.size(); i++) ranked.add(i);
    List<RetrievedPassage> ordered = new ArrayList<>(passages.size());
    int position = 0;
    for (int index : ranked) {
      ordered.add(passages.get(index).withRerankScore(1.0 - (double) position++ / passages.size()));
    }
    return ordered;
  }
}
