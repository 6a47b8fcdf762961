package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ChatTurn;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks support with the language model as judge: the numbered sources, the question and the answer, and an
 * instruction to answer SUPPORTED, PARTIAL or UNSUPPORTED. A failure, a timeout or an answer without one of the
 * three words leaves the check to the {@link TermSupportChecker}.
 */
public final class ModelSupportChecker implements SupportChecker {

  public static final String INSTRUCTION = "You check answers of a customer-service assistant against the numbered sources "
      + "they were written from. Answer SUPPORTED if every statement of the answer is stated in or directly follows "
      + "from the sources, PARTIAL if some statements are and some are not, UNSUPPORTED if its main statements are "
      + "not in the sources. An answer that says the sources do not cover the question is SUPPORTED when they do not. "
      + "Answer with the one word only.";
  private static final Pattern WORD = Pattern.compile("\\b(unsupported|partial|partially|supported)\\b");

  private final ModelCall model;
  private final TermSupportChecker fallback;
  private final int maxSourceChars;

  ModelSupportChecker(ModelCall model, TermSupportChecker fallback, int maxSourceChars) {
    this.model = model;
    this.fallback = fallback;
    this.maxSourceChars = maxSourceChars;
  }

  @Override
  public CompletionStage<Verdict> check(String question, String answer, List<NumberedSource> sources,
      ModelUsage usage) {
    List<ChatTurn> context = List.of(ChatTurn.system(INSTRUCTION), ChatTurn.user("Sources:\n\n"
        + GroundedPrompt.sources(sources, maxSourceChars) + "\n\nQuestion: " + question + "\n\nAnswer: " + answer));
    return model.ask("support-check", context, usage).handle((judged, failure) -> {
      if (failure == null) {
        Matcher m = WORD.matcher(judged.toLowerCase(Locale.ROOT));
        if (m.find()) {
          Level level = switch (m.group(1)) {
            case "supported" -> Level.SUPPORTED;
            case "unsupported" -> Level.UNSUPPORTED;
            default -> Level.PARTIAL;
          };
          return new Verdict(level, "judged by the model");
        }
      }
      Verdict byTerms = fallback.checkNow(answer, sources);
      String why = failure != null ? "model check failed" : "model check unreadable";
      return new Verdict(byTerms.level(), byTerms.detail() + " (" + why + ")");
    });
  }
}
