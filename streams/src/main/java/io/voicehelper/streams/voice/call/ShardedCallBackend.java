package io.voicehelper.streams.voice.call;

import io.voicehelper.entities.conversation.ConversationEntity;
import io.voicehelper.entities.conversation.ReplyEvent;
import io.voicehelper.entities.conversation.Rejection;
import io.voicehelper.entities.conversation.TokenEstimator;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import io.voicehelper.entities.limits.LimitsClient;
import io.voicehelper.entities.voice.CallIdentity;
import io.voicehelper.entities.voice.ClientMessage;
import io.voicehelper.entities.voice.VoiceCallEntity;
import io.voicehelper.entities.voice.VoiceCallRejection;
import io.voicehelper.entities.voice.VoiceEvent;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The call backend on a cluster: the call's {@code VoiceCallEntity} and its {@code ConversationEntity}, each an ask
 * through sharding, and the tenant's token quota reserved before every turn as for a chat message (the same ledger,
 * the same fail-closed rule).
 */
public final class ShardedCallBackend implements CallBackend {

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final LimitsClient limits;
  private final long reserveTokens;
  private final KnowledgeCatalog catalog;
  private final String node;

  /**
   * @param limits the tenant's token ledger, or {@code null} for no quota
   * @param reserveTokens tokens reserved per turn on top of its own estimate (context and reply)
   * @param catalog checks the collections a new call's conversation is scoped to, or {@code null}
   * @param node this node's address, recorded with the call
   */
  public ShardedCallBackend(ActorSystem<?> system, Duration askTimeout, LimitsClient limits, long reserveTokens,
      KnowledgeCatalog catalog, String node) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.limits = limits;
    this.reserveTokens = reserveTokens;
    this.catalog = catalog;
    this.node = node;
  }

  private EntityRef<VoiceCallEntity.Command> call(CallIdentity caller, String callId) {
    return sharding.entityRefFor(VoiceCallEntity.ENTITY_KEY, VoiceCallEntity.entityId(caller.tenantId(), callId));
  }

  private EntityRef<ConversationEntity.Command> conversation(CallIdentity caller, String conversationId) {
    return sharding.entityRefFor(ConversationEntity.ENTITY_KEY,
        ConversationEntity.entityId(caller.tenantId(), conversationId));
  }

  @Override
  public CompletionStage<OpenCall> open(CallIdentity caller, ClientMessage.Start start, String callIdIfNew) {
    VoiceCallEntity.CallSettings settings = new VoiceCallEntity.CallSettings(start.language(), start.voice(),
        start.style(), start.rate(), start.pitch());
    if (start.callId() != null) {
      return call(caller, start.callId())
          .<VoiceCallEntity.CallView>askWithStatus(replyTo -> new VoiceCallEntity.Resume(caller.userId(), node, replyTo),
              askTimeout)
          .thenApply(view -> new OpenCall(view.callId(), view.conversationId(), true, view.turns().stream()
              .map(t -> new VoiceEvent.PastTurn(t.turnId(), t.input(), t.transcript(), t.spoken(), t.interrupted()))
              .toList()))
          .exceptionally(failure -> {
            throw VoiceCallRejection.of(failure).map(rejection -> (RuntimeException) switch (rejection) {
              case ENDED -> new CallFailure("call-ended", "That call has ended; start a new one.");
              case NOT_FOUND -> new CallFailure("not-found", "There is no call " + start.callId() + " to resume.");
              default -> new CallFailure("invalid", "That call cannot be resumed.");
            }).orElseGet(() -> unavailable(failure));
          });
    }
    CompletionStage<String> conversationId = start.conversationId() != null
        ? existing(caller, start.conversationId())
        : created(caller, start.collections());
    return conversationId.thenCompose(id -> call(caller, callIdIfNew)
        .<VoiceCallEntity.CallView>askWithStatus(replyTo -> new VoiceCallEntity.Start(caller.tenantId(),
            caller.userId(), id, settings, node, replyTo), askTimeout)
        .thenApply(view -> new OpenCall(view.callId(), view.conversationId(), false, List.of())));
  }

  private CompletionStage<String> existing(CallIdentity caller, String conversationId) {
    return conversation(caller, conversationId)
        .<ConversationEntity.View>askWithStatus(ConversationEntity.Get::new, askTimeout)
        .thenApply(ConversationEntity.View::conversationId)
        .exceptionally(failure -> {
          throw Rejection.of(failure).filter(r -> r == Rejection.NOT_FOUND)
              .map(r -> (RuntimeException) new CallFailure("not-found",
                  "There is no conversation " + conversationId + "."))
              .orElseGet(() -> unavailable(failure));
        });
  }

  private CompletionStage<String> created(CallIdentity caller, List<String> collections) {
    CompletionStage<List<String>> unknown = catalog == null || collections.isEmpty()
        ? CompletableFuture.completedFuture(List.of())
        : catalog.unknownCollections(caller.tenantId(), collections);
    String id = java.util.UUID.randomUUID().toString();
    String title = "Voice call " + LocalDate.now(ZoneOffset.UTC);
    return unknown.thenCompose(missing -> {
      if (!missing.isEmpty()) {
        throw new CallFailure("unknown-collection", "There is no collection " + missing.get(0) + ".");
      }
      return conversation(caller, id).<ConversationEntity.Summary>askWithStatus(
          replyTo -> new ConversationEntity.Create(title, collections, replyTo), askTimeout);
    }).thenApply(ConversationEntity.Summary::conversationId);
  }

  @Override
  public CompletionStage<SentTurn> send(CallIdentity caller, String conversationId, String text,
      String idempotencyKey) {
    EntityRef<ConversationEntity.Command> conversation = conversation(caller, conversationId);
    if (limits == null) return sendReserved(conversation, text, idempotencyKey, null);
    long tokens = (long) TokenEstimator.HEURISTIC.estimate(text) + TokenEstimator.PER_MESSAGE_OVERHEAD + reserveTokens;
    return limits.reserveTokens(caller.tenantId(), tokens)
        .exceptionally(failure -> {
          throw new CallFailure("limits-unavailable", "The token quota could not be checked just now; say it again.");
        })
        .thenCompose(reservation -> {
          if (!reservation.granted()) {
            throw new CallFailure("quota-exhausted", "Your organization has used its quota of model tokens "
                + "for this period; it resets at " + reservation.resetsAt() + ".");
          }
          return sendReserved(conversation, text, idempotencyKey, reservation.reservationId())
              .whenComplete((sent, failure) -> {
                if (failure != null) limits.releaseTokens(caller.tenantId(), reservation.reservationId());
              });
        });
  }

  private CompletionStage<SentTurn> sendReserved(EntityRef<ConversationEntity.Command> conversation, String text,
      String idempotencyKey, String reservation) {
    return conversation.<ConversationEntity.Accepted>askWithStatus(replyTo -> new ConversationEntity.SendMessage(text,
            idempotencyKey, reservation, ConversationEntity.CHANNEL_VOICE, replyTo), askTimeout)
        .thenApply(accepted -> new SentTurn(accepted.messageId(), accepted.replyId()))
        .exceptionally(failure -> {
          throw Rejection.of(failure)
              .map(r -> (RuntimeException) new CallFailure(r == Rejection.TOO_MANY_PENDING ? "busy" : "rejected",
                  Rejection.detail(failure)))
              .orElseGet(() -> unavailable(failure));
        });
  }

  @Override
  public Source<ReplyEvent, NotUsed> reply(CallIdentity caller, String conversationId, String replyId,
      long afterSeq) {
    CompletionStage<SourceRef<ReplyEvent>> ref = conversation(caller, conversationId).askWithStatus(
        replyTo -> new ConversationEntity.StreamReply(replyId, afterSeq, replyTo), askTimeout);
    return Source.completionStage(ref).flatMapConcat(SourceRef::getSource);
  }

  @Override
  public CompletionStage<Done> interrupt(CallIdentity caller, String conversationId, String replyId,
      int heardChars) {
    return conversation(caller, conversationId).askWithStatus(
        replyTo -> new ConversationEntity.InterruptReply(replyId, heardChars, ConversationEntity.INTERRUPTED_BY_CALLER,
            replyTo), askTimeout);
  }

  @Override
  public CompletionStage<Done> recordTurn(CallIdentity caller, String callId, TurnRecord turn) {
    VoiceCallEntity.Turn recorded = new VoiceCallEntity.Turn(turn.turnId(), turn.input(), turn.transcript(),
        turn.messageId(), turn.replyId(), turn.spoken(), turn.interrupted(), new VoiceCallEntity.TurnLatencies(
            turn.endOfSpeechToFinalMs(), turn.finalToFirstTokenMs(), turn.firstTokenToFirstAudioMs(),
            turn.endOfSpeechToFirstAudioMs()), null);
    return call(caller, callId).askWithStatus(replyTo -> new VoiceCallEntity.RecordTurn(recorded, replyTo),
        askTimeout);
  }

  @Override
  public CompletionStage<Done> disconnected(CallIdentity caller, String callId, String reason) {
    return call(caller, callId).askWithStatus(replyTo -> new VoiceCallEntity.Disconnected(node, reason, replyTo),
        askTimeout);
  }

  @Override
  public CompletionStage<Done> end(CallIdentity caller, String callId, String reason) {
    return call(caller, callId).<VoiceCallEntity.CallView>askWithStatus(
        replyTo -> new VoiceCallEntity.End(reason, replyTo), askTimeout).thenApply(view -> Done.getInstance());
  }

  private static RuntimeException unavailable(Throwable failure) {
    return failure instanceof CallFailure callFailure ? callFailure
        : new CallFailure("unavailable", "The call service did not answer just now; try again.");
  }
}
