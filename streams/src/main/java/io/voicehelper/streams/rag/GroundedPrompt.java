package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ChatTurn;
import java.util.ArrayList;
import java.util.List;

/**
 * The context a model answers a rag turn from: a system message with the instructions and the numbered sources
 * (document name, heading path, text), the last turns of the conversation, and the question.
 */
public final class GroundedPrompt {

  /** How the model must use the sources. */
  public static final String INSTRUCTION = "You are a customer-service assistant. Answer the user's question using "
      + "only the numbered sources below. After each statement, cite the source it comes from as [n], for example "
      + "[1] or [2][3]. If the sources do not answer the question, say plainly that the documents do not cover it "
      + "instead of guessing. Answer in the language of the question.";

  private GroundedPrompt() {}

  /**
   * The context: the instruction and sources as a system turn, then the last {@code historyTurns} user and
   * assistant turns of {@code history}, then the question. Each source's text is cut to {@code maxSourceChars}.
   */
  public static List<ChatTurn> build(String question, List<ChatTurn> history, List<NumberedSource> sources,
      int historyTurns, int maxSourceChars) {
    List<ChatTurn> context = new ArrayList<>();
    context.add(ChatTurn.system(INSTRUCTION + "\n\nSources:\n\n" + sources(sources, maxSourceChars)));
    context.addAll(lastTurns(history, historyTurns));
    context.add(ChatTurn.user(question));
    return List.copyOf(context);
  }

  /** The sources as the prompt lists them: "[n] name — headings", then the text; separated by blank lines. */
  static String sources(List<NumberedSource> sources, int maxSourceChars) {
    StringBuilder text = new StringBuilder();
    for (NumberedSource source : sources) {
      if (text.length() > 0) text.append("\n\n");
      text.append('[').append(source.number()).append("] ").append(source.documentName());
      if (!source.headings().isEmpty()) text.append(" — ").append(source.headings());
      String body = source.chunk().text().strip();
      if (body.length() > maxSourceChars) body = body.substring(0, maxSourceChars) + "…";
      text.append('\n').append(body);
    }
    return text.toString();
  }

  /** The last {@code count} user and assistant turns of {@code history}, oldest first (summaries left out). */
  static List<ChatTurn> lastTurns(List<ChatTurn> history, int count) {
    List<ChatTurn> turns = history.stream().filter(t -> t.role() != ChatTurn.Role.SYSTEM).toList();
    return turns.subList(Math.max(0, turns.size() - count), turns.size());
  }
}
