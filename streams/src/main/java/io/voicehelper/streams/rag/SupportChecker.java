package io.voicehelper.streams.rag;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;

/**
 * Self-RAG's second check: whether an answer is supported by the sources it cites. {@link TermSupportChecker}
 * without a model, {@link ModelSupportChecker} with one.
 */
public interface SupportChecker {

  /** How well the sources support an answer, best first. */
  enum Level {
    SUPPORTED, PARTIAL, UNSUPPORTED;

    /** The name in replies and the API. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A verdict.
   *
   * @param detail what was found, for the reply's record
   */
  record Verdict(Level level, String detail) {}

  /**
   * Checks {@code answer} to {@code question} against the numbered {@code sources} it was written from. Never fails:
   * a checker that cannot answer falls back to a rule. Model calls go to {@code usage}.
   */
  CompletionStage<Verdict> check(String question, String answer, List<NumberedSource> sources, ModelUsage usage);
}
