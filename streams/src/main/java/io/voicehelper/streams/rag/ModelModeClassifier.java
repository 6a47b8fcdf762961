package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.streams.rag.ModeRouter.Mode;
import io.voicehelper.streams.rag.ModeRouter.Route;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The language model as mode classifier, for the messages the keyword rules do not decide: it is asked whether the
 * message is conversation (CHAT) or a question the company's documents could answer (DOCS). No decision (empty)
 * when it fails, times out or answers neither word; the next rule decides then.
 */
public final class ModelModeClassifier {

  public static final String INSTRUCTION = "You route the messages of a company's customer-service assistant. Answer CHAT "
      + "if the message is a greeting, thanks, small talk, or about the conversation itself. Answer DOCS if it asks "
      + "for information the company's documents could hold: products, orders, prices, policies, procedures, "
      + "troubleshooting, facts about the company. Answer with the one word only.";
  private static final Pattern WORD = Pattern.compile("\\b(chat|docs|rag)\\b");

  private final ModelCall model;

  ModelModeClassifier(ModelCall model) {
    this.model = model;
  }

  /** The mode the model chooses for {@code message}, if it chooses one. */
  CompletionStage<Optional<Route>> route(String message, ModelUsage usage) {
    List<ChatTurn> context = List.of(ChatTurn.system(INSTRUCTION), ChatTurn.user(message));
    return model.ask("mode-routing", context, usage).handle((answer, failure) -> {
      if (failure != null) return Optional.empty();
      Matcher m = WORD.matcher(answer.toLowerCase(Locale.ROOT));
      if (!m.find()) return Optional.empty();
      Mode mode = m.group(1).equals("chat") ? Mode.CHAT : Mode.RAG;
      return Optional.of(new Route(mode, true, "model: " + (mode == Mode.CHAT ? "conversation"
          : "a question for the documents")));
    });
  }
}
