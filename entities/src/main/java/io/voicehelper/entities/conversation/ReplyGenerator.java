package io.voicehelper.entities.conversation;

import io.voicehelper.entities.CborSerializable;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Port through which a conversation starts the generation of a reply.
 *
 * <p>The returned source emits {@link Output.Token}s, optionally one {@link Output.Grounding}, and, last, one
 * {@link Output.Finished}; it fails when the model cannot answer. Cancelling it must cancel the model call.
 */
public interface ReplyGenerator {

  Source<Output, NotUsed> generate(Request request);

  /**
   * What to generate for: the conversation's entity id ({@code tenant|conversation}), the reply's id, the context
   * built by the entity, and the collections the conversation answers from (empty: all of the tenant's).
   */
  record Request(String conversationKey, String replyId, List<ChatTurn> context, List<String> collections) {

    public Request {
      context = List.copyOf(context);
      collections = collections == null ? List.of() : List.copyOf(collections);
    }

    public Request(String conversationKey, String replyId, List<ChatTurn> context) {
      this(conversationKey, replyId, context, List.of());
    }

    /** The tenant part of the conversation's entity id. */
    public String tenantId() {
      int bar = conversationKey.indexOf('|');
      return bar < 0 ? "" : conversationKey.substring(0, bar);
    }

    /** The same request with another context. */
    public Request withContext(List<ChatTurn> newContext) {
      return new Request(conversationKey, replyId, newContext, collections);
    }
  }

  /** An element of a generation. */
  sealed interface Output {}

  /** A piece of reply text, in order. */
  record Token(String text) implements Output {}

  /**
   * How the reply was grounded, sent before {@link Finished} and stored with the reply.
   *
   * @param mode {@code chat} or {@code rag}
   * @param reason why that mode was chosen, and what each round of retrieval and checking found
   * @param support how well the sources support the text: {@code supported}, {@code partial}, {@code unsupported}
   *     (checked against the sources it cites), or {@code none} (no source: chat, or the documents do not cover the
   *     question); replies stored before the check have {@code generated} or {@code extractive}
   * @param citations the sources the reply cites, by their number {@code [n]} in the text
   * @param rounds the rounds of retrieval the answer took (Self-RAG retries); 0 when there was no retrieval or the
   *     reply predates the count
   */
  record Grounding(String mode, String reason, String support, List<Citation> citations, int rounds)
      implements Output, CborSerializable {

    public Grounding {
      citations = citations == null ? List.of() : List.copyOf(citations);
    }

    /** A grounding without retrieval rounds (chat). */
    public Grounding(String mode, String reason, String support, List<Citation> citations) {
      this(mode, reason, support, citations, 0);
    }
  }

  /**
   * The end of the reply, with the model that wrote it and its token usage ({@code null} where the provider did
   * not report it; the entity then estimates).
   */
  record Finished(String model, Integer inputTokens, Integer outputTokens) implements Output {}
}
