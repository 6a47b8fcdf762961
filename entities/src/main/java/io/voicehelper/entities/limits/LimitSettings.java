package io.voicehelper.entities.limits;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the cluster-wide limits, read once from {@code voicehelper.limits} (see this module's
 * {@code reference.conf} for what each one does, its unit and its default).
 *
 * @param defaults the limits of a tenant without overrides
 * @param maxTrackedUsers users per tenant whose request buckets are kept; the least recently seen are dropped
 * @param streamLeaseTtl how long a stream slot stays taken without a renewal (a dead node's slots free after this)
 * @param quotaPeriod the period the token quota counts over
 * @param reservationTtl how long a token reservation stays open without being settled
 * @param settledMemory settled reservation ids remembered per tenant, so a repeated settlement is not charged twice
 * @param limiterIdleTimeout a tenant's request limiter with no open streams stops after this long without requests
 * @param limitsRefreshInterval how often a limiter re-reads its tenant's limits (changes are also pushed at once)
 * @param settleTimeout how long a conversation waits for the ledger to take a reply's actual usage
 */
public record LimitSettings(
    TenantLimits defaults,
    int maxTrackedUsers,
    Duration streamLeaseTtl,
    QuotaPeriod quotaPeriod,
    Duration reservationTtl,
    int settledMemory,
    Duration limiterIdleTimeout,
    Duration limitsRefreshInterval,
    Duration settleTimeout) {

  public static LimitSettings fromConfig(Config config) {
    return new LimitSettings(
        new TenantLimits(
            config.getDouble("requests.per-second"),
            config.getInt("requests.burst"),
            config.getDouble("requests.per-user-per-second"),
            config.getInt("requests.per-user-burst"),
            config.getInt("streams.max-concurrent"),
            config.getLong("tokens.quota")),
        config.getInt("requests.max-tracked-users"),
        config.getDuration("streams.lease-ttl"),
        QuotaPeriod.parse(config.getString("tokens.period")),
        config.getDuration("tokens.reservation-ttl"),
        config.getInt("tokens.settled-memory"),
        config.getDuration("limiter-idle-timeout"),
        config.getDuration("limits-refresh-interval"),
        config.getDuration("tokens.settle-timeout"));
  }

  /** How often the holder of a stream slot renews it: three renewals per TTL, so one lost renewal is harmless. */
  public Duration streamLeaseRenewInterval() {
    return streamLeaseTtl.dividedBy(3);
  }

  public LimitSettings withDefaults(TenantLimits limits) {
    return new LimitSettings(limits, maxTrackedUsers, streamLeaseTtl, quotaPeriod, reservationTtl, settledMemory,
        limiterIdleTimeout, limitsRefreshInterval, settleTimeout);
  }

  public LimitSettings withStreamLeaseTtl(Duration ttl) {
    return new LimitSettings(defaults, maxTrackedUsers, ttl, quotaPeriod, reservationTtl, settledMemory,
        limiterIdleTimeout, limitsRefreshInterval, settleTimeout);
  }
}
