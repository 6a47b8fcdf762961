package io.voicehelper.streams.generation.internal;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import io.voicehelper.entities.conversation.ChatTurn;
import java.util.ArrayList;
import java.util.List;

/** Maps a conversation's context to LangChain4j messages. */
public final class ChatMessages {

  private ChatMessages() {}

  /** The system prompt (when not blank) first, then each non-blank turn in order with its role. */
  public static List<ChatMessage> of(String systemPrompt, List<ChatTurn> turns) {
    List<ChatMessage> messages = new ArrayList<>(turns.size() + 1);
    if (systemPrompt != null && !systemPrompt.isBlank()) messages.add(SystemMessage.from(systemPrompt));
    for (ChatTurn turn : turns) {
      if (turn.content() == null || turn.content().isBlank()) continue; // providers reject empty messages
      messages.add(
          switch (turn.role()) {
            case SYSTEM -> SystemMessage.from(turn.content());
            case USER -> UserMessage.from(turn.content());
            case ASSISTANT -> AiMessage.from(turn.content());
          });
    }
    return messages;
  }
}
