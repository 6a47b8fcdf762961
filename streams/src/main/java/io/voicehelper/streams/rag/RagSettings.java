package io.voicehelper.streams.rag;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * Settings of answering from the knowledge base, read once from {@code voicehelper.rag} (see {@code reference.conf}
 * for what each key does, its unit and its default).
 *
 * @param enabled whether replies are routed and grounded at all; off: the model answers every turn without sources
 * @param candidates hits each retrieval half contributes to fusion (N)
 * @param topK passages retrieved per turn (K)
 * @param maxSources most passages handed to the model (or quoted) as numbered sources
 * @param maxSourceChars longest source text in the prompt, in characters
 * @param historyTurns earlier turns put in the prompt before the question
 * @param minTermCoverage share of the query's key terms a passage must contain to count as relevant (0..1)
 * @param minSimilarity vector similarity at which a passage counts as relevant without shared terms (0..1)
 * @param shortQuestionTerms a question with at most this many key phrases is taken as elliptical and gets the
 *     previous question's key terms appended
 * @param rewriteTimeout how long a model may take to rewrite a question before the rule is used instead
 * @param maxSentences most sentences of an extractive answer (no model)
 * @param minSentenceSimilarity similarity (cosine) at which a sentence that shares no key term may be quoted (0..1]
 * @param chatMaxChars longest message the chit-chat rule applies to, in characters
 * @param chatKeywords words of greetings and chit-chat (English ones match whole words)
 * @param ragKeywords words of questions about policies, products and how-to
 * @param synonyms groups of words that mean the same: a query naming one gets the others appended
 * @param semanticRouting whether messages no keyword decides are routed by embedding similarity to descriptions
 * @param semanticMargin how much closer to one mode's descriptions than the other's a message must be (cosine)
 * @param chatDescriptions what chat-mode messages are about, for the embedding rule
 * @param ragDescriptions what rag-mode messages are about, for the embedding rule
 * @param modelRouting whether the language model, when one is configured, routes the messages no keyword decides
 * @param modelRoutingTimeout how long the model may take to route before the next rule decides
 * @param selfRag the checks of each answer against its sources and the retries
 */
