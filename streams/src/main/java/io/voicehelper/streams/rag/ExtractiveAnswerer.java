package io.voicehelper.streams.rag;

import io.voicehelper.streams.generation.internal.Texts;
import io.voicehelper.streams.knowledge.chunking.SentenceSplitter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Answers without a language model by quoting: the sentences of the sources that share the most key terms with the
 * query, best first, each followed by its source's {@code [n]}. When no sentence shares a term, it says plainly
 * that the documents do not cover the question, in the question's language (Chinese or English).
 */
public final class ExtractiveAnswerer {

  static final String INTRO_ZH = "根据知识库文档：";
  static final String INTRO_EN = "From the documents:";
  static final String NOT_COVERED_ZH = "抱歉，知识库中的文档没有涉及这个问题，我无法根据现有资料回答。"
      + "您可以换个说法再问，或联系人工客服。";
  static final String NOT_COVERED_EN = "Sorry, the documents in the knowledge base do not cover this question, so "
      + "I cannot answer it from them. You could ask it another way or contact a human agent.";

  /**
   * An answer: its text and the numbers of the sources it quotes (empty when it says the documents do not cover the
   * question).
   */
  public record Answer(String text, Set<Integer> cited) {

    public boolean covered() {
      return !cited.isEmpty();
    }
  }

  private record Candidate(String sentence, int source, int order, double score) {}

  private final int maxSentences;

  public ExtractiveAnswerer(int maxSentences) {
    this.maxSentences = maxSentences;
  }

  /** The honest answer when the documents do not cover {@code question}, in its language. */
  public static String notCovered(String question) {
    return Texts.hasHan(question) ? NOT_COVERED_ZH : NOT_COVERED_EN;
  }

  /**
   * The answer to {@code question} from {@code sources} (best first), matching the key terms of {@code query} (the
   * question as rewritten for search).
   */
  public Answer answer(String question, String query, List<NumberedSource> sources) {
    Set<String> terms = QueryTerms.terms(query);
    List<Candidate> candidates = new ArrayList<>();
    int order = 0;
    for (NumberedSource source : sources) {
      // A heading that names the topic lends its sentences half a point per shared term, to break ties.
      double headingBonus = 0.5 * QueryTerms.overlap(terms, source.headings());
      for (String sentence : sentences(source.chunk().text())) {
        int shared = QueryTerms.overlap(terms, sentence);
        if (shared > 0) {
          candidates.add(new Candidate(sentence, source.number(), order, shared + headingBonus));
        }
        order++;
      }
    }
    if (candidates.isEmpty()) return new Answer(notCovered(question), Set.of());
    candidates.sort(Comparator.comparingDouble(Candidate::score).reversed().thenComparingInt(Candidate::order));
    double best = candidates.get(0).score();
    boolean chinese = Texts.hasHan(question);
    StringBuilder text = new StringBuilder(chinese ? INTRO_ZH : INTRO_EN);
    Set<Integer> cited = new LinkedHashSet<>();
    Set<String> quoted = new LinkedHashSet<>();
    for (Candidate c : candidates) {
      if (quoted.size() == maxSentences || c.score() < best * 0.75) break;
      if (!quoted.add(c.sentence())) continue;
      if (!chinese || !Texts.hasHan(c.sentence())) text.append(' ');
      text.append(c.sentence()).append(" [").append(c.source()).append(']');
      cited.add(c.source());
    }
    return new Answer(text.toString(), java.util.Collections.unmodifiableSet(cited));
  }

  /** The sentences of a passage, one per line or sentence mark, without Markdown heading lines. */
  static List<String> sentences(String text) {
    List<String> sentences = new ArrayList<>();
    for (String line : text.split("\\R")) {
      String stripped = line.strip();
      if (stripped.isEmpty() || stripped.startsWith("#")) continue;
      for (String sentence : SentenceSplitter.split(stripped)) {
        String s = sentence.strip().replaceFirst("^[-*+]\\s+", "");
        if (s.codePointCount(0, s.length()) >= 4) sentences.add(s);
      }
    }
    return sentences;
  }
}
