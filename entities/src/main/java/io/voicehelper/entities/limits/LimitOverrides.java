package io.voicehelper.entities.limits;

import io.voicehelper.entities.CborSerializable;

/**
 * A tenant's own limits, set through the admin API; each {@code null} member falls back to the configured default
 * (see {@link TenantLimits} for the meaning and unit of each).
 */
public record LimitOverrides(
    Double requestsPerSecond,
    Integer burst,
    Double userRequestsPerSecond,
    Integer userBurst,
    Integer maxConcurrentStreams,
    Long tokenQuota)
    implements CborSerializable {

  public static final LimitOverrides NONE = new LimitOverrides(null, null, null, null, null, null);

  /** The limits in force: these overrides over {@code defaults}. Throws if the result is not a valid set. */
  public TenantLimits applyTo(TenantLimits defaults) {
    return new TenantLimits(
        requestsPerSecond != null ? requestsPerSecond : defaults.requestsPerSecond(),
        burst != null ? burst : defaults.burst(),
        userRequestsPerSecond != null ? userRequestsPerSecond : defaults.userRequestsPerSecond(),
        userBurst != null ? userBurst : defaults.userBurst(),
        maxConcurrentStreams != null ? maxConcurrentStreams : defaults.maxConcurrentStreams(),
        tokenQuota != null ? tokenQuota : defaults.tokenQuota());
  }
}
