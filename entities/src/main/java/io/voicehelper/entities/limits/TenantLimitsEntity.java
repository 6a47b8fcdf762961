package io.voicehelper.entities.limits;

import io.voicehelper.entities.CborSerializable;
import io.voicehelper.entities.conversation.Rejection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tenant's limits and token ledger: the overrides set through the admin API, and the model tokens used and
 * reserved in the current quota period.
 *
 * <p>Every model call is preceded by a {@link Reserve} of an estimate and followed by a {@link Settle} with the actual
 * usage. A reservation is granted while {@code used + reserved < quota}, and this entity is the single writer of the
 * ledger, so however many reservations race, the quota is overshot by at most the one reservation that crossed it.
 * Reservations are persisted before they are granted, so a crash forgets none. One that is never settled (its caller
 * died) is dropped after {@link LimitSettings#reservationTtl()}; a late settlement is still charged.
 */
public final class TenantLimitsEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        TenantLimitsEntity.Command, TenantLimitsEntity.Event, TenantLimitsEntity.State> {

  private static final Logger log = LoggerFactory.getLogger(TenantLimitsEntity.class);

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "TenantLimits");

  /** Tag of {@link LimitsSet} events, for an audit-log projection. Other events are not tagged. */
  public static final String AUDIT_TAG = "tenant-limits-changed";

  /**
   * Registers the entity type with sharding on this node. After a change of limits, {@code auditor} is called and
   * the tenant's {@link TenantLimiterEntity} is told at once.
   */
  public static void init(ActorSystem<?> system, LimitSettings settings, LimitsAuditor auditor) {
    ClusterSharding sharding = ClusterSharding.get(system);
    LimitsAuditor pushToLimiter = change -> {
      try {
        auditor.limitsChanged(change);
      } catch (RuntimeException e) {
        log.error("The limits auditor failed for tenant {}", change.tenantId(), e);
      }
      sharding.entityRefFor(TenantLimiterEntity.ENTITY_KEY, change.tenantId())
          .tell(new TenantLimiterEntity.LimitsChanged(change.effective()));
    };
    sharding.init(
        Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), Optional.of(ctx.getShard()), settings, pushToLimiter,
                Clock.systemUTC()))
            .withStopMessage(Passivate.INSTANCE));
  }

  /** The entity's behavior; {@code shard} is empty when it runs outside sharding (tests). */
  public static Behavior<Command> create(
      String tenantId,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      LimitSettings settings,
      LimitsAuditor auditor,
      Clock clock) {
    return Behaviors.setup(context -> {
      context.setReceiveTimeout(settings.limiterIdleTimeout(), IdleTimeout.INSTANCE);
      return new TenantLimitsEntity(tenantId, shard, settings, auditor, clock, context);
    });
  }

  /** The quota settlement port, asking the tenant's entity through sharding (idempotent, so retried twice). */
  public static QuotaSettlement settlement(ActorSystem<?> system, Duration askTimeout) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return (tenantId, reservationId, actualTokens) -> retry(3, () ->
        sharding.entityRefFor(ENTITY_KEY, tenantId).<Done>askWithStatus(
            replyTo -> new Settle(reservationId, actualTokens.isPresent() ? actualTokens.getAsInt() : -1, replyTo),
            askTimeout));
  }

  private static <T> CompletionStage<T> retry(int attempts, java.util.function.Supplier<CompletionStage<T>> call) {
    CompletionStage<T> first = call.get();
    if (attempts <= 1) return first;
    return first.exceptionallyCompose(failure -> CompletableFuture.supplyAsync(() -> null,
            CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS))
        .thenCompose(ignored -> retry(attempts - 1, call)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Protocol

  public sealed interface Command extends CborSerializable {}

  /** Answers with the tenant's limits in force and its overrides. */
  public record GetLimits(ActorRef<StatusReply<LimitsView>> replyTo) implements Command {}

  /**
   * Replaces the tenant's overrides ({@code null} members fall back to the defaults); answers with the new limits, or
   * {@link Rejection#INVALID} if they are not a valid set. {@code changedBy} is recorded for the audit log.
   */
  public record SetLimits(LimitOverrides overrides, String changedBy, ActorRef<StatusReply<LimitsView>> replyTo)
      implements Command {}

  /**
   * Reserves {@code tokens} (an estimate of a model call) under {@code reservationId}, chosen by the caller; a repeat
   * of the same id answers the original grant. Answers {@link Reservation#granted()} false when the quota is used up.
   */
  public record Reserve(String reservationId, long tokens, ActorRef<StatusReply<Reservation>> replyTo)
      implements Command {}

  /** Drops a reservation whose model call will not happen (the request was refused or was a retried duplicate). */
  public record Release(String reservationId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Charges the actual usage of a reservation's model call: {@code actualTokens}, or the reserved estimate when it is
   * negative (unknown). Idempotent; a reservation that was released or had expired is still charged.
   */
  public record Settle(String reservationId, long actualTokens, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Answers with the token usage of the current period. */
  public record GetUsage(ActorRef<StatusReply<Usage>> replyTo) implements Command {}

  private enum IdleTimeout implements Command {
    INSTANCE
  }

  private enum Passivate implements Command {
    INSTANCE
  }

  /** A tenant's limits in force, and which of them are its own. */
  public record LimitsView(String tenantId, TenantLimits limits, LimitOverrides overrides)
      implements CborSerializable {}

  /**
   * The answer to a {@link Reserve}: granted or not, and the ledger after it. {@code quota} is negative when
   * unlimited; {@code resetsAt} is when the period ends.
   */
  public record Reservation(
      boolean granted, String reservationId, long tokens, long quota, long used, long reserved, Instant resetsAt)
      implements CborSerializable {}

  /** Token usage in the current period: settled ({@code used}) and held by calls in flight ({@code reserved}). */
  public record Usage(
      String tenantId,
      String period,
      Instant periodStart,
      Instant resetsAt,
      long quota,
      long used,
      long reserved,
      int openReservations)
      implements CborSerializable {}

  // ---------------------------------------------------------------------------------------------------------------
  // Events

  public sealed interface Event extends CborSerializable {}

  public record LimitsSet(LimitOverrides overrides, String changedBy, Instant at) implements Event {}

  public record TokensReserved(String reservationId, long tokens, String period, Instant at) implements Event {}

  public record ReservationReleased(String reservationId, Instant at) implements Event {}

  /** {@code tokens} were charged to {@code period} for the reservation's call. */
  public record TokensSettled(String reservationId, long tokens, String period, Instant at) implements Event {}

  public record ReservationsExpired(List<String> reservationIds, Instant at) implements Event {}

  // ---------------------------------------------------------------------------------------------------------------
  // State

  public record OpenReservation(long tokens, Instant at) implements CborSerializable {}

  /**
   * The ledger: overrides, the period {@code used} counts for, open reservations, and the ids of the latest settled
   * reservations (oldest first, bounded), which make {@link Settle} idempotent.
   */
  public record State(
      LimitOverrides overrides, String period, long used, Map<String, OpenReservation> open, List<String> settled)
      implements CborSerializable {

    static State empty() {
      return new State(LimitOverrides.NONE, "", 0, Map.of(), List.of());
    }

    long usedIn(String currentPeriod) {
      return currentPeriod.equals(period) ? used : 0;
    }

    long reserved() {
      long sum = 0;
      for (OpenReservation r : open.values()) sum += r.tokens();
      return sum;
    }

    List<String> expiredAt(Instant horizon) {
      List<String> expired = new ArrayList<>();
      open.forEach((id, r) -> { if (r.at().isBefore(horizon)) expired.add(id); });
      return expired;
    }

    // Event application: pure functions of the state and the event.

    State with(LimitsSet e) {
      return new State(e.overrides(), period, used, open, settled);
    }

    State with(TokensReserved e) {
      Map<String, OpenReservation> more = new HashMap<>(open);
      more.put(e.reservationId(), new OpenReservation(e.tokens(), e.at()));
      return new State(overrides, e.period(), usedIn(e.period()), Map.copyOf(more), settled);
    }

    State with(ReservationReleased e) {
      Map<String, OpenReservation> less = new HashMap<>(open);
      less.remove(e.reservationId());
      return new State(overrides, period, used, Map.copyOf(less), settled);
    }

    State with(TokensSettled e, int settledMemory) {
      Map<String, OpenReservation> less = new HashMap<>(open);
      less.remove(e.reservationId());
      List<String> remembered = new ArrayList<>(settled.size() + 1);
      remembered.addAll(settled);
      remembered.add(e.reservationId());
      if (remembered.size() > settledMemory) remembered = remembered.subList(remembered.size() - settledMemory,
          remembered.size());
      return new State(overrides, e.period(), usedIn(e.period()) + e.tokens(), Map.copyOf(less),
          List.copyOf(remembered));
    }

    State with(ReservationsExpired e) {
      Map<String, OpenReservation> less = new HashMap<>(open);
      e.reservationIds().forEach(less::remove);
      return new State(overrides, period, used, Map.copyOf(less), settled);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  private final String tenantId;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final LimitSettings settings;
  private final LimitsAuditor auditor;
  private final Clock clock;
  private final ActorContext<Command> context;

  private TenantLimitsEntity(
      String tenantId,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      LimitSettings settings,
      LimitsAuditor auditor,
      Clock clock,
      ActorContext<Command> context) {
    super(
        // ofUniqueId: PersistenceId.of reserves '|', and tenant ids are not ours to restrict.
        PersistenceId.ofUniqueId(ENTITY_KEY.name() + "|" + tenantId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.tenantId = tenantId;
    this.shard = shard;
    this.settings = settings;
    this.auditor = auditor;
    this.clock = clock;
    this.context = context;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return event instanceof LimitsSet ? Set.of(AUDIT_TAG) : Set.of();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Two events per model call: snapshots keep recovery short for busy tenants.
    return RetentionCriteria.snapshotEvery(200, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(GetLimits.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(view(s))))
        .onCommand(SetLimits.class, this::onSetLimits)
        .onCommand(Reserve.class, this::onReserve)
        .onCommand(Release.class, this::onRelease)
        .onCommand(Settle.class, this::onSettle)
        .onCommand(GetUsage.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(usage(s))))
        .onCommand(IdleTimeout.class, (s, c) -> {
          shard.ifPresent(sh -> sh.tell(new ClusterSharding.Passivate<>(context.getSelf())));
          return Effect().noReply();
        })
        .onCommand(Passivate.class, (s, c) -> Effect().stop().thenNoReply())
        .build();
  }

  private LimitsView view(State state) {
    return new LimitsView(tenantId, state.overrides().applyTo(settings.defaults()), state.overrides());
  }

  private Usage usage(State state) {
    Instant now = clock.instant();
    String period = settings.quotaPeriod().key(now);
    Instant horizon = now.minus(settings.reservationTtl());
    long reserved = 0;
    int open = 0;
    for (OpenReservation r : state.open().values()) {
      if (!r.at().isBefore(horizon)) {
        reserved += r.tokens();
        open++;
      }
    }
    return new Usage(tenantId, period, settings.quotaPeriod().start(now), settings.quotaPeriod().end(now),
        state.overrides().applyTo(settings.defaults()).tokenQuota(), state.usedIn(period), reserved, open);
  }

  private ReplyEffect<Event, State> onSetLimits(State state, SetLimits cmd) {
    LimitOverrides overrides = cmd.overrides() == null ? LimitOverrides.NONE : cmd.overrides();
    TenantLimits effective;
    try {
      effective = overrides.applyTo(settings.defaults());
    } catch (IllegalArgumentException e) {
      return Effect().reply(cmd.replyTo(), Rejection.INVALID.reply(e.getMessage()));
    }
    LimitsAuditor.Change change = new LimitsAuditor.Change(tenantId, state.overrides(), overrides, effective,
        cmd.changedBy(), clock.instant());
    return Effect()
        .persist(new LimitsSet(overrides, cmd.changedBy(), change.at()))
        .thenRun(s -> auditor.limitsChanged(change))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(view(s)));
  }

  private ReplyEffect<Event, State> onReserve(State state, Reserve cmd) {
    Instant now = clock.instant();
    String period = settings.quotaPeriod().key(now);
    long quota = state.overrides().applyTo(settings.defaults()).tokenQuota();
    OpenReservation existing = state.open().get(cmd.reservationId());
    if (existing != null) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(reservation(true, cmd.reservationId(),
          existing.tokens(), quota, state, period, now)));
    }
    if (cmd.tokens() <= 0) {
      return Effect().reply(cmd.replyTo(), Rejection.INVALID.reply("a reservation must be of at least one token"));
    }
    List<Event> events = new ArrayList<>(2);
    List<String> expired = state.expiredAt(now.minus(settings.reservationTtl()));
    if (!expired.isEmpty()) {
      log.info("Dropping {} unsettled token reservations of tenant {}", expired.size(), tenantId);
      events.add(new ReservationsExpired(expired, now));
    }
    long reserved = state.reserved();
    for (String id : expired) reserved -= state.open().get(id).tokens();
    // The single rule that bounds overshoot: admit while anything is left, so at most one call crosses the quota.
    boolean granted = quota < 0 || state.usedIn(period) + reserved < quota;
    if (granted) events.add(new TokensReserved(cmd.reservationId(), cmd.tokens(), period, now));
    if (events.isEmpty()) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(reservation(false, cmd.reservationId(), cmd.tokens(),
          quota, state, period, now)));
    }
    return Effect().persist(events).thenReply(cmd.replyTo(), s -> StatusReply.success(
        reservation(granted, cmd.reservationId(), cmd.tokens(), quota, s, period, now)));
  }

  private Reservation reservation(
      boolean granted, String id, long tokens, long quota, State state, String period, Instant now) {
    return new Reservation(granted, id, tokens, quota, state.usedIn(period), state.reserved(),
        settings.quotaPeriod().end(now));
  }

  private ReplyEffect<Event, State> onRelease(State state, Release cmd) {
    if (!state.open().containsKey(cmd.reservationId())) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(Done.getInstance()));
    }
    return Effect().persist(new ReservationReleased(cmd.reservationId(), clock.instant()))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(Done.getInstance()));
  }

  private ReplyEffect<Event, State> onSettle(State state, Settle cmd) {
    if (state.settled().contains(cmd.reservationId())) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(Done.getInstance()));
    }
    OpenReservation open = state.open().get(cmd.reservationId());
    long charged = cmd.actualTokens() >= 0 ? cmd.actualTokens() : open != null ? open.tokens() : 0;
    Instant now = clock.instant();
    return Effect()
        .persist(new TokensSettled(cmd.reservationId(), charged, settings.quotaPeriod().key(now), now))
        .thenReply(cmd.replyTo(), s -> StatusReply.success(Done.getInstance()));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(LimitsSet.class, State::with)
        .onEvent(TokensReserved.class, State::with)
        .onEvent(ReservationReleased.class, State::with)
        .onEvent(TokensSettled.class, (s, e) -> s.with(e, settings.settledMemory()))
        .onEvent(ReservationsExpired.class, State::with)
        .build();
  }
}
