package io.voicehelper.entities.limits;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * What an edge needs from the cluster-wide limits, one ask each: a request permit, a stream slot (renewed while it is
 * held), a token reservation, and the admin reads and writes. Thread-safe; one per node.
 */
public final class LimitsClient {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final LimitSettings settings;
  private final Duration askTimeout;
  private final Duration ledgerAskTimeout;

  /** {@code askTimeout} bounds every ask; keep it short, it is on the path of each request. */
  public LimitsClient(ActorSystem<?> system, LimitSettings settings, Duration askTimeout) {
    this(system, settings, askTimeout, askTimeout);
  }

  /**
   * {@code askTimeout} bounds the asks of the request limiter (on the path of each request, so short);
   * {@code ledgerAskTimeout} bounds those of the token ledger, which come before a model call that takes seconds
   * anyway and must outlast the ledger's recovery on a new node after a failover.
   */
  public LimitsClient(ActorSystem<?> system, LimitSettings settings, Duration askTimeout, Duration ledgerAskTimeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
    this.askTimeout = askTimeout;
    this.ledgerAskTimeout = ledgerAskTimeout;
  }

  public LimitSettings settings() {
    return settings;
  }

  /** Takes a permit for a request of {@code userId} ({@code null} for the tenant's bucket only). */
  public CompletionStage<TenantLimiterEntity.RequestDecision> checkRequest(String tenantId, String userId) {
    return limiter(tenantId).askWithStatus(replyTo -> new TenantLimiterEntity.CheckRequest(userId, replyTo),
        askTimeout);
  }

  /**
   * Takes a stream slot. When granted, the answer's {@link StreamSlot} renews its lease until {@link
   * StreamSlot#release()}; the caller must release it when the stream ends, however it ends.
   */
  public CompletionStage<StreamAdmission> acquireStream(String tenantId) {
    String leaseId = UUID.randomUUID().toString();
    EntityRef<TenantLimiterEntity.Command> limiter = limiter(tenantId);
    return limiter.<TenantLimiterEntity.StreamDecision>askWithStatus(
            replyTo -> new TenantLimiterEntity.AcquireStream(leaseId, replyTo), askTimeout)
        .thenApply(decision -> new StreamAdmission(decision,
            decision.granted() ? new StreamSlot(tenantId, leaseId, limiter) : null));
  }

  /** Reserves {@code tokens} for a model call under a new reservation id (in the answer). */
  public CompletionStage<TenantLimitsEntity.Reservation> reserveTokens(String tenantId, long tokens) {
    String reservationId = UUID.randomUUID().toString();
    return quota(tenantId).askWithStatus(
        replyTo -> new TenantLimitsEntity.Reserve(reservationId, tokens, replyTo), ledgerAskTimeout);
  }

  /** Drops a reservation whose model call will not happen. */
  public CompletionStage<Done> releaseTokens(String tenantId, String reservationId) {
    return quota(tenantId).askWithStatus(
        replyTo -> new TenantLimitsEntity.Release(reservationId, replyTo), ledgerAskTimeout);
  }

  public CompletionStage<TenantLimitsEntity.LimitsView> limits(String tenantId) {
    return quota(tenantId).askWithStatus(TenantLimitsEntity.GetLimits::new, ledgerAskTimeout);
  }

  /** Replaces the tenant's overrides; fails with {@code INVALID: ...} when the result is not a valid set. */
  public CompletionStage<TenantLimitsEntity.LimitsView> setLimits(
      String tenantId, LimitOverrides overrides, String changedBy) {
    return quota(tenantId).askWithStatus(
        replyTo -> new TenantLimitsEntity.SetLimits(overrides, changedBy, replyTo), ledgerAskTimeout);
  }

  public CompletionStage<TenantLimitsEntity.Usage> usage(String tenantId) {
    return quota(tenantId).askWithStatus(TenantLimitsEntity.GetUsage::new, ledgerAskTimeout);
  }

  public CompletionStage<TenantLimiterEntity.LimiterStatus> limiterStatus(String tenantId) {
    return limiter(tenantId).askWithStatus(TenantLimiterEntity.GetStatus::new, askTimeout);
  }

  private EntityRef<TenantLimiterEntity.Command> limiter(String tenantId) {
    return sharding.entityRefFor(TenantLimiterEntity.ENTITY_KEY, tenantId);
  }

  private EntityRef<TenantLimitsEntity.Command> quota(String tenantId) {
    return sharding.entityRefFor(TenantLimitsEntity.ENTITY_KEY, tenantId);
  }

  /** The answer to {@link #acquireStream}: the decision, and the slot when it was granted ({@code null} if not). */
  public record StreamAdmission(TenantLimiterEntity.StreamDecision decision, StreamSlot slot) {}

  /** A stream slot held by this node: renewed on a timer until released. */
  public final class StreamSlot {
    private final String tenantId;
    private final String leaseId;
    private final EntityRef<TenantLimiterEntity.Command> limiter;
    private final Cancellable renewal;
    private final AtomicBoolean released = new AtomicBoolean();

    private StreamSlot(String tenantId, String leaseId, EntityRef<TenantLimiterEntity.Command> limiter) {
      this.tenantId = tenantId;
      this.leaseId = leaseId;
      this.limiter = limiter;
      Duration every = settings.streamLeaseRenewInterval();
      this.renewal = system.scheduler().scheduleAtFixedRate(every, every,
          () -> limiter.tell(new TenantLimiterEntity.RenewStream(leaseId)), system.executionContext());
    }

    public String tenantId() {
      return tenantId;
    }

    public String leaseId() {
      return leaseId;
    }

    /** Frees the slot; safe to call more than once. */
    public void release() {
      if (released.compareAndSet(false, true)) {
        renewal.cancel();
        limiter.tell(new TenantLimiterEntity.ReleaseStream(leaseId));
      }
    }
  }
}
