package io.voicehelper.entities.conversation;

import io.voicehelper.entities.CborSerializable;

/** One turn of the context handed to a model: who spoke and what they said. */
public record ChatTurn(Role role, String content) implements CborSerializable {

  public enum Role {
    SYSTEM,
    USER,
    ASSISTANT
  }

  public static ChatTurn system(String content) {
    return new ChatTurn(Role.SYSTEM, content);
  }

  public static ChatTurn user(String content) {
    return new ChatTurn(Role.USER, content);
  }

  public static ChatTurn assistant(String content) {
    return new ChatTurn(Role.ASSISTANT, content);
  }
}