public record RagSettings(
    boolean enabled,
    int candidates,
    int topK,
    int maxSources,
    int maxSourceChars,
    int historyTurns,
    double minTermCoverage,
    double minSimilarity,
    int shortQuestionTerms,
    Duration rewriteTimeout,
    int maxSentences,
    double minSentenceSimilarity,
    int chatMaxChars,
    List<String> chatKeywords,
    List<String> ragKeywords,
    List<List<String>> synonyms,
    boolean semanticRouting,
    double semanticMargin,
    List<String> chatDescriptions,
    List<String> ragDescriptions,
    boolean modelRouting,
    Duration modelRoutingTimeout,
    SelfRag selfRag) {

  public static final String CONFIG_PATH = "voicehelper.rag";

  /**
   * Self-RAG: grade the retrieved passages, answer, check that the answer is supported, and search again when not.
   *
   * @param maxRounds most rounds of retrieve, grade, answer and check per turn (1: no retry)
   * @param modelGrading whether the model, when one is configured, grades the passages (else the key-term rule)
   * @param checkSupport whether answers are checked against their sources (by the model when configured)
   * @param minSentenceSupport share of a sentence's key terms its sources must contain, for the rule check (0..1)
   * @param timeout how long the model may take to grade or check before the rule is used instead
   * @param widen a retry round asks for this many times the candidates and passages of the first round
   * @param sendUnsupported whether an answer still unsupported after the last round is sent (with its note) rather
   *     than the honest "not covered" answer
   */
  public record SelfRag(int maxRounds, boolean modelGrading, boolean checkSupport, double minSentenceSupport,
      Duration timeout, int widen, boolean sendUnsupported) {

    public SelfRag {
      if (maxRounds < 1 || maxRounds > 5) {
        throw new IllegalArgumentException(CONFIG_PATH + ".self-rag.max-rounds must be between 1 and 5");
      }
      if (!(minSentenceSupport > 0 && minSentenceSupport <= 1)) {
        throw new IllegalArgumentException(CONFIG_PATH + ".self-rag.min-sentence-support must be in (0, 1]");
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(CONFIG_PATH + ".self-rag.timeout must be positive");
      }
      if (widen < 1 || widen > 10) {
        throw new IllegalArgumentException(CONFIG_PATH + ".self-rag.widen must be between 1 and 10");
      }
    }

    static SelfRag fromConfig(Config config) {
      String grading = config.getString("grade-passages");
      if (!grading.equals("model") && !grading.equals("terms")) {
        throw new IllegalArgumentException(CONFIG_PATH + ".self-rag.grade-passages must be 'model' or 'terms'");
      }
      return new SelfRag(config.getInt("max-rounds"), grading.equals("model"), config.getBoolean("check-support"),
          config.getDouble("min-sentence-support"), config.getDuration("timeout"), config.getInt("widen"),
          config.getBoolean("send-unsupported"));
    }
  }

  public RagSettings {
    if (candidates < 1) throw new IllegalArgumentException(CONFIG_PATH + ".candidates must be >= 1");
    if (topK < 1) throw new IllegalArgumentException(CONFIG_PATH + ".top-k must be >= 1");
    if (maxSources < 1) throw new IllegalArgumentException(CONFIG_PATH + ".max-sources must be >= 1");
    if (maxSourceChars < 50) throw new IllegalArgumentException(CONFIG_PATH + ".max-source-chars must be >= 50");
    if (historyTurns < 0) throw new IllegalArgumentException(CONFIG_PATH + ".history-turns must be >= 0");
    if (!(minTermCoverage >= 0 && minTermCoverage <= 1)) {
      throw new IllegalArgumentException(CONFIG_PATH + ".min-term-coverage must be between 0 and 1");
    }
    if (!(minSimilarity >= 0 && minSimilarity <= 1)) {
      throw new IllegalArgumentException(CONFIG_PATH + ".min-similarity must be between 0 and 1");
    }
    if (shortQuestionTerms < 0) {
      throw new IllegalArgumentException(CONFIG_PATH + ".short-question-terms must be >= 0");
    }
    if (rewriteTimeout.isNegative() || rewriteTimeout.isZero()) {
      throw new IllegalArgumentException(CONFIG_PATH + ".rewrite-timeout must be positive");
    }
    if (maxSentences < 1) throw new IllegalArgumentException(CONFIG_PATH + ".extractive.max-sentences must be >= 1");
    if (!(minSentenceSimilarity > 0 && minSentenceSimilarity <= 1)) {
      throw new IllegalArgumentException(CONFIG_PATH + ".extractive.min-sentence-similarity must be in (0, 1]");
    }
    chatKeywords = List.copyOf(chatKeywords);
    ragKeywords = List.copyOf(ragKeywords);
    synonyms = synonyms.stream().map(List::copyOf).toList();
    if (!(semanticMargin >= 0 && semanticMargin <= 1)) {
      throw new IllegalArgumentException(CONFIG_PATH + ".router.semantic.margin must be between 0 and 1");
    }
    chatDescriptions = List.copyOf(chatDescriptions);
    ragDescriptions = List.copyOf(ragDescriptions);
    if (semanticRouting && (chatDescriptions.isEmpty() || ragDescriptions.isEmpty())) {
      throw new IllegalArgumentException(CONFIG_PATH + ".router.semantic needs descriptions of both modes");
    }
    if (modelRoutingTimeout.isNegative() || modelRoutingTimeout.isZero()) {
      throw new IllegalArgumentException(CONFIG_PATH + ".router.model.timeout must be positive");
    }
  }

  /** Reads the settings from the {@code voicehelper.rag} section. */
  public static RagSettings fromConfig(Config config) {
    return new RagSettings(
        config.getBoolean("enabled"),
        config.getInt("candidates"),
        config.getInt("top-k"),
        config.getInt("max-sources"),
        config.getInt("max-source-chars"),
        config.getInt("history-turns"),
        config.getDouble("min-term-coverage"),
        config.getDouble("min-similarity"),
        config.getInt("short-question-terms"),
        config.getDuration("rewrite-timeout"),
        config.getInt("extractive.max-sentences"),
        config.getDouble("extractive.min-sentence-similarity"),
        config.getInt("router.chat-max-chars"),
        config.getStringList("router.chat-keywords"),
        config.getStringList("router.rag-keywords"),
        config.getList("synonyms").stream().map(group -> ((List<?>) group.unwrapped()).stream()
            .map(String::valueOf).toList()).toList(),
        config.getBoolean("router.semantic.enabled"),
        config.getDouble("router.semantic.margin"),
        config.getStringList("router.semantic.chat-descriptions"),
        config.getStringList("router.semantic.rag-descriptions"),
        config.getBoolean("router.model.enabled"),
        config.getDuration("router.model.timeout"),
        SelfRag.fromConfig(config.getConfig("self-rag")));
  }
}
