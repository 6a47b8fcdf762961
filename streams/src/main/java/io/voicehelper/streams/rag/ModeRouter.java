package io.voicehelper.streams.rag;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Chooses how a turn is answered, by configurable keyword rules (Chinese and English): greetings and chit-chat go
 * to chat mode; questions about policies, products and how-to go to rag mode, and so does any other message shaped
 * as a question (a customer asking the service something it may not know must hear that the documents don't say).
 * A message no rule decides is tried in rag mode and falls back to chat when retrieval finds nothing relevant
 * (decided by the caller). Between the keyword rules and the question rule the caller may ask the model
 * ({@link ModelModeClassifier}) and the embedding rule ({@link SemanticRouter}).
 */
public final class ModeRouter {

  /** How a turn is answered. */
  public enum Mode {
    CHAT, RAG;

    /** The name in replies and the API. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A routing decision: {@code decided} is false when no rule matched and retrieval decides.
   *
   * @param reason why, for the reply's record
   */
  public record Route(Mode mode, boolean decided, String reason) {}

  private final int chatMaxChars;
  private final List<Keyword> chatKeywords;
  private final List<Keyword> ragKeywords;

  public ModeRouter(RagSettings settings) {
    this.chatMaxChars = settings.chatMaxChars();
    this.chatKeywords = settings.chatKeywords().stream().map(Keyword::of).toList();
    this.ragKeywords = settings.ragKeywords().stream().map(Keyword::of).toList();
  }

  /** The route of a user message by the rules alone: the keyword rules, then the question rule. */
  public Route route(String message) {
    return byKeywords(message).orElseGet(() -> byShape(message));
  }

  /**
   * The keyword rules: a rag keyword, or a chat keyword in a short message; empty when neither matches (the model
   * or the embedding rule may decide, then {@link #byShape}).
   */
  public Optional<Route> byKeywords(String message) {
    String text = message.strip().toLowerCase(Locale.ROOT);
    Optional<Keyword> rag = first(ragKeywords, text);
    if (rag.isPresent()) {
      return Optional.of(new Route(Mode.RAG, true, "rule: a question about policies, products or how-to ('"
          + rag.get().word() + "')"));
    }
    Optional<Keyword> chat = first(chatKeywords, text);
    if (chat.isPresent() && text.codePointCount(0, text.length()) <= chatMaxChars) {
      return Optional.of(new Route(Mode.CHAT, true, "rule: greeting or chit-chat ('" + chat.get().word() + "')"));
    }
    return Optional.empty();
  }

  /** The last rule: a message shaped as a question goes to the documents; anything else is tried there. */
  public Route byShape(String message) {
    if (isQuestion(message.strip().toLowerCase(Locale.ROOT))) return new Route(Mode.RAG, true, "rule: a question");
    return new Route(Mode.RAG, false, "no rule matched: answered from the documents if they are relevant");
  }

  private static final Pattern CHINESE_QUESTION =
      Pattern.compile("[吗呢么]\\s*[？?。.!！]?\\s*$|什么|多少|怎么|怎样|如何|哪|几[个天次年月]|是否|能否|可否|为什么|为何");
  private static final Pattern ENGLISH_QUESTION = Pattern.compile(
      "^(what|how|when|where|which|who|whom|whose|why|can|could|do|does|did|is|are|was|were|will|would|should|shall|"
          + "may|might|have|has)\\b");

  /** Shaped as a question: a question mark, a Chinese question word or particle, or an English question opening. */
  static boolean isQuestion(String text) {
    String t = text.strip();
    return t.endsWith("?") || t.endsWith("？") || CHINESE_QUESTION.matcher(t).find()
        || ENGLISH_QUESTION.matcher(t.toLowerCase(Locale.ROOT)).find();
  }

  private static Optional<Keyword> first(List<Keyword> keywords, String text) {
    return keywords.stream().filter(k -> k.matches(text)).findFirst();
  }

  /** A configured keyword: Latin ones match whole words, others anywhere. */
  private record Keyword(String word, Pattern wholeWord) {

    static Keyword of(String word) {
      String w = word.strip().toLowerCase(Locale.ROOT);
      boolean latin = w.codePoints().noneMatch(QueryTerms::isHan);
      return new Keyword(w, latin ? Pattern.compile("(?<![\\p{L}\\p{Nd}])" + Pattern.quote(w) + "(?![\\p{L}\\p{Nd}])")
          : null);
    }

    boolean matches(String text) {
      return wholeWord == null ? text.contains(word) : wholeWord.matcher(text).find();
    }
  }
}
