package io.voicehelper.streams.rag;

import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.streams.generation.internal.Texts;
import io.voicehelper.streams.knowledge.chunking.SentenceSplitter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Answers without a language model by quoting: the sentences of the sources that share the most key terms with the
 * query and, when an embedder is configured, are the most similar to it, best first, each followed by its source's
 * {@code [n]}. When no sentence shares a term, it says plainly
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

  private record Candidate(String sentence, int source, int order, int shared, double headingBonus) {}

  /** Most sentences embedded for one answer: the first ones of the sources, best source first. */
  static final int MAX_EMBEDDED_SENTENCES = 64;

  private final int maxSentences;
  private final Optional<Embedder> embedder;
  private final double minSentenceSimilarity;

  /** Sentences are chosen by the key terms they share with the query only. */
  public ExtractiveAnswerer(int maxSentences) {
    this(maxSentences, Optional.empty(), 1.0);
  }

  /**
   * Sentences are chosen by shared key terms and, with {@code embedder}, by their similarity to the query: a sentence
   * that shares no term counts when it is at least {@code minSentenceSimilarity} similar (cosine).
   */
  public ExtractiveAnswerer(int maxSentences, Optional<Embedder> embedder, double minSentenceSimilarity) {
    this.maxSentences = maxSentences;
    this.embedder = embedder;
    this.minSentenceSimilarity = minSentenceSimilarity;
  }

  /** The honest answer when the documents do not cover {@code question}, in its language. */
  public static String notCovered(String question) {
    return Texts.hasHan(question) ? NOT_COVERED_ZH : NOT_COVERED_EN;
  }

  /**
   * The answer to {@code question} from {@code sources} (best first), matching {@code query} (the question as
   * rewritten for search): by key terms, and by embedding similarity when an embedder is configured (its failure
   * leaves the key terms to it).
   */
  public CompletionStage<Answer> answer(String question, String query, List<NumberedSource> sources) {
    List<Candidate> candidates = candidates(query, sources);
    if (embedder.isEmpty() || candidates.isEmpty()) {
      return CompletableFuture.completedFuture(choose(question, query, candidates, new double[candidates.size()]));
    }
    List<Candidate> embedded = candidates.subList(0, Math.min(candidates.size(), MAX_EMBEDDED_SENTENCES));
    List<String> texts = new ArrayList<>(embedded.size() + 1);
    texts.add(query);
    for (Candidate c : embedded) texts.add(c.sentence());
    CompletionStage<List<float[]>> vectors;
    try {
      vectors = embedder.get().embedAll(texts);
    } catch (RuntimeException e) {
      vectors = CompletableFuture.failedFuture(e);
    }
    return vectors.handle((v, failure) -> {
      double[] similarity = new double[candidates.size()];
      if (failure == null) {
        for (int i = 0; i < embedded.size(); i++) similarity[i] = dot(v.get(0), v.get(i + 1));
      }
      return choose(question, query, candidates, similarity);
    });
  }

  /** Answers by key terms alone, at once. */
  public Answer answerByTerms(String question, String query, List<NumberedSource> sources) {
    List<Candidate> candidates = candidates(query, sources);
    return choose(question, query, candidates, new double[candidates.size()]);
  }

  /** Every sentence of the sources, in source order, with the terms it shares with the query. */
  private static List<Candidate> candidates(String query, List<NumberedSource> sources) {
    Set<String> terms = QueryTerms.terms(query);
    List<Candidate> candidates = new ArrayList<>();
    int order = 0;
    for (NumberedSource source : sources) {
      // A heading that names the topic lends its sentences half a point per shared term, to break ties.
      double headingBonus = 0.5 * QueryTerms.overlap(terms, source.headings());
      for (String sentence : sentences(source.chunk().text())) {
        candidates.add(new Candidate(sentence, source.number(), order++, QueryTerms.overlap(terms, sentence),
            headingBonus));
      }
    }
    return candidates;
  }

  /**
   * The best sentences: a sentence counts when it shares a key term or is similar enough; its score is the share of
   * the query's terms it (and half its heading) holds, plus its similarity. The best, and those within 75% of it, up
   * to max-sentences, each followed by its source's [n].
   */
  private Answer choose(String question, String query, List<Candidate> candidates, double[] similarity) {
    int termCount = Math.max(1, QueryTerms.terms(query).size());
    List<double[]> scored = new ArrayList<>(); // {index, score}
    for (int i = 0; i < candidates.size(); i++) {
      Candidate c = candidates.get(i);
      boolean similar = similarity[i] >= minSentenceSimilarity;
      if (c.shared() == 0 && !similar) continue;
      double terms = c.shared() == 0 ? 0 : (c.shared() + c.headingBonus()) / termCount;
      scored.add(new double[] {i, terms + (similar ? similarity[i] : 0)});
    }
    if (scored.isEmpty()) return new Answer(notCovered(question), Set.of());
    scored.sort(Comparator.<double[]>comparingDouble(x -> x[1]).reversed()
        .thenComparingInt(x -> candidates.get((int) x[0]).order()));
    double best = scored.get(0)[1];
    boolean chinese = Texts.hasHan(question);
    StringBuilder text = new StringBuilder(chinese ? INTRO_ZH : INTRO_EN);
    Set<Integer> cited = new LinkedHashSet<>();
    Set<String> quoted = new LinkedHashSet<>();
    for (double[] x : scored) {
      Candidate c = candidates.get((int) x[0]);
      if (quoted.size() == maxSentences || x[1] < best * 0.75) break;
      if (!quoted.add(c.sentence())) continue;
      if (!chinese || !Texts.hasHan(c.sentence())) text.append(' ');
      text.append(c.sentence()).append(" [").append(c.source()).append(']');
      cited.add(c.source());
    }
    return new Answer(text.toString(), java.util.Collections.unmodifiableSet(cited));
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) sum += a[i] * b[i];
    return sum;
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
