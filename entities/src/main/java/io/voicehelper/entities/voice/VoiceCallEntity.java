package io.voicehelper.entities.voice;

import io.voicehelper.entities.CborSerializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
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

/**
 * One voice call: the user who holds it, the conversation it speaks into, the caller's voice settings and its
 * turns, so that a caller whose connection dropped can come back to the same call with its transcript intact.
 *
 * <p>A call is {@code active} from {@link Start} (or {@link Resume}) while a node holds its socket;
 * {@code disconnected} once that node reports the socket gone ({@link Disconnected}); and {@code ended} by
 * {@link End}, or by itself ({@link #ABANDONED}) when nobody resumed it within
 * {@link VoiceCallSettings#resumeWindow()}. That timer is armed again from the persisted disconnect time whenever
 * the entity recovers, so a passivation or a node loss does not keep a call open. The text of the turns lives in the
 * conversation; the call keeps what the caller heard of each reply and the latencies.
 */
public final class VoiceCallEntity
    extends EventSourcedBehaviorWithEnforcedReplies<VoiceCallEntity.Command, VoiceCallEntity.Event,
        VoiceCallEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "VoiceCall");

  /**
   * Events are tagged with one of these, chosen by the entity id, so that projections can run one instance per tag
   * across the cluster (see docs/adr/0002-event-tags.md). Changing the count re-partitions the read side.
   */
  public static final List<String> TAGS =
      List.of("voice-call-0", "voice-call-1", "voice-call-2", "voice-call-3");

  /** The end reason of a call nobody resumed within the resume window. */
  public static final String ABANDONED = "abandoned";
  /** The end reason of an {@link End} that gave none. */
  public static final String STOPPED = "stop";

  /** A turn spoken by the caller. */
  public static final String INPUT_VOICE = "voice";
  /** A turn typed by the caller during the call. */
  public static final String INPUT_TEXT = "text";

  /** The sharded entity id of a call: the tenant, then the call. */
  public static String entityId(String tenantId, String callId) {
    return tenantId + "|" + callId;
  }

  public static String tagFor(String entityId) {
    return TAGS.get(Math.floorMod(entityId.hashCode(), TAGS.size()));
  }

  /** Registers the entity type with sharding on this node. */
  public static void init(ActorSystem<?> system, VoiceCallSettings settings) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, entityContext -> create(entityContext.getEntityId(),
                    Optional.of(entityContext.getShard()), settings, Clock.systemUTC()))
                .withStopMessage(Passivate.INSTANCE));
  }

  /** The entity's behavior; {@code shard} is empty when it runs outside sharding (tests), where it never passivates. */
  public static Behavior<Command> create(
      String entityId,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      VoiceCallSettings settings,
      Clock clock) {
    return Behaviors.setup(context -> {
      context.setReceiveTimeout(settings.idleTimeout(), IdleTimeout.INSTANCE);
      return new VoiceCallEntity(entityId, shard, settings, clock, context);
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Protocol

  /** Commands a call accepts. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Starts the call, linked to {@code conversationId}, on the node {@code node} that holds its socket; answers its
   * view. Starting it again as the same user answers the view and changes nothing; as another user it is
   * {@link VoiceCallRejection#NOT_FOUND}; once ended, {@link VoiceCallRejection#ENDED}.
   */
  public record Start(
      String tenantId,
      String userId,
      String conversationId,
      CallSettings settings,
      String node,
      ActorRef<StatusReply<CallView>> replyTo)
      implements Command {}

  /**
   * A reconnect with the call id, now held by {@code node}: answers the view with every turn kept so far.
   * {@link VoiceCallRejection#NOT_FOUND} for another user or a call never started, {@link VoiceCallRejection#ENDED}
   * once ended (also when its resume window has passed).
   */
  public record Resume(String userId, String node, ActorRef<StatusReply<CallView>> replyTo) implements Command {}

  /** Records one completed turn; a turn id already recorded is acknowledged again and not recorded twice. */
  public record RecordTurn(Turn turn, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** The caller changed voice, style, rate or pitch during the call. */
  public record UpdateSettings(CallSettings settings, ActorRef<StatusReply<CallView>> replyTo) implements Command {}

  /**
   * The socket of the call dropped on {@code node}: the call stays resumable for the resume window. Ignored when the
   * call is not active, or when another node holds it now (a late report after a resume elsewhere).
   */
  public record Disconnected(String node, String reason, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Ends the call ({@link #STOPPED} when {@code reason} is {@code null}); ending it again answers the view. */
  public record End(String reason, ActorRef<StatusReply<CallView>> replyTo) implements Command {}

  /** Answers the call's view. */
  public record Get(ActorRef<StatusReply<CallView>> replyTo) implements Command {}

  private record ResumeWindowElapsed(Instant disconnectedAt) implements Command {}

  private enum IdleTimeout implements Command {
    INSTANCE
  }

  private enum Passivate implements Command {
    INSTANCE
  }

  /**
   * The caller's voice settings as plain values (the streams module maps them to its voice options): a BCP 47
   * {@code language}, a {@code voice} name ({@code null}: the engine's default), a speaking {@code style}, and
   * {@code rate} and {@code pitch} as factors of the voice's normal (1.0).
   */
  public record CallSettings(String language, String voice, String style, double rate, double pitch)
      implements CborSerializable {}

  /**
   * How long a turn took, in milliseconds, from the end of the caller's speech to the final transcript, from it to
   * the reply's first token, from that to the first audio sent, and end to end; {@code null} where not measured
   * (a typed turn has no speech).
   */
  public record TurnLatencies(
      Long endOfSpeechToFinalMs, Long finalToFirstTokenMs, Long firstTokenToFirstAudioMs,
      Long endOfSpeechToFirstAudioMs)
      implements CborSerializable {}

  /**
   * One completed turn: what the caller said ({@code input} {@link #INPUT_VOICE} or {@link #INPUT_TEXT}) as
   * transcribed, the conversation's message and reply it became, the reply as the caller heard it
   * ({@code spoken}; cut short when {@code interrupted} by a barge-in) and its latencies. {@code at} is when it
   * ended; {@code null} is filled in with the entity's clock.
   */
  public record Turn(
      String turnId,
      String input,
      String transcript,
      String messageId,
      String replyId,
      String spoken,
      boolean interrupted,
      TurnLatencies latencies,
      Instant at)
      implements CborSerializable {}

  /**
   * A call as its callers see it: {@code status} is {@code active}, {@code disconnected} or {@code ended};
   * {@code turns} oldest first, at most {@link VoiceCallSettings#maxTurns()} of the newest.
   */
  public record CallView(
      String callId,
      String conversationId,
      String userId,
      String status,
      CallSettings settings,
      List<Turn> turns,
      Instant startedAt,
      Instant endedAt,
      String endReason)
      implements CborSerializable {}

  // ---------------------------------------------------------------------------------------------------------------
  // Events

  public sealed interface Event extends CborSerializable {}

  public record CallStarted(
      String callId, String tenantId, String userId, String conversationId, CallSettings settings, String node,
      Instant at)
      implements Event {}

  public record CallResumed(String node, Instant at) implements Event {}

  public record TurnRecorded(Turn turn) implements Event {}

  public record SettingsChanged(CallSettings settings, Instant at) implements Event {}

  public record CallDisconnected(String node, String reason, Instant at) implements Event {}

  public record CallEnded(String reason, Instant at) implements Event {}

  // ---------------------------------------------------------------------------------------------------------------
  // State

  public enum Status {
    ACTIVE,
    DISCONNECTED,
    ENDED;

    /** The status as {@link CallView} shows it. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public sealed interface State extends CborSerializable {}

  /** No call was started under this id. */
  public record Empty() implements State {}

  /**
   * A started call; {@code turns} holds at most {@link VoiceCallSettings#maxTurns()} of the newest turns.
   * {@code disconnectedAt} is set while {@link Status#DISCONNECTED}.
   */
  public record Call(
      String callId,
      String tenantId,
      String userId,
      String conversationId,
      CallSettings settings,
      Status status,
      String node,
      List<Turn> turns,
      Instant startedAt,
      Instant disconnectedAt,
      Instant endedAt,
      String endReason)
      implements State {

    CallView view() {
      return new CallView(callId, conversationId, userId, status.label(), settings, turns, startedAt, endedAt,
          endReason);
    }

    boolean hasTurn(String turnId) {
      return turns.stream().anyMatch(t -> t.turnId().equals(turnId));
    }

    // Event application: pure functions of the state and the event.

    Call with(CallResumed e) {
      return new Call(callId, tenantId, userId, conversationId, settings, Status.ACTIVE, e.node(), turns, startedAt,
          null, null, null);
    }

    Call with(TurnRecorded e, int maxTurns) {
      List<Turn> kept = new ArrayList<>(Math.min(turns.size() + 1, maxTurns));
      kept.addAll(turns.subList(Math.max(0, turns.size() + 1 - maxTurns), turns.size()));
      kept.add(e.turn());
      return new Call(callId, tenantId, userId, conversationId, settings, status, node, List.copyOf(kept),
          startedAt, disconnectedAt, endedAt, endReason);
    }

    Call with(SettingsChanged e) {
      return new Call(callId, tenantId, userId, conversationId, e.settings(), status, node, turns, startedAt,
          disconnectedAt, endedAt, endReason);
    }

    Call with(CallDisconnected e) {
      return new Call(callId, tenantId, userId, conversationId, settings, Status.DISCONNECTED, node, turns,
          startedAt, e.at(), null, null);
    }

    Call with(CallEnded e) {
      return new Call(callId, tenantId, userId, conversationId, settings, Status.ENDED, node, turns, startedAt,
          null, e.at(), e.reason());
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  private final String entityId;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final VoiceCallSettings settings;
  private final Clock clock;
  private final ActorContext<Command> context;
  // Through the context: EventSourcedBehaviorTestKit accepts no Behaviors.withTimers wrapper.
  private Cancellable resumeTimer;

  private VoiceCallEntity(
      String entityId,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      VoiceCallSettings settings,
      Clock clock,
      ActorContext<Command> context) {
    super(
        // ofUniqueId: PersistenceId.of reserves '|', which separates the tenant in our entity ids.
        PersistenceId.ofUniqueId(ENTITY_KEY.name() + "|" + entityId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.entityId = entityId;
    this.shard = shard;
    this.settings = settings;
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
          if (state instanceof Call call && call.status() == Status.DISCONNECTED) armResumeTimer(call);
        })
        .onSignal(PostStop.instance(), state -> cancelResumeTimer())
        .build();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();
    builder.forStateType(Empty.class)
        .onCommand(Start.class, this::onStart)
        .onCommand(Resume.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(RecordTurn.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(UpdateSettings.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Disconnected.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(End.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(Get.class, (s, c) -> notFound(c.replyTo()))
        .onCommand(IdleTimeout.class, (s, c) -> passivate())
        .onCommand(Passivate.class, (s, c) -> Effect().stop().thenNoReply())
        .onAnyCommand(c -> Effect().noReply());

    builder.forStateType(Call.class)
        .onCommand(Start.class, this::onStartAgain)
        .onCommand(Resume.class, this::onResume)
        .onCommand(RecordTurn.class, this::onRecordTurn)
        .onCommand(UpdateSettings.class, this::onUpdateSettings)
        .onCommand(Disconnected.class, this::onDisconnected)
        .onCommand(End.class, this::onEnd)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.view())))
        .onCommand(ResumeWindowElapsed.class, this::onResumeWindowElapsed)
        // A call waiting for its caller to come back stays, or nobody would end it when the window closes.
        .onCommand(IdleTimeout.class, (s, c) -> s.status() == Status.DISCONNECTED ? Effect().noReply() : passivate())
        .onCommand(Passivate.class, (s, c) -> Effect().stop().thenNoReply());
    return builder.build();
  }

  /** An id nobody started: answer, and leave memory at once rather than after the idle timeout. */
  private <T> ReplyEffect<Event, State> notFound(ActorRef<StatusReply<T>> replyTo) {
    passivate();
    return notYours(replyTo);
  }

  /** Another user's call answers as if it did not exist, so that call ids cannot be probed. */
  private <T> ReplyEffect<Event, State> notYours(ActorRef<StatusReply<T>> replyTo) {
    return Effect().reply(replyTo, VoiceCallRejection.NOT_FOUND.reply("no such call"));
  }

  private ReplyEffect<Event, State> passivate() {
    shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(context.getSelf())));
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onStart(Empty state, Start cmd) {
    String[] ids = entityId.split("\\|", 2);
    String tenant = ids.length == 2 ? ids[0] : "";
    String callId = ids.length == 2 ? ids[1] : entityId;
    if (cmd.tenantId() != null && !cmd.tenantId().equals(tenant)) return notFound(cmd.replyTo());
    if (blank(cmd.userId()) || blank(cmd.conversationId()) || cmd.settings() == null) {
      return Effect().reply(cmd.replyTo(),
          VoiceCallRejection.INVALID.reply("a call needs a user, a conversation and settings"));
    }
    return Effect()
        .persist(new CallStarted(callId, tenant, cmd.userId(), cmd.conversationId(), cmd.settings(), cmd.node(),
            clock.instant()))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(((Call) s).view()));
  }

  private ReplyEffect<Event, State> onStartAgain(Call call, Start cmd) {
    if (!call.userId().equals(cmd.userId())) return notYours(cmd.replyTo());
    if (call.status() == Status.ENDED) return ended(cmd.replyTo());
    return Effect().reply(cmd.replyTo(), StatusReply.success(call.view()));
  }

  private ReplyEffect<Event, State> onResume(Call call, Resume cmd) {
    if (!call.userId().equals(cmd.userId())) return notYours(cmd.replyTo());
    switch (call.status()) {
      case ENDED -> {
        return ended(cmd.replyTo());
      }
      case DISCONNECTED -> {
        if (!clock.instant().isBefore(resumeDeadline(call))) {
          // The window closed while the entity was not running to notice: it ends now, as it would have then.
          return Effect().persist(new CallEnded(ABANDONED, resumeDeadline(call)))
              .thenRun(s -> cancelResumeTimer())
              .thenReply(cmd.replyTo(), s -> VoiceCallRejection.ENDED.reply("the call was abandoned"));
        }
      }
      case ACTIVE -> {
        // Resumed through another node before this one noticed the drop: that node holds the call now.
        if (cmd.node() == null || cmd.node().equals(call.node())) {
          return Effect().reply(cmd.replyTo(), StatusReply.success(call.view()));
        }
      }
    }
    return Effect().persist(new CallResumed(cmd.node(), clock.instant()))
        .thenRun(s -> cancelResumeTimer())
        .thenReply(cmd.replyTo(), s -> StatusReply.success(((Call) s).view()));
  }

  private ReplyEffect<Event, State> onRecordTurn(Call call, RecordTurn cmd) {
    Turn turn = cmd.turn();
    if (turn == null || blank(turn.turnId())
        || !(INPUT_VOICE.equals(turn.input()) || INPUT_TEXT.equals(turn.input()))) {
      return Effect().reply(cmd.replyTo(),
          VoiceCallRejection.INVALID.reply("a turn needs an id and an input of voice or text"));
    }
    if (call.hasTurn(turn.turnId())) return Effect().reply(cmd.replyTo(), StatusReply.ack()); // a retry
    if (call.status() == Status.ENDED) return ended(cmd.replyTo());
    Turn stamped = turn.at() != null ? turn : new Turn(turn.turnId(), turn.input(), turn.transcript(),
        turn.messageId(), turn.replyId(), turn.spoken(), turn.interrupted(), turn.latencies(), clock.instant());
    return Effect().persist(new TurnRecorded(stamped)).thenReply(cmd.replyTo(), s -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onUpdateSettings(Call call, UpdateSettings cmd) {
    if (call.status() == Status.ENDED) return ended(cmd.replyTo());
    if (cmd.settings() == null) {
      return Effect().reply(cmd.replyTo(), VoiceCallRejection.INVALID.reply("settings are required"));
    }
    if (cmd.settings().equals(call.settings())) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(call.view()));
    }
    return Effect().persist(new SettingsChanged(cmd.settings(), clock.instant()))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(((Call) s).view()));
  }

  private ReplyEffect<Event, State> onDisconnected(Call call, Disconnected cmd) {
    boolean elsewhere = cmd.node() != null && call.node() != null && !cmd.node().equals(call.node());
    if (call.status() != Status.ACTIVE || elsewhere) return Effect().reply(cmd.replyTo(), StatusReply.ack());
    return Effect().persist(new CallDisconnected(cmd.node(), cmd.reason(), clock.instant()))
        .thenRun(s -> armResumeTimer((Call) s))
        .thenReply(cmd.replyTo(), s -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onEnd(Call call, End cmd) {
    if (call.status() == Status.ENDED) return Effect().reply(cmd.replyTo(), StatusReply.success(call.view()));
    return Effect().persist(new CallEnded(blank(cmd.reason()) ? STOPPED : cmd.reason(), clock.instant()))
        .thenRun(s -> cancelResumeTimer())
        .thenReply(cmd.replyTo(), s -> StatusReply.success(((Call) s).view()));
  }

  private ReplyEffect<Event, State> onResumeWindowElapsed(Call call, ResumeWindowElapsed cmd) {
    // Only the timer of the current disconnect counts: the caller may have come back and dropped again since.
    if (call.status() != Status.DISCONNECTED || !cmd.disconnectedAt().equals(call.disconnectedAt())) {
      return Effect().noReply();
    }
    resumeTimer = null;
    context.getLog().info("Voice call {} abandoned: nobody resumed it within {}", entityId, settings.resumeWindow());
    return Effect().persist(new CallEnded(ABANDONED, resumeDeadline(call))).thenNoReply();
  }

  private <T> ReplyEffect<Event, State> ended(ActorRef<StatusReply<T>> replyTo) {
    return Effect().reply(replyTo, VoiceCallRejection.ENDED.reply("the call has ended"));
  }

  private Instant resumeDeadline(Call call) {
    return call.disconnectedAt().plus(settings.resumeWindow());
  }

  /** Arms the end of the resume window from the persisted disconnect time: at once if it has already passed. */
  private void armResumeTimer(Call call) {
    cancelResumeTimer();
    Duration left = Duration.between(clock.instant(), resumeDeadline(call));
    resumeTimer = context.scheduleOnce(left.isNegative() ? Duration.ZERO : left, context.getSelf(),
        new ResumeWindowElapsed(call.disconnectedAt()));
  }

  private void cancelResumeTimer() {
    if (resumeTimer != null) {
      resumeTimer.cancel();
      resumeTimer = null;
    }
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Events

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder.forStateType(Empty.class)
        .onEvent(CallStarted.class, (s, e) -> new Call(e.callId(), e.tenantId(), e.userId(), e.conversationId(),
            e.settings(), Status.ACTIVE, e.node(), List.of(), e.at(), null, null, null));
    builder.forStateType(Call.class)
        .onEvent(CallResumed.class, Call::with)
        .onEvent(TurnRecorded.class, (s, e) -> s.with(e, settings.maxTurns()))
        .onEvent(SettingsChanged.class, Call::with)
        .onEvent(CallDisconnected.class, Call::with)
        .onEvent(CallEnded.class, Call::with);
    return builder.build();
  }
}
