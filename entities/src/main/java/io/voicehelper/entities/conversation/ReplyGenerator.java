package io.voicehelper.entities.conversation;

import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Port through which a conversation starts the generation of a reply.
 *
 * <p>The returned source emits {@link Output.Token}s and, last, one {@link Output.Finished}; it fails when the
 * model cannot answer. Cancelling it must cancel the model call.
 */
public interface ReplyGenerator {

  Source<Output, NotUsed> generate(Request request);

  /** What to generate for: the conversation's entity id, the reply's id and the context built by the entity. */
  record Request(String conversationKey, String replyId, List<ChatTurn> context) {}

  /** An element of a generation. */
  sealed interface Output {}

  /** A piece of reply text, in order. */
  record Token(String text) implements Output {}

  /**
   * The end of the reply, with the model that wrote it and its token usage ({@code null} where the provider did
   * not report it; the entity then estimates).
   */
  record Finished(String model, Integer inputTokens, Integer outputTokens) implements Output {}
}
