package io.voicehelper.streams.voice.call;

import io.voicehelper.entities.conversation.ReplyEvent;
import io.voicehelper.entities.voice.CallIdentity;
import io.voicehelper.entities.voice.ClientMessage;
import io.voicehelper.entities.voice.VoiceEvent;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * What a call session needs from the cluster: its call record (the {@code VoiceCallEntity}) and its conversation
 * (the {@code ConversationEntity}, shared with the chat). Every method is one ask through sharding; failures carry
 * a {@link CallFailure} whose code the session reports to the client.
 */
public interface CallBackend {

  /**
   * Opens the call {@code start} asks for: a reconnect to {@code start.callId()}, or a new call in
   * {@code start.conversationId()} or in a new conversation.
   */
  CompletionStage<OpenCall> open(CallIdentity caller, ClientMessage.Start start, String callIdIfNew);

  /** Sends the caller's turn to the conversation; the answer names the reply. */
  CompletionStage<SentTurn> send(CallIdentity caller, String conversationId, String text, String idempotencyKey);

  /** The reply's chunks after {@code afterSeq}, then its done event (from any node). */
  Source<ReplyEvent, NotUsed> reply(CallIdentity caller, String conversationId, String replyId, long afterSeq);

  /** Cuts the reply to what the caller heard ({@code heardChars} code points) and stops its generation. */
  CompletionStage<Done> interrupt(CallIdentity caller, String conversationId, String replyId, int heardChars);

  /** Records a finished turn in the call (idempotent by its id). */
  CompletionStage<Done> recordTurn(CallIdentity caller, String callId, TurnRecord turn);

  /** The socket of the call went away; the call stays resumable for a while. */
  CompletionStage<Done> disconnected(CallIdentity caller, String callId, String reason);

  /** The caller ended the call. */
  CompletionStage<Done> end(CallIdentity caller, String callId, String reason);

  /** An opened call: ids, and on a reconnect the turns so far and the settings it had. */
  record OpenCall(String callId, String conversationId, boolean resumed, List<VoiceEvent.PastTurn> turns) {}

  /** A turn the conversation accepted. */
  record SentTurn(String messageId, String replyId) {}

  /** A finished turn, as the call record keeps it. */
  record TurnRecord(String turnId, String input, String transcript, String messageId, String replyId, String spoken,
      boolean interrupted, Long endOfSpeechToFinalMs, Long finalToFirstTokenMs, Long firstTokenToFirstAudioMs,
      Long endOfSpeechToFirstAudioMs) {}

  /** A failure the client is told about: {@code code} is stable ({@code not-found}, {@code quota-exhausted}, ...). */
  final class CallFailure extends RuntimeException {
    private final String code;

    public CallFailure(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    public String code() {
      return code;
    }
  }
}
