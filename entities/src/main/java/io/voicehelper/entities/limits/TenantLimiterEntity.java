package io.voicehelper.entities.limits;

import io.voicehelper.entities.CborSerializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;

/**
 * One tenant's request rate limits and stream slots, for the whole cluster: sharding keeps exactly one of these per
 * tenant, so every node's edge asks the same buckets. Not persistent — it holds only what recovers by itself.
 *
 * <p>Requests: a token bucket for the tenant and one per user of the tenant (the {@code maxTrackedUsers} most recently
 * seen; a forgotten user starts again with a full bucket). A request takes a permit from both or from neither.
 *
 * <p>Streams: each open stream holds a lease that its edge renews every {@link LimitSettings#streamLeaseRenewInterval()}.
 * A lease not renewed for {@link LimitSettings#streamLeaseTtl()} is reclaimed, so a node that dies with open streams
 * frees their slots within one TTL. If this actor itself moves (its node died), it starts empty: buckets full, and
 * the streams still open re-register with their next renewal.
 */
public final class TenantLimiterEntity extends AbstractBehavior<TenantLimiterEntity.Command> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "TenantLimiter");

  /** Where a limiter reads its tenant's limits from. */
  @FunctionalInterface
  public interface LimitsSource {
    CompletionStage<TenantLimits> limitsOf(String tenantId);
  }

  /** Registers the entity type with sharding on this node; limits are read from {@link TenantLimitsEntity}. */
  public static void init(ActorSystem<?> system, LimitSettings settings) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Duration askTimeout = Duration.ofSeconds(5);
    LimitsSource source = tenant -> sharding.entityRefFor(TenantLimitsEntity.ENTITY_KEY, tenant)
        .<TenantLimitsEntity.LimitsView>askWithStatus(TenantLimitsEntity.GetLimits::new, askTimeout)
        .thenApply(TenantLimitsEntity.LimitsView::limits);
    sharding.init(
        Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), Optional.of(ctx.getShard()), settings, source,
                System::nanoTime))
            .withStopMessage(Passivate.INSTANCE));
  }

  /** The limiter's behavior; {@code shard} is empty outside sharding, {@code nanoClock} is {@code System::nanoTime}. */
  public static Behavior<Command> create(
      String tenantId,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      LimitSettings settings,
      LimitsSource source,
      LongSupplier nanoClock) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new TenantLimiterEntity(context, timers, tenantId, shard, settings, source, nanoClock)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Protocol

  public sealed interface Command extends CborSerializable {}

  /** Takes a permit for one request of {@code userId} (may be {@code null}: the tenant's bucket only). */
  public record CheckRequest(String userId, ActorRef<StatusReply<RequestDecision>> replyTo) implements Command {}

  /** Takes a stream slot under {@code leaseId}, chosen by the caller, if one is free. */
  public record AcquireStream(String leaseId, ActorRef<StatusReply<StreamDecision>> replyTo) implements Command {}

  /** Keeps a stream slot; re-registers it if this limiter has restarted since it was taken. */
  public record RenewStream(String leaseId) implements Command {}

  /** Frees a stream slot: its stream has ended. */
  public record ReleaseStream(String leaseId) implements Command {}

  /** Answers with the limits in force and the slots taken. */
  public record GetStatus(ActorRef<StatusReply<LimiterStatus>> replyTo) implements Command {}

  /** The tenant's limits changed (sent by {@link TenantLimitsEntity}). */
  public record LimitsChanged(TenantLimits limits) implements Command {}

  private record LimitsLoaded(TenantLimits limits) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private enum Passivate implements Command {
    INSTANCE
  }

  /**
   * Whether a request may proceed; when not, {@code limitedBy} is {@code tenant} or {@code user} and
   * {@code retryAfterMillis} is when a permit will be available.
   */
  public record RequestDecision(boolean allowed, String limitedBy, long retryAfterMillis)
      implements CborSerializable {}

  /** Whether a stream slot was granted, with the slots taken (including it) and the tenant's maximum. */
  public record StreamDecision(boolean granted, int active, int max) implements CborSerializable {}

  public record LimiterStatus(String tenantId, TenantLimits limits, int activeStreams, int trackedUsers)
      implements CborSerializable {}

  // ---------------------------------------------------------------------------------------------------------------

  private static final int RELEASED_MEMORY = 1024;

  private final String tenantId;
  private final Optional<ActorRef<ClusterSharding.ShardCommand>> shard;
  private final LimitSettings settings;
  private final LimitsSource source;
  private final LongSupplier nanoClock;

  private TenantLimits limits;
  private final TokenBucket tenantBucket;
  private final LinkedHashMap<String, TokenBucket> users;
  private final Map<String, Long> leaseExpiry = new HashMap<>();
  // Renewals of a lease can cross its release in flight; these ids are not re-registered.
  private final LinkedHashMap<String, Boolean> released = new LinkedHashMap<>(64, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > RELEASED_MEMORY;
    }
  };
  private long lastRequestNanos;

  private TenantLimiterEntity(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String tenantId,
      Optional<ActorRef<ClusterSharding.ShardCommand>> shard,
      LimitSettings settings,
      LimitsSource source,
      LongSupplier nanoClock) {
    super(context);
    this.tenantId = tenantId;
    this.shard = shard;
    this.settings = settings;
    this.source = source;
    this.nanoClock = nanoClock;
    this.limits = settings.defaults();
    long now = nanoClock.getAsLong();
    this.lastRequestNanos = now;
    this.tenantBucket = new TokenBucket(limits.requestsPerSecond(), limits.burst(), now);
    int maxUsers = settings.maxTrackedUsers();
    this.users = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
        return size() > maxUsers;
      }
    };
    loadLimits();
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.limitsRefreshInterval());
  }

  private void loadLimits() {
    getContext().pipeToSelf(source.limitsOf(tenantId), (loaded, failure) -> {
      if (failure != null) {
        getContext().getLog().warn("Could not read the limits of tenant {}; keeping the current ones: {}", tenantId,
            failure.toString());
        return new LimitsLoaded(null);
      }
      return new LimitsLoaded(loaded);
    });
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(CheckRequest.class, this::onCheckRequest)
        .onMessage(AcquireStream.class, this::onAcquireStream)
        .onMessage(RenewStream.class, this::onRenewStream)
        .onMessage(ReleaseStream.class, this::onReleaseStream)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(LimitsChanged.class, c -> apply(c.limits()))
        .onMessage(LimitsLoaded.class, c -> c.limits() == null ? this : apply(c.limits()))
        .onMessage(Tick.class, c -> onTick())
        .onMessageEquals(Passivate.INSTANCE, Behaviors::stopped)
        .build();
  }

  private Behavior<Command> onCheckRequest(CheckRequest cmd) {
    long now = nanoClock.getAsLong();
    lastRequestNanos = now;
    long tenantWait = tenantBucket.nanosUntilPermit(now);
    TokenBucket user = null;
    if (cmd.userId() != null && !cmd.userId().isEmpty()) {
      user = users.get(cmd.userId());
      if (user == null) {
        user = new TokenBucket(limits.userRequestsPerSecond(), limits.userBurst(), now);
        users.put(cmd.userId(), user);
      }
    }
    long userWait = user == null ? 0 : user.nanosUntilPermit(now);
    RequestDecision decision;
    if (tenantWait == 0 && userWait == 0) {
      tenantBucket.take();
      if (user != null) user.take();
      decision = new RequestDecision(true, null, 0);
    } else {
      String limitedBy = userWait > 0 ? "user" : "tenant";
      decision = new RequestDecision(false, limitedBy, Duration.ofNanos(Math.max(tenantWait, userWait)).toMillis() + 1);
    }
    cmd.replyTo().tell(StatusReply.success(decision));
    return this;
  }

  private Behavior<Command> onAcquireStream(AcquireStream cmd) {
    long now = nanoClock.getAsLong();
    expireLeases(now);
    boolean granted = leaseExpiry.containsKey(cmd.leaseId()) || leaseExpiry.size() < limits.maxConcurrentStreams();
    if (granted) leaseExpiry.put(cmd.leaseId(), now + settings.streamLeaseTtl().toNanos());
    cmd.replyTo().tell(StatusReply.success(
        new StreamDecision(granted, leaseExpiry.size(), limits.maxConcurrentStreams())));
    return this;
  }

  private Behavior<Command> onRenewStream(RenewStream cmd) {
    if (!released.containsKey(cmd.leaseId())) {
      // Also re-registers a lease this incarnation never saw: its stream is running, so it counts, over the limit
      // or not.
      leaseExpiry.put(cmd.leaseId(), nanoClock.getAsLong() + settings.streamLeaseTtl().toNanos());
    }
    return this;
  }

  private Behavior<Command> onReleaseStream(ReleaseStream cmd) {
    leaseExpiry.remove(cmd.leaseId());
    released.put(cmd.leaseId(), Boolean.TRUE);
    return this;
  }

  private Behavior<Command> onGetStatus(GetStatus cmd) {
    expireLeases(nanoClock.getAsLong());
    cmd.replyTo().tell(StatusReply.success(new LimiterStatus(tenantId, limits, leaseExpiry.size(), users.size())));
    return this;
  }

  private Behavior<Command> apply(TenantLimits newLimits) {
    if (!newLimits.equals(limits)) {
      limits = newLimits;
      long now = nanoClock.getAsLong();
      tenantBucket.reconfigure(limits.requestsPerSecond(), limits.burst(), now);
      for (TokenBucket user : users.values()) user.reconfigure(limits.userRequestsPerSecond(), limits.userBurst(), now);
    }
    return this;
  }

  private Behavior<Command> onTick() {
    long now = nanoClock.getAsLong();
    expireLeases(now);
    users.values().removeIf(bucket -> bucket.isFull(now)); // a full bucket is what a new user gets anyway
    boolean idle = Duration.ofNanos(now - lastRequestNanos).compareTo(settings.limiterIdleTimeout()) >= 0;
    if (idle && leaseExpiry.isEmpty() && tenantBucket.isFull(now)) {
      shard.ifPresent(s -> s.tell(new ClusterSharding.Passivate<>(getContext().getSelf())));
    } else {
      loadLimits();
    }
    return this;
  }

  private void expireLeases(long now) {
    Iterator<Map.Entry<String, Long>> it = leaseExpiry.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Long> lease = it.next();
      if (lease.getValue() - now <= 0) {
        getContext().getLog().info("Stream slot {} of tenant {} was not renewed in {}; reclaimed", lease.getKey(),
            tenantId, settings.streamLeaseTtl());
        it.remove();
      }
    }
  }
}
