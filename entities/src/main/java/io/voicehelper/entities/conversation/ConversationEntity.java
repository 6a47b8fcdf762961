package io.voicehelper.entities.conversation;

import io.voicehelper.entities.CborSerializable;
import io.voicehelper.entities.limits.QuotaSettlement;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.apache.pekko.stream.typed.javadsl.ActorFlow;

/**
 * One conversation: its history, the replies being generated for it, and the order in which turns are answered.
 *
 * <p>Every user message is persisted before it is acknowledged. Replies are generated one at a time, in the order
 * the messages arrived; a message that arrives while a reply is being generated waits in a queue. The reply's text
 * streams to subscribers (on any node, through {@link SourceRef}s) as numbered chunks, is checkpointed to the
 * journal every {@link ConversationSettings#checkpointInterval()}, and ends persisted as completed or interrupted.
 * A reply that was in flight when its node died is closed as interrupted, with the text checkpointed so far, as soon
 * as the entity recovers.
 */
public final class ConversationEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        ConversationEntity.Command, ConversationEntity.Event, ConversationEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Conversation");

  // Settlements complete on another thread, where the actor's own logger must not be used.
  private static final org.slf4j.Logger QUOTA_LOG = org.slf4j.LoggerFactory.getLogger(ConversationEntity.class);

  /**
   * Events are tagged with one of these, chosen by the entity id, so that projections can run one instance per tag
   * across the cluster (see docs/adr/0002-event-tags.md). Changing the count re-partitions the read side.
   */
  public static final List<String> TAGS =
      List.of("conversation-0", "conversation-1", "conversation-2", "conversation-3");

  static final String INTERRUPTED_BY_NODE_LOSS =
      "generation was cut off when the node running it stopped";
  static final String INTERRUPTED_BY_CLIENT = "every client stopped listening";
  /** The reason of an {@link InterruptReply} that gave none. */
  public static final String INTERRUPTED_BY_CALLER = "barge-in";

  /** The channel of a message typed in a chat (the default, and that of every message written before channels). */
  public static final String CHANNEL_CHAT = "chat";
  /** The channel of a message spoken in a voice call, and of its reply. */
  public static final String CHANNEL_VOICE = "voice";
  private static final Set<String> CHANNELS = Set.of(CHANNEL_CHAT, CHANNEL_VOICE);

  /** The sharded entity id of a conversation: the tenant, then the conversation. */
  public static String entityId(String tenantId, String conversationId) {
    return tenantId + "|" + conversationId;
  }

  public static String tagFor(String entityId) {
    return TAGS.get(Math.floorMod(entityId.hashCode(), TAGS.size()));
  }

  /** Registers the entity type with sharding on this node, without token quotas. */
  public static void init(
      ActorSystem<?> system,
      ConversationSettings settings,
      ReplyGenerator generator,
      Summarizer summarizer,
      TokenEstimator estimator) {
    init(system, settings, generator, summarizer, estimator, QuotaSettlement.NONE);
  }

  /**
   * Registers the entity type with sharding on this node. {@code quota} is told the actual token usage of every reply
   * whose message carried a {@link SendMessage#quotaReservation()}, once the reply's end is persisted.
   */
  public static void init(
      ActorSystem<?> system,
      ConversationSettings settings,
      ReplyGenerator generator,
      Summarizer summarizer,
      TokenEstimator estimator,
      QuotaSettlement quota) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ENTITY_KEY,
                    entityContext -> create(entityContext.getEntityId(), Optional.of(entityContext.getShard()),
                        settings, generator, summarizer, estimator, quota, Clock.systemUTC()))
                .withStopMessage(Passivate.INSTANCE));
  }

  /** The entity's behavior; {@code shard} is empty when it runs outside sharding (tests). */
  public static Behavior<Command> create(
      String entityId,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      ConversationSettings settings,
      ReplyGenerator generator,
      Summarizer summarizer,
      TokenEstimator estimator,
      Clock clock) {
    return create(entityId, shard, settings, generator, summarizer, estimator, QuotaSettlement.NONE, clock);
  }

  /** As above, settling token reservations through {@code quota}. */
  public static Behavior<Command> create(
      String entityId,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      ConversationSettings settings,
      ReplyGenerator generator,
      Summarizer summarizer,
      TokenEstimator estimator,
      QuotaSettlement quota,
      Clock clock) {
    return Behaviors.setup(
        context -> {
          context.setReceiveTimeout(settings.idleTimeout(), IdleTimeout.INSTANCE);
          return new ConversationEntity(entityId, shard, settings, generator, summarizer, estimator, quota, clock,
              context);
        });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Protocol

  /** Commands a conversation accepts. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Starts the conversation; answers with its summary. {@code collections} are the knowledge-base collections its
   * replies answer from (empty: all of the tenant's); the caller has checked that they exist.
   */
  public record Create(String title, List<String> collections, ActorRef<StatusReply<Summary>> replyTo)
      implements Command {

    public Create {
      collections = collections == null ? List.of() : List.copyOf(collections);
    }

    public Create(String title, ActorRef<StatusReply<Summary>> replyTo) {
      this(title, List.of(), replyTo);
    }
  }

  /**
   * Adds a user message and queues a reply to it. {@code idempotencyKey} may be {@code null}; a key seen within the
   * idempotency window answers with the original message and reply, or {@link Rejection#CONFLICT} if the content
   * differs. {@code quotaReservation} may be {@code null}; when set, the token reservation the edge made for this
   * message's reply is settled with the reply's actual usage when it ends (see {@code docs/limits.md}).
   * {@code channel} is {@link #CHANNEL_CHAT} (also when {@code null}) or {@link #CHANNEL_VOICE}; anything else is
   * {@link Rejection#INVALID}.
   */
  public record SendMessage(
      String content,
      String idempotencyKey,
      String quotaReservation,
      String channel,
      ActorRef<StatusReply<Accepted>> replyTo)
      implements Command {

    public SendMessage(
        String content, String idempotencyKey, String quotaReservation, ActorRef<StatusReply<Accepted>> replyTo) {
      this(content, idempotencyKey, quotaReservation, null, replyTo);
    }

    public SendMessage(String content, String idempotencyKey, ActorRef<StatusReply<Accepted>> replyTo) {
      this(content, idempotencyKey, null, null, replyTo);
    }
  }

  /**
   * The caller barged in on a reply: from now on the stored reply is what the caller actually heard. A reply being
   * generated is stopped at once; a finished one is cut; a queued one is never generated. In every case the reply
   * ends {@code interrupted} with {@code reason} ({@link #INTERRUPTED_BY_CALLER} when {@code null}) and its text
   * cut to the first {@code heardChars} characters, counted in Unicode code points ({@code null}: keep all the text
   * generated so far; more than the text: keep all). Repeating it changes nothing; an unknown reply is
   * {@link Rejection#NOT_FOUND}, a negative {@code heardChars} {@link Rejection#INVALID}.
   */
  public record InterruptReply(
      String replyId, Integer heardChars, String reason, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Answers with the conversation and its messages. */
  public record Get(ActorRef<StatusReply<View>> replyTo) implements Command {}

  /**
   * Answers with a stream of the reply's chunks after {@code afterSeq} (0 for all), then its {@link ReplyEvent.Done}.
   * Works for replies in flight, queued or finished.
   */
  public record StreamReply(String replyId, long afterSeq, ActorRef<StatusReply<SourceRef<ReplyEvent>>> replyTo)
      implements Command {}

  private record Poll(String replyId, long afterSeq, ActorRef<List<ReplyEvent>> replyTo) implements Command {}

  private record SubscriberLeft(String replyId) implements Command {}

  private record GenerationProgress(String replyId, List<ReplyGenerator.Output> outputs, ActorRef<Done> replyTo)
      implements Command {}

  private record GenerationEnded(String replyId, String failure) implements Command {}

  private record SummaryReady(String replyId, int covers, String summary, String failure) implements Command {}

  private record AbandonCheck(String replyId) implements Command {}

  private enum FlushPolls implements Command {
    INSTANCE
  }

  private enum CloseOrphans implements Command {
    INSTANCE
  }

  private enum IdleTimeout implements Command {
    INSTANCE
  }

  private enum Passivate implements Command {
    INSTANCE
  }

  /** A conversation at a glance; {@code collections} empty: it answers from all of the tenant's collections. */
  public record Summary(String conversationId, String title, Instant createdAt, List<String> collections)
      implements CborSerializable {}

  /**
   * A message was accepted: it is durable, and {@code replyId} names the reply that answers it. {@code duplicate}
   * is true when an idempotent retry returned the original.
   */
  public record Accepted(String conversationId, String messageId, String replyId, boolean duplicate)
      implements CborSerializable {}

  /** The conversation with its messages, oldest first; {@code collections} as in {@link Summary}. */
  public record View(String conversationId, String title, Instant createdAt, List<String> collections,
      List<MessageView> messages)
      implements CborSerializable {}

  /**
   * One message as clients see it. {@code status} is {@code accepted} for user messages, and {@code queued},
   * {@code generating}, {@code completed} or {@code interrupted} for replies. {@code grounding} is set on completed
   * replies that were routed (mode, reason, citations), {@code null} otherwise. {@code channel} is
   * {@link #CHANNEL_CHAT} or {@link #CHANNEL_VOICE}: that of the user message, for a reply that of the message it
   * answers.
   */
  public record MessageView(
      String id,
      String role,
      String content,
      String status,
      String inReplyTo,
      String replyId,
      Instant createdAt,
      String model,
      int inputTokens,
      int outputTokens,
      long latencyMillis,
      String reason,
      ReplyGenerator.Grounding grounding,
      String channel)
      implements CborSerializable {

    public MessageView(String id, String role, String content, String status, String inReplyTo, String replyId,
        Instant createdAt, String model, int inputTokens, int outputTokens, long latencyMillis, String reason,
        ReplyGenerator.Grounding grounding) {
      this(id, role, content, status, inReplyTo, replyId, createdAt, model, inputTokens, outputTokens, latencyMillis,
          reason, grounding, CHANNEL_CHAT);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Events

  public sealed interface Event extends CborSerializable {}

  /** {@code collections} is empty for all of the tenant's collections, and in events written before scopes. */
  public record ConversationStarted(
      String conversationId, String tenantId, String title, Instant at, List<String> collections)
      implements Event {

    public ConversationStarted {
      collections = collections == null ? List.of() : List.copyOf(collections);
    }

    public ConversationStarted(String conversationId, String tenantId, String title, Instant at) {
      this(conversationId, tenantId, title, at, List.of());
    }
  }

  /**
   * {@code quotaReservation} is {@code null} when none was made (and in events written before quotas);
   * {@code channel} is {@code null} in events written before channels, meaning {@link #CHANNEL_CHAT}.
   */
  public record MessageAccepted(
      String messageId,
      String replyId,
      String content,
      String idempotencyKey,
      String requestHash,
      Instant at,
      String quotaReservation,
      String channel)
      implements Event {

    public MessageAccepted(String messageId, String replyId, String content, String idempotencyKey,
        String requestHash, Instant at, String quotaReservation) {
      this(messageId, replyId, content, idempotencyKey, requestHash, at, quotaReservation, null);
    }

    public MessageAccepted(
        String messageId, String replyId, String content, String idempotencyKey, String requestHash, Instant at) {
      this(messageId, replyId, content, idempotencyKey, requestHash, at, null, null);
    }
  }

  public record ReplyStarted(String replyId, Instant at) implements Event {}

  /** Text of the reply in flight made durable: chunks numbered from {@code fromSeq}. */
  public record ReplyCheckpointed(String replyId, long fromSeq, List<String> chunks) implements Event {}

  /** {@code grounding} is {@code null} when the generator sent none (and in events written before grounding). */
  public record ReplyCompleted(
      String replyId,
      List<String> chunks,
      String model,
      int inputTokens,
      int outputTokens,
      long latencyMillis,
      Instant at,
      ReplyGenerator.Grounding grounding)
      implements Event {

    public ReplyCompleted(String replyId, List<String> chunks, String model, int inputTokens, int outputTokens,
        long latencyMillis, Instant at) {
      this(replyId, chunks, model, inputTokens, outputTokens, latencyMillis, at, null);
    }
  }

  /**
   * The reply ended early: the one running, with {@code chunks} after its checkpoints, or (since barge-in) a queued
   * one, never started, with none. {@code heardChars} cuts the stored text to that many code points; {@code null}
   * keeps it all (and in events written before barge-in).
   */
  public record ReplyInterrupted(
      String replyId, List<String> chunks, String reason, long latencyMillis, Instant at, Integer heardChars)
      implements Event {

    public ReplyInterrupted(String replyId, List<String> chunks, String reason, long latencyMillis, Instant at) {
      this(replyId, chunks, reason, latencyMillis, at, null);
    }
  }

  /**
   * A finished reply was cut by a barge-in (the model finished before playback did): it becomes {@code interrupted}
   * with {@code reason}, its text cut to {@code heardChars} code points ({@code null}: kept whole); model and usage
   * stay.
   */
  public record ReplyTruncated(String replyId, Integer heardChars, String reason, Instant at) implements Event {}

  public record ContextSummarized(int covers, String summary, Instant at) implements Event {}

  // ---------------------------------------------------------------------------------------------------------------
  // State

  /**
   * A finished message. For replies, {@code chunkEnds} are the end offsets of the chunks in {@code content}, so that a
   * finished reply can be streamed again with its original sequence numbers. {@code channel} is set on user
   * messages ({@code null} in snapshots taken before channels, meaning {@link #CHANNEL_CHAT}).
   */
  public record Message(
      String id,
      ChatTurn.Role role,
      String content,
      String status,
      String inReplyTo,
      String replyId,
      Instant createdAt,
      String model,
      int inputTokens,
      int outputTokens,
      long latencyMillis,
      String reason,
      List<Integer> chunkEnds,
      ReplyGenerator.Grounding grounding,
      String channel)
      implements CborSerializable {

    String chunk(int index) {
      int start = index == 0 ? 0 : chunkEnds.get(index - 1);
      return content.substring(start, chunkEnds.get(index));
    }

    /** Whether the text is longer than {@code heardChars} code points ({@code null}: never). */
    boolean longerThan(Integer heardChars) {
      return heardChars != null && content.codePointCount(0, content.length()) > heardChars;
    }

    /** This message interrupted: its text cut to {@code heardChars} code points ({@code null}: kept whole). */
    Message interrupted(Integer heardChars, String why) {
      if (!longerThan(heardChars)) {
        return new Message(id, role, content, "interrupted", inReplyTo, replyId, createdAt, model, inputTokens,
            outputTokens, latencyMillis, why, chunkEnds, grounding, channel);
      }
      int cut = content.offsetByCodePoints(0, heardChars);
      List<Integer> ends = new ArrayList<>();
      for (int end : chunkEnds) {
        if (end >= cut) {
          if (cut > (ends.isEmpty() ? 0 : ends.get(ends.size() - 1))) ends.add(cut);
          break;
        }
        ends.add(end);
      }
      return new Message(id, role, content.substring(0, cut), "interrupted", inReplyTo, replyId, createdAt, model,
          inputTokens, outputTokens, latencyMillis, why, List.copyOf(ends), grounding, channel);
    }

    MessageView view(String messageChannel) {
      return new MessageView(
          id,
          role.name().toLowerCase(),
          content,
          status,
          inReplyTo,
          replyId,
          createdAt,
          model,
          inputTokens,
          outputTokens,
          latencyMillis,
          reason,
          grounding,
          messageChannel == null ? CHANNEL_CHAT : messageChannel);
    }
  }

  /** A user message whose reply has not started yet. */
  public record PendingTurn(String messageId, String replyId, String quotaReservation) implements CborSerializable {

    public PendingTurn(String messageId, String replyId) {
      this(messageId, replyId, null);
    }
  }

  /** The reply being generated, with the chunks checkpointed so far. */
  public record RunningReply(
      String messageId, String replyId, Instant startedAt, List<String> chunks, String quotaReservation)
      implements CborSerializable {

    public RunningReply(String messageId, String replyId, Instant startedAt, List<String> chunks) {
      this(messageId, replyId, startedAt, chunks, null);
    }
  }

  public record IdempotencyRecord(String requestHash, String messageId, String replyId, Instant at)
      implements CborSerializable {}

  public sealed interface State extends CborSerializable {}

  /** No conversation has been created under this id. */
  public record Empty() implements State {}

  public record Active(
      String conversationId,
      String tenantId,
      String title,
      Instant createdAt,
      List<Message> messages,
      Optional<RunningReply> running,
      List<PendingTurn> queue,
      Map<String, IdempotencyRecord> idempotency,
      String summary,
      int summaryCovers,
      List<String> collections)
      implements State {

    public Active {
      collections = collections == null ? List.of() : List.copyOf(collections);
    }

    Summary summaryView() {
      return new Summary(conversationId, title, createdAt, collections);
    }

    View view() {
      List<MessageView> views = new ArrayList<>(messages.size() + 1);
      Map<String, Message> replies = finishedReplies();
      for (Message message : messages) {
        if (message.role() == ChatTurn.Role.ASSISTANT) continue; // shown after the message it answers
        String channel = message.channel() == null ? CHANNEL_CHAT : message.channel();
        views.add(message.view(channel));
        Message reply = replies.get(message.replyId());
        if (reply != null) {
          views.add(reply.view(channel));
        } else if (isRunning(message.replyId())) {
          RunningReply r = running.get();
          views.add(new MessageView(r.replyId(), "assistant", String.join("", r.chunks()), "generating",
              r.messageId(), r.replyId(), r.startedAt(), null, 0, 0, 0, null, null, channel));
        } else if (isQueued(message.replyId())) {
          views.add(new MessageView(message.replyId(), "assistant", "", "queued", message.id(), message.replyId(),
              message.createdAt(), null, 0, 0, 0, null, null, channel));
        }
      }
      return new View(conversationId, title, createdAt, collections, List.copyOf(views));
    }

    private Map<String, Message> finishedReplies() {
      Map<String, Message> replies = new HashMap<>();
      for (Message m : messages) if (m.role() == ChatTurn.Role.ASSISTANT) replies.put(m.id(), m);
      return replies;
    }

    Optional<Message> finishedReply(String replyId) {
      for (int i = messages.size() - 1; i >= 0; i--) {
        Message m = messages.get(i);
        if (m.role() == ChatTurn.Role.ASSISTANT && m.id().equals(replyId)) return Optional.of(m);
      }
      return Optional.empty();
    }

    boolean isRunning(String replyId) {
      return running.map(r -> r.replyId().equals(replyId)).orElse(false);
    }

    boolean isQueued(String replyId) {
      return queue.stream().anyMatch(t -> t.replyId().equals(replyId));
    }

    boolean knowsReply(String replyId) {
      return isRunning(replyId) || isQueued(replyId) || finishedReply(replyId).isPresent();
    }

    Optional<Message> userMessage(String messageId) {
      for (int i = messages.size() - 1; i >= 0; i--) {
        if (messages.get(i).id().equals(messageId)) return Optional.of(messages.get(i));
      }
      return Optional.empty();
    }

    /**
     * The history a reply to {@code messageId} is generated from: the conversation in turn order (each question
     * followed by its finished reply) up to and including that user message. Turns are answered in order, so every
     * earlier question has its reply and every later one is still waiting.
     */
    List<ChatTurn> historyUpTo(String messageId) {
      Map<String, Message> replies = finishedReplies();
      List<ChatTurn> history = new ArrayList<>();
      for (Message m : messages) {
        if (m.role() == ChatTurn.Role.ASSISTANT) continue;
        history.add(ChatTurn.user(m.content()));
        if (m.id().equals(messageId)) break;
        Message reply = replies.get(m.replyId());
        if (reply != null) history.add(ChatTurn.assistant(reply.content()));
      }
      return history;
    }

    // Event application: pure functions of the state and the event.

    Active with(MessageAccepted e, Duration idempotencyWindow) {
      List<Message> newMessages = append(messages,
          new Message(e.messageId(), ChatTurn.Role.USER, e.content(), "accepted", null, e.replyId(), e.at(),
              null, 0, 0, 0, null, List.of(), null, e.channel() == null ? CHANNEL_CHAT : e.channel()));
      List<PendingTurn> newQueue = append(queue, new PendingTurn(e.messageId(), e.replyId(), e.quotaReservation()));
      Map<String, IdempotencyRecord> keys = new LinkedHashMap<>();
      Instant horizon = e.at().minus(idempotencyWindow);
      idempotency.forEach((k, v) -> { if (v.at().isAfter(horizon)) keys.put(k, v); });
      if (e.idempotencyKey() != null) {
        keys.put(e.idempotencyKey(), new IdempotencyRecord(e.requestHash(), e.messageId(), e.replyId(), e.at()));
      }
      return new Active(conversationId, tenantId, title, createdAt, newMessages, running, newQueue,
          Map.copyOf(keys), summary, summaryCovers, collections);
    }

    Active with(ReplyStarted e) {
      PendingTurn turn = queue.stream().filter(t -> t.replyId().equals(e.replyId())).findFirst().orElseThrow();
      List<PendingTurn> rest = queue.stream().filter(t -> !t.replyId().equals(e.replyId())).toList();
      return new Active(conversationId, tenantId, title, createdAt, messages,
          Optional.of(new RunningReply(turn.messageId(), e.replyId(), e.at(), List.of(), turn.quotaReservation())),
          rest, idempotency,
          summary, summaryCovers, collections);
    }

    Active with(ReplyCheckpointed e) {
      RunningReply r = running.orElseThrow();
      return new Active(conversationId, tenantId, title, createdAt, messages,
          Optional.of(new RunningReply(r.messageId(), r.replyId(), r.startedAt(), concat(r.chunks(), e.chunks()),
              r.quotaReservation())),
          queue, idempotency, summary, summaryCovers, collections);
    }

    Active finish(String replyId, List<String> tail, String status, String model, int in, int out, long latency,
        String reason, Instant at, ReplyGenerator.Grounding grounding, Integer heardChars) {
      RunningReply r = running.orElseThrow();
      List<String> chunks = concat(r.chunks(), tail);
      List<Integer> ends = new ArrayList<>(chunks.size());
      StringBuilder text = new StringBuilder();
      for (String chunk : chunks) {
        text.append(chunk);
        ends.add(text.length());
      }
      Message reply = new Message(replyId, ChatTurn.Role.ASSISTANT, text.toString(), status, r.messageId(), replyId,
          at, model, in, out, latency, reason, List.copyOf(ends), grounding, null);
      if (heardChars != null) reply = reply.interrupted(heardChars, reason);
      return new Active(conversationId, tenantId, title, createdAt, append(messages, reply), Optional.empty(),
          queue, idempotency, summary, summaryCovers, collections);
    }

    Active with(ReplyInterrupted e) {
      if (isRunning(e.replyId())) {
        return finish(e.replyId(), e.chunks(), "interrupted", null, 0, 0, e.latencyMillis(), e.reason(), e.at(),
            null, e.heardChars());
      }
      // A queued reply the caller interrupted before it started: it ends empty and is never generated.
      PendingTurn turn = queue.stream().filter(t -> t.replyId().equals(e.replyId())).findFirst().orElseThrow();
      List<PendingTurn> rest = queue.stream().filter(t -> !t.replyId().equals(e.replyId())).toList();
      Message reply = new Message(e.replyId(), ChatTurn.Role.ASSISTANT, "", "interrupted", turn.messageId(),
          e.replyId(), e.at(), null, 0, 0, e.latencyMillis(), e.reason(), List.of(), null, null);
      return new Active(conversationId, tenantId, title, createdAt, append(messages, reply), running, rest,
          idempotency, summary, summaryCovers, collections);
    }

    Active with(ReplyTruncated e) {
      List<Message> copy = new ArrayList<>(messages);
      for (int i = copy.size() - 1; i >= 0; i--) {
        Message m = copy.get(i);
        if (m.role() == ChatTurn.Role.ASSISTANT && m.id().equals(e.replyId())) {
          copy.set(i, m.interrupted(e.heardChars(), e.reason()));
          break;
        }
      }
      return new Active(conversationId, tenantId, title, createdAt, List.copyOf(copy), running, queue, idempotency,
          summary, summaryCovers, collections);
    }

    Active with(ContextSummarized e) {
      return new Active(conversationId, tenantId, title, createdAt, messages, running, queue, idempotency,
          e.summary(), e.covers(), collections);
    }

    private static <T> List<T> append(List<T> list, T element) {
      List<T> copy = new ArrayList<>(list.size() + 1);
      copy.addAll(list);
      copy.add(element);
      return List.copyOf(copy);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
      if (b.isEmpty()) return a;
      List<T> copy = new ArrayList<>(a.size() + b.size());
      copy.addAll(a);
      copy.addAll(b);
      return List.copyOf(copy);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Transient, in-memory state of this incarnation: the generation in flight and the subscribers waiting for chunks.
  // It is not part of State because it dies with the actor; what must survive is checkpointed as events.

  /** The generation running in this incarnation. */
  private static final class Generation {
    final String replyId;
    final long startedNanos;
    long lastCheckpointNanos;
    final List<String> tail = new ArrayList<>();
    UniqueKillSwitch killSwitch;
    String abortReason;
    int contextTokens;
    ReplyGenerator.Grounding grounding;

    Generation(String replyId, long startedNanos) {
      this.replyId = replyId;
      this.startedNanos = startedNanos;
      this.lastCheckpointNanos = startedNanos;
    }
  }

  private record ParkedPoll(String replyId, long afterSeq, ActorRef<List<ReplyEvent>> replyTo, long parkedNanos) {}

  private final String entityId;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final ConversationSettings settings;
  private final ReplyGenerator generator;
  private final Summarizer summarizer;
  private final TokenEstimator estimator;
  private final QuotaSettlement quota;
  private final Clock clock;
  private final ActorContext<Command> context;
  // Timers through the context: EventSourcedBehaviorTestKit accepts no Behaviors.withTimers wrapper.
  private Cancellable pollFlush;

  private Generation generation;
  private final List<ParkedPoll> parked = new ArrayList<>();
  private final Map<String, Integer> subscribers = new HashMap<>();

  private ConversationEntity(
      String entityId,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      ConversationSettings settings,
      ReplyGenerator generator,
      Summarizer summarizer,
      TokenEstimator estimator,
      QuotaSettlement quota,
      Clock clock,
      ActorContext<Command> context) {
    super(
        // ofUniqueId: PersistenceId.of reserves '|', which separates the tenant in our entity ids.
        PersistenceId.ofUniqueId(ENTITY_KEY.name() + "|" + entityId),
        org.apache.pekko.actor.typed.SupervisorStrategy.restartWithBackoff(
            Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.entityId = entityId;
    this.shard = shard;
    this.settings = settings;
    this.generator = generator;
    this.summarizer = summarizer;
    this.estimator = estimator;
    this.quota = quota;
    this.clock = clock;
    this.context = context;
  }

  @Override
  public State emptyState() {
    return new Empty();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(tagFor(entityId));
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state instanceof Active active && (active.running().isPresent() || !active.queue().isEmpty())) {
            context.getSelf().tell(CloseOrphans.INSTANCE);
          }
        })
        .onSignal(org.apache.pekko.actor.typed.PostStop.instance(), state -> {
          // A generation must not outlive its entity; the next incarnation closes the reply from the journal.
          if (generation != null && generation.killSwitch != null) {
            generation.abortReason = INTERRUPTED_BY_NODE_LOSS;
            generation.killSwitch.abort(new IllegalStateException("conversation stopped"));
          }
        })
        .build();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forStateType(Empty.class)
        .onCommand(Create.class, this::onCreate)
        .onCommand(SendMessage.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Get.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(StreamReply.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(InterruptReply.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(IdleTimeout.class, (s, c) -> passivate())
        .onCommand(Passivate.class, (s, c) -> Effect().stop().thenNoReply())
        .onAnyCommand(c -> Effect().noReply());

    builder.forStateType(Active.class)
        .onCommand(Create.class, (s, c) -> Effect().reply(c.replyTo(), Rejection.ALREADY_EXISTS.reply("conversation")))
        .onCommand(SendMessage.class, this::onSendMessage)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.view())))
        .onCommand(StreamReply.class, this::onStreamReply)
        .onCommand(InterruptReply.class, this::onInterruptReply)
        .onCommand(Poll.class, this::onPoll)
        .onCommand(SubscriberLeft.class, this::onSubscriberLeft)
        .onCommand(GenerationProgress.class, this::onGenerationProgress)
        .onCommand(GenerationEnded.class, this::onGenerationEnded)
        .onCommand(SummaryReady.class, this::onSummaryReady)
        .onCommand(AbandonCheck.class, this::onAbandonCheck)
        .onCommand(FlushPolls.class, (s, c) -> { flushExpiredPolls(); return Effect().noReply(); })
        .onCommand(CloseOrphans.class, this::onCloseOrphans)
        .onCommand(IdleTimeout.class, this::onIdle)
        .onCommand(Passivate.class, (s, c) -> Effect().stop().thenNoReply());

    return builder.build();
  }

  /** An id nobody created: answer, and leave memory at once rather than after the idle timeout. */
  private <T> ReplyEffect<Event, State> notFound(ActorRef<StatusReply<T>> replyTo) {
    shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(context.getSelf())));
    return Effect().reply(replyTo, Rejection.NOT_FOUND.reply("conversation"));
  }

  private ReplyEffect<Event, State> onCreate(Empty state, Create cmd) {
    String[] ids = entityId.split("\\|", 2);
    String tenant = ids.length == 2 ? ids[0] : "";
    String conversationId = ids.length == 2 ? ids[1] : entityId;
    return Effect()
        .persist(new ConversationStarted(conversationId, tenant, cmd.title(), clock.instant(), cmd.collections()))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(((Active) s).summaryView()));
  }

  private ReplyEffect<Event, State> onSendMessage(Active state, SendMessage cmd) {
    String channel = cmd.channel() == null ? CHANNEL_CHAT : cmd.channel();
    if (!CHANNELS.contains(channel)) {
      return Effect().reply(cmd.replyTo(), Rejection.INVALID.reply("unknown channel " + channel));
    }
    String hash = sha256(cmd.content());
    if (cmd.idempotencyKey() != null) {
      IdempotencyRecord seen = state.idempotency().get(cmd.idempotencyKey());
      if (seen != null && seen.at().isAfter(clock.instant().minus(settings.idempotencyWindow()))) {
        if (!seen.requestHash().equals(hash)) {
          return Effect().reply(cmd.replyTo(),
              Rejection.CONFLICT.reply("this Idempotency-Key was used with a different message"));
        }
        return Effect().reply(cmd.replyTo(),
            StatusReply.success(new Accepted(state.conversationId(), seen.messageId(), seen.replyId(), true)));
      }
    }
    if (state.queue().size() >= settings.maxQueuedTurns()) {
      return Effect().reply(cmd.replyTo(), Rejection.TOO_MANY_PENDING.reply(
          state.queue().size() + " messages are already waiting for a reply"));
    }
    Instant now = clock.instant();
    MessageAccepted accepted = new MessageAccepted(
        UUID.randomUUID().toString(), UUID.randomUUID().toString(), cmd.content(), cmd.idempotencyKey(), hash, now,
        cmd.quotaReservation(), channel);
    List<Event> events = new ArrayList<>(2);
    events.add(accepted);
    boolean startNow = state.running().isEmpty() && state.queue().isEmpty();
    if (startNow) events.add(new ReplyStarted(accepted.replyId(), now));
    return Effect()
        .persist(events)
        .thenRun(s -> { if (startNow) beginReply((Active) s, accepted.replyId()); })
        .thenReply(cmd.replyTo(), s -> StatusReply.success(
            new Accepted(state.conversationId(), accepted.messageId(), accepted.replyId(), false)));
  }

  private ReplyEffect<Event, State> onInterruptReply(Active state, InterruptReply cmd) {
    if (cmd.heardChars() != null && cmd.heardChars() < 0) {
      return Effect().reply(cmd.replyTo(), Rejection.INVALID.reply("heardChars must not be negative"));
    }
    String reason = cmd.reason() == null || cmd.reason().isBlank() ? INTERRUPTED_BY_CALLER : cmd.reason();
    Optional<Message> finished = state.finishedReply(cmd.replyId());
    if (finished.isPresent()) {
      Message reply = finished.get();
      if ("interrupted".equals(reply.status()) && !reply.longerThan(cmd.heardChars())) {
        return Effect().reply(cmd.replyTo(), StatusReply.ack()); // a repeat: nothing left to cut
      }
      // The model finished before playback did; its usage was settled when it completed.
      return Effect().persist(new ReplyTruncated(cmd.replyId(), cmd.heardChars(), reason, clock.instant()))
          .thenReply(cmd.replyTo(), s -> StatusReply.ack());
    }
    if (state.isRunning(cmd.replyId())) return interruptRunning(state, cmd, reason);
    Optional<PendingTurn> queued = state.queue().stream().filter(t -> t.replyId().equals(cmd.replyId())).findFirst();
    if (queued.isPresent()) {
      return Effect()
          .persist(new ReplyInterrupted(cmd.replyId(), List.of(), reason, 0, clock.instant(), 0))
          .thenRun(s -> settleQuota(state, queued.get().quotaReservation(), OptionalInt.of(0))) // nothing generated
          .thenRun(s -> wakeParked((Active) s))
          .thenReply(cmd.replyTo(), s -> StatusReply.ack());
    }
    return Effect().reply(cmd.replyTo(), Rejection.NOT_FOUND.reply("no reply " + cmd.replyId()));
  }

  /** Stops the generation at once (no waiting on the model) and persists what the caller heard of it. */
  private ReplyEffect<Event, State> interruptRunning(Active state, InterruptReply cmd, String reason) {
    RunningReply running = state.running().orElseThrow();
    Instant now = clock.instant();
    ReplyInterrupted interrupted;
    OptionalInt used;
    if (generation != null && generation.replyId.equals(cmd.replyId())) {
      generation.abortReason = reason;
      if (generation.killSwitch != null) generation.killSwitch.abort(new IllegalStateException(reason));
      interrupted = new ReplyInterrupted(cmd.replyId(), List.copyOf(generation.tail), reason, elapsedMillis(), now,
          cmd.heardChars());
      String text = String.join("", running.chunks()) + String.join("", generation.tail);
      // Charged for all the model wrote, heard or not.
      used = OptionalInt.of(text.isEmpty() ? 0 : generation.contextTokens + estimator.estimate(text));
    } else {
      // Left running by an earlier incarnation and not closed yet: its usage died with it.
      interrupted = new ReplyInterrupted(cmd.replyId(), List.of(), reason,
          Duration.between(running.startedAt(), now).toMillis(), now, cmd.heardChars());
      used = OptionalInt.empty();
    }
    context.getLog().info("Reply {} of {} interrupted by the caller: {}", cmd.replyId(), entityId, reason);
    return Effect().persist(interrupted)
        .thenRun(s -> settleQuota(state, running.quotaReservation(), used))
        .thenRun(s -> afterReplyEnded((Active) s))
        .thenReply(cmd.replyTo(), s -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onStreamReply(Active state, StreamReply cmd) {
    if (!state.knowsReply(cmd.replyId())) {
      return Effect().reply(cmd.replyTo(), Rejection.NOT_FOUND.reply("reply"));
    }
    if (cmd.afterSeq() < 0) {
      return Effect().reply(cmd.replyTo(), Rejection.INVALID.reply("the last event id must not be negative"));
    }
    subscribers.merge(cmd.replyId(), 1, Integer::sum);
    SourceRef<ReplyEvent> ref =
        replySource(cmd.replyId(), cmd.afterSeq())
            .watchTermination((mat, done) -> {
              done.whenComplete((d, e) -> context.getSelf().tell(new SubscriberLeft(cmd.replyId())));
              return mat;
            })
            .runWith(StreamRefs.sourceRef(), context.getSystem());
    return Effect().reply(cmd.replyTo(), StatusReply.success(ref));
  }

  /** Pulls the reply's events from this entity, one batch per demand; nothing is buffered per subscriber here. */
  private Source<ReplyEvent, NotUsed> replySource(String replyId, long afterSeq) {
    ActorRef<Command> self = context.getSelf();
    ActorSystem<Void> system = context.getSystem();
    Duration askTimeout = settings.pollTimeout().multipliedBy(2);
    return Source.unfoldAsync(
            Optional.of(afterSeq),
            (Optional<Long> cursor) -> {
              if (cursor.isEmpty()) return CompletableFuture.completedFuture(Optional.empty());
              CompletionStage<List<ReplyEvent>> batch = AskPattern.ask(
                  self, replyTo -> new Poll(replyId, cursor.get(), replyTo), askTimeout, system.scheduler());
              return batch.thenApply(events -> Optional.of(Pair.create(next(cursor.get(), events), events)));
            })
        .mapConcat(events -> events);
  }

  private static Optional<Long> next(long cursor, List<ReplyEvent> events) {
    if (events.isEmpty()) return Optional.of(cursor);
    ReplyEvent last = events.get(events.size() - 1);
    if (last instanceof ReplyEvent.Delta delta) return Optional.of(delta.seq());
    return Optional.empty(); // Done is always the last event of a reply
  }

  private ReplyEffect<Event, State> onPoll(Active state, Poll poll) {
    List<ReplyEvent> ready = eventsAfter(state, poll.replyId(), poll.afterSeq());
    if (ready.isEmpty() && state.knowsReply(poll.replyId())) {
      parked.add(new ParkedPoll(poll.replyId(), poll.afterSeq(), poll.replyTo(), System.nanoTime()));
      schedulePollFlush();
    } else {
      poll.replyTo().tell(ready);
    }
    return Effect().noReply();
  }

  /** The events of a reply after {@code afterSeq} that are available now. */
  private List<ReplyEvent> eventsAfter(Active state, String replyId, long afterSeq) {
    Optional<Message> finished = state.finishedReply(replyId);
    if (finished.isPresent()) {
      Message m = finished.get();
      List<ReplyEvent> events = new ArrayList<>();
      for (long seq = afterSeq + 1; seq <= m.chunkEnds().size(); seq++) {
        events.add(new ReplyEvent.Delta(seq, m.chunk((int) seq - 1)));
      }
      events.add(new ReplyEvent.Done(m.inReplyTo(), m.id(), m.status(), m.reason(), m.model(), m.inputTokens(),
          m.outputTokens(), m.latencyMillis(), m.chunkEnds().size(), m.grounding()));
      return events;
    }
    if (state.isRunning(replyId)) {
      List<String> durable = state.running().get().chunks();
      List<String> tail = generation != null && generation.replyId.equals(replyId) ? generation.tail : List.of();
      List<ReplyEvent> events = new ArrayList<>();
      for (long seq = afterSeq + 1; seq <= durable.size() + tail.size(); seq++) {
        int i = (int) seq - 1;
        events.add(new ReplyEvent.Delta(seq, i < durable.size() ? durable.get(i) : tail.get(i - durable.size())));
      }
      return events;
    }
    return List.of();
  }

  private void wakeParked(Active state) {
    Iterator<ParkedPoll> it = parked.iterator();
    while (it.hasNext()) {
      ParkedPoll poll = it.next();
      List<ReplyEvent> ready = eventsAfter(state, poll.replyId(), poll.afterSeq());
      if (!ready.isEmpty()) {
        poll.replyTo().tell(ready);
        it.remove();
      }
    }
    cancelPollFlushWhenIdle();
  }

  private void schedulePollFlush() {
    if (pollFlush == null) {
      pollFlush = context.scheduleOnce(settings.pollTimeout().dividedBy(2), context.getSelf(), FlushPolls.INSTANCE);
    }
  }

  private void cancelPollFlushWhenIdle() {
    if (parked.isEmpty() && pollFlush != null) {
      pollFlush.cancel();
      pollFlush = null;
    }
  }

  private void flushExpiredPolls() {
    pollFlush = null;
    long now = System.nanoTime();
    Iterator<ParkedPoll> it = parked.iterator();
    while (it.hasNext()) {
      ParkedPoll poll = it.next();
      if (Duration.ofNanos(now - poll.parkedNanos()).compareTo(settings.pollTimeout()) >= 0) {
        poll.replyTo().tell(List.of());
        it.remove();
      }
    }
    if (!parked.isEmpty()) schedulePollFlush();
  }

  private ReplyEffect<Event, State> onSubscriberLeft(Active state, SubscriberLeft cmd) {
    int left = subscribers.merge(cmd.replyId(), -1, Integer::sum);
    if (left <= 0) {
      subscribers.remove(cmd.replyId());
      if (generation != null && generation.replyId.equals(cmd.replyId())) {
        context.scheduleOnce(settings.abandonedReplyGrace(), context.getSelf(), new AbandonCheck(cmd.replyId()));
      }
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onAbandonCheck(Active state, AbandonCheck cmd) {
    if (generation != null && generation.replyId.equals(cmd.replyId())
        && !subscribers.containsKey(cmd.replyId()) && generation.killSwitch != null) {
      context.getLog().info("Stopping reply {} of {}: no client listened for {}", cmd.replyId(), entityId,
          settings.abandonedReplyGrace());
      generation.abortReason = INTERRUPTED_BY_CLIENT;
      generation.killSwitch.abort(new IllegalStateException(INTERRUPTED_BY_CLIENT));
    }
    return Effect().noReply();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Generation

  /** Starts the reply whose {@link ReplyStarted} was just persisted: summarize first if the strategy asks for it. */
  private void beginReply(Active state, String replyId) {
    String messageId = state.running().orElseThrow().messageId();
    generation = new Generation(replyId, System.nanoTime());
    List<ChatTurn> history = state.historyUpTo(messageId);
    int toSummarize = settings.contextStrategy().messagesToSummarize(history.size(), state.summaryCovers());
    if (toSummarize > 0) {
      List<ChatTurn> older = history.subList(state.summaryCovers(), toSummarize);
      context.pipeToSelf(
          summarizer.summarize(state.summary(), List.copyOf(older)),
          (summary, failure) -> new SummaryReady(replyId, toSummarize, summary,
              failure == null ? null : String.valueOf(failure.getMessage())));
    } else {
      runGeneration(state, replyId, history);
    }
  }

  private ReplyEffect<Event, State> onSummaryReady(Active state, SummaryReady cmd) {
    if (!state.isRunning(cmd.replyId())) return Effect().noReply();
    String messageId = state.running().get().messageId();
    if (cmd.failure() != null) {
      context.getLog().warn("Summarizing {} failed, answering with the older context: {}", entityId, cmd.failure());
      runGeneration(state, cmd.replyId(), state.historyUpTo(messageId));
      return Effect().noReply();
    }
    return Effect()
        .persist(new ContextSummarized(cmd.covers(), cmd.summary(), clock.instant()))
        .thenRun(s -> runGeneration((Active) s, cmd.replyId(), ((Active) s).historyUpTo(messageId)))
        .thenNoReply();
  }

  private void runGeneration(Active state, String replyId, List<ChatTurn> history) {
    List<ChatTurn> contextTurns =
        settings.contextStrategy().select(history, state.summary(), state.summaryCovers(), estimator);
    generation.contextTokens = contextTurns.stream()
        .mapToInt(t -> estimator.estimate(t.content()) + TokenEstimator.PER_MESSAGE_OVERHEAD).sum();
    ActorRef<Command> self = context.getSelf();
    ReplyGenerator.Request request =
        new ReplyGenerator.Request(entityId, replyId, contextTurns, state.collections());
    Source<ReplyGenerator.Output, NotUsed> outputs;
    try {
      outputs = generator.generate(request);
    } catch (RuntimeException e) {
      outputs = Source.failed(e);
    }
    Pair<UniqueKillSwitch, CompletionStage<Done>> running =
        outputs
            .viaMat(KillSwitches.single(), Keep.right())
            // While the entity persists a checkpoint, tokens gather here instead of piling up in its mailbox.
            .batch(settings.maxChunkBatch(), o -> { List<ReplyGenerator.Output> l = new ArrayList<>(); l.add(o); return l; },
                (l, o) -> { l.add(o); return l; })
            .via(ActorFlow.ask(1, self, settings.generationAskTimeout(),
                (List<ReplyGenerator.Output> batch, ActorRef<Done> ack) -> new GenerationProgress(replyId, batch, ack)))
            .toMat(Sink.ignore(), Keep.both())
            .run(context.getSystem());
    generation.killSwitch = running.first();
    running.second().whenComplete((done, failure) ->
        self.tell(new GenerationEnded(replyId, failure == null ? null : describe(failure))));
  }

  private static String describe(Throwable failure) {
    Throwable root = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  private ReplyEffect<Event, State> onGenerationProgress(Active state, GenerationProgress cmd) {
    if (generation == null || !generation.replyId.equals(cmd.replyId()) || !state.isRunning(cmd.replyId())) {
      cmd.replyTo().tell(Done.getInstance());
      return Effect().noReply();
    }
    ReplyGenerator.Finished finished = null;
    for (ReplyGenerator.Output output : cmd.outputs()) {
      if (output instanceof ReplyGenerator.Token token) {
        if (!token.text().isEmpty()) generation.tail.add(token.text());
      } else if (output instanceof ReplyGenerator.Grounding grounding) {
        generation.grounding = grounding;
      } else {
        finished = (ReplyGenerator.Finished) output;
      }
    }
    if (finished != null) {
      ReplyCompleted completed = completion(state, finished);
      String reservation = state.running().get().quotaReservation();
      return Effect().persist(completed)
          .thenRun(s -> settleQuota(state, reservation,
              OptionalInt.of(completed.inputTokens() + completed.outputTokens())))
          .thenRun(s -> afterReplyEnded((Active) s))
          .thenRun(s -> cmd.replyTo().tell(Done.getInstance()))
          .thenNoReply();
    }
    long now = System.nanoTime();
    if (!generation.tail.isEmpty()
        && Duration.ofNanos(now - generation.lastCheckpointNanos).compareTo(settings.checkpointInterval()) >= 0) {
      generation.lastCheckpointNanos = now;
      ReplyCheckpointed checkpoint = new ReplyCheckpointed(cmd.replyId(),
          state.running().get().chunks().size() + 1L, List.copyOf(generation.tail));
      generation.tail.clear();
      return Effect().persist(checkpoint)
          .thenRun(s -> wakeParked((Active) s))
          .thenRun(s -> cmd.replyTo().tell(Done.getInstance()))
          .thenNoReply();
    }
    wakeParked(state);
    cmd.replyTo().tell(Done.getInstance());
    return Effect().noReply();
  }

  private ReplyCompleted completion(Active state, ReplyGenerator.Finished finished) {
    String text = String.join("", state.running().get().chunks()) + String.join("", generation.tail);
    int in = finished.inputTokens() != null ? finished.inputTokens() : generation.contextTokens;
    int out = finished.outputTokens() != null ? finished.outputTokens() : estimator.estimate(text);
    return new ReplyCompleted(generation.replyId, List.copyOf(generation.tail), finished.model(), in, out,
        elapsedMillis(), clock.instant(), generation.grounding);
  }

  private long elapsedMillis() {
    return Duration.ofNanos(System.nanoTime() - generation.startedNanos).toMillis();
  }

  private ReplyEffect<Event, State> onGenerationEnded(Active state, GenerationEnded cmd) {
    if (generation == null || !generation.replyId.equals(cmd.replyId()) || !state.isRunning(cmd.replyId())) {
      return Effect().noReply(); // already completed
    }
    String reason = generation.abortReason != null ? generation.abortReason
        : cmd.failure() != null ? "generation failed: " + cmd.failure()
        : "the model ended the reply without finishing it";
    context.getLog().info("Reply {} of {} interrupted: {}", cmd.replyId(), entityId, reason);
    ReplyInterrupted interrupted = new ReplyInterrupted(cmd.replyId(), List.copyOf(generation.tail), reason,
        elapsedMillis(), clock.instant());
    String reservation = state.running().get().quotaReservation();
    String text = String.join("", state.running().get().chunks()) + String.join("", generation.tail);
    // No text: the model never answered, so nothing was generated; otherwise the context was read and text written.
    OptionalInt used = OptionalInt.of(text.isEmpty() ? 0 : generation.contextTokens + estimator.estimate(text));
    return Effect().persist(interrupted)
        .thenRun(s -> settleQuota(state, reservation, used))
        .thenRun(s -> afterReplyEnded((Active) s)).thenNoReply();
  }

  /** Reports a finished reply's token usage against the reservation its message carried, if any. */
  private void settleQuota(Active state, String reservation, OptionalInt tokens) {
    if (reservation == null) return;
    quota.settle(state.tenantId(), reservation, tokens).whenComplete((done, failure) -> {
      if (failure != null) {
        // Unsettled, the reservation expires uncharged: the tenant gets this reply for free, nothing worse.
        QUOTA_LOG.warn("Could not settle token reservation {} of {}: {}", reservation, entityId,
            failure.toString());
      }
    });
  }

  /** After a reply ended: answer its waiting subscribers and start the next queued turn, if any. */
  private void afterReplyEnded(Active state) {
    generation = null;
    wakeParked(state);
    if (!state.queue().isEmpty()) context.getSelf().tell(CloseOrphans.INSTANCE);
  }

  /**
   * Runs after recovery and after a reply ends: closes a reply left running by an earlier incarnation, then starts
   * the next queued turn.
   */
  private ReplyEffect<Event, State> onCloseOrphans(Active state, CloseOrphans cmd) {
    if (generation != null) return Effect().noReply();
    if (state.running().isPresent()) {
      RunningReply orphan = state.running().get();
      context.getLog().info("Closing reply {} of {} left running by a stopped node", orphan.replyId(), entityId);
      return Effect()
          .persist(new ReplyInterrupted(orphan.replyId(), List.of(), INTERRUPTED_BY_NODE_LOSS,
              Duration.between(orphan.startedAt(), clock.instant()).toMillis(), clock.instant()))
          // The usage died with the other node: the reservation's estimate is charged.
          .thenRun(s -> settleQuota(state, orphan.quotaReservation(), OptionalInt.empty()))
          .thenRun(s -> afterReplyEnded((Active) s))
          .thenNoReply();
    }
    if (!state.queue().isEmpty()) {
      String next = state.queue().get(0).replyId();
      return Effect().persist(new ReplyStarted(next, clock.instant()))
          .thenRun(s -> beginReply((Active) s, next))
          .thenNoReply();
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onIdle(Active state, IdleTimeout cmd) {
    boolean busy = generation != null || state.running().isPresent() || !state.queue().isEmpty()
        || !parked.isEmpty() || !subscribers.isEmpty();
    return busy ? Effect().noReply() : passivate();
  }

  private ReplyEffect<Event, State> passivate() {
    shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(context.getSelf())));
    return Effect().noReply();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Events

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forStateType(Empty.class)
        .onEvent(ConversationStarted.class, (s, e) -> new Active(e.conversationId(), e.tenantId(), e.title(), e.at(),
            List.of(), Optional.empty(), List.of(), Map.of(), "", 0, e.collections()));
    builder.forStateType(Active.class)
        .onEvent(MessageAccepted.class, (s, e) -> s.with(e, settings.idempotencyWindow()))
        .onEvent(ReplyStarted.class, Active::with)
        .onEvent(ReplyCheckpointed.class, Active::with)
        .onEvent(ReplyCompleted.class, (s, e) -> s.finish(e.replyId(), e.chunks(), "completed", e.model(),
            e.inputTokens(), e.outputTokens(), e.latencyMillis(), null, e.at(), e.grounding(), null))
        .onEvent(ReplyInterrupted.class, Active::with)
        .onEvent(ReplyTruncated.class, Active::with)
        .onEvent(ContextSummarized.class, Active::with);
    return builder.build();
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
