package io.voicehelper.entities.voice;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * The JSON events of the voice protocol (docs/voice-api.md), server to client. Each renders as an object whose
 * {@code type} names it; {@code null} members are left out.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = VoiceEvent.Started.class, name = "started"),
    @JsonSubTypes.Type(value = VoiceEvent.Vad.class, name = "vad"),
    @JsonSubTypes.Type(value = VoiceEvent.Transcript.class, name = "transcript"),
    @JsonSubTypes.Type(value = VoiceEvent.ReplyDelta.class, name = "reply.delta"),
    @JsonSubTypes.Type(value = VoiceEvent.ReplyDone.class, name = "reply.done"),
    @JsonSubTypes.Type(value = VoiceEvent.TtsStart.class, name = "tts.start"),
    @JsonSubTypes.Type(value = VoiceEvent.TtsEnd.class, name = "tts.end"),
    @JsonSubTypes.Type(value = VoiceEvent.BargeIn.class, name = "bargein"),
    @JsonSubTypes.Type(value = VoiceEvent.Metrics.class, name = "metrics"),
    @JsonSubTypes.Type(value = VoiceEvent.Error.class, name = "error"),
    @JsonSubTypes.Type(value = VoiceEvent.Ended.class, name = "ended")
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface VoiceEvent {

  /** A past turn, as {@code started} lists them on a reconnect. */
  record PastTurn(String turnId, String input, String transcript, String spoken, boolean interrupted) {}

  /** The call is open: its ids, the engines serving it, and (on a reconnect) the turns so far. */
  record Started(String callId, String conversationId, boolean resumed, String language, String asr, String tts,
      String vad, int sampleRate, List<PastTurn> turns) implements VoiceEvent {}

  /** The caller started ({@code start}) or stopped ({@code end}) speaking, {@code atMs} into the call's audio. */
  record Vad(String state, long atMs) implements VoiceEvent {}

  /** What was heard in the current turn: partial while the caller speaks, then final. */
  record Transcript(String turnId, String text, boolean isFinal) implements VoiceEvent {
    @com.fasterxml.jackson.annotation.JsonProperty("final")
    @Override
    public boolean isFinal() {
      return isFinal;
    }
  }

  /** A piece of the reply's text, as the model writes it. */
  record ReplyDelta(String turnId, String replyId, long seq, String text) implements VoiceEvent {}

  /**
   * The reply's text is complete ({@code completed}) or was cut ({@code interrupted}); its grounding as the chat's
   * {@code done} event has it.
   */
  record ReplyDone(String turnId, String replyId, String status, String mode, String support,
      List<io.voicehelper.entities.conversation.Citation> citations) implements VoiceEvent {}

  /** Audio frames of the reply follow. */
  record TtsStart(String turnId) implements VoiceEvent {}

  /** The reply's audio ended: all of it, or cut after {@code heardMs} by a barge-in or an interrupt. */
  record TtsEnd(String turnId, boolean interrupted, long heardMs) implements VoiceEvent {}

  /** The caller spoke over the reply: its audio stops here. */
  record BargeIn(String turnId) implements VoiceEvent {}

  /** How long the turn's hops took, in milliseconds ({@code null}: did not happen, e.g. a typed turn). */
  record Metrics(String turnId, Long endOfSpeechToFinalMs, Long finalToFirstTokenMs, Long firstTokenToFirstAudioMs,
      Long endOfSpeechToFirstAudioMs) implements VoiceEvent {}

  /** Something went wrong that does not end the call (a turn failed); {@code code} is stable, {@code message} not. */
  record Error(String code, String message) implements VoiceEvent {}

  /** The call ended. */
  record Ended(String callId, String reason) implements VoiceEvent {}
}
