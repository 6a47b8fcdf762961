package io.voicehelper.streams.rag;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Chooses how a turn is answered, by configurable keyword rules (Chinese and English): greetings and chit-chat go
 * to chat mode; questions about policies, products and how-to go to rag mode. A message neither rule decides is
 * tried in rag mode and falls back to chat when retrieval finds nothing relevant (decided by the caller).
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

  /** The route of a user message. */
  public Route route(String message) {
    String text = message.strip().toLowerCase(Locale.ROOT);
    Optional<Keyword> rag = first(ragKeywords, text);
    if (rag.isPresent()) {
      return new Route(Mode.RAG, true, "rule: a question about policies, products or how-to ('" + rag.get().word()
          + "')");
    }
    Optional<Keyword> chat = first(chatKeywords, text);
    if (chat.isPresent() && text.codePointCount(0, text.length()) <= chatMaxChars) {
      return new Route(Mode.CHAT, true, "rule: greeting or chit-chat ('" + chat.get().word() + "')");
    }
    return new Route(Mode.RAG, false, "no rule matched: answered from the documents if they are relevant");
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
