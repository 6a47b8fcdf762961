package io.voicehelper.entities.limits;

import io.voicehelper.entities.CborSerializable;

/**
 * The limits in force for one tenant: the configured defaults with the tenant's overrides applied.
 *
 * @param requestsPerSecond sustained request rate of the whole tenant (token bucket refill), requests per second
 * @param burst requests the tenant may make at once above the rate (bucket capacity)
 * @param userRequestsPerSecond sustained request rate of each user of the tenant, requests per second
 * @param userBurst requests one user may make at once (bucket capacity)
 * @param maxConcurrentStreams SSE replies of the tenant that may stream at the same time
 * @param tokenQuota model tokens the tenant may use per quota period; negative means unlimited
 */
public record TenantLimits(
    double requestsPerSecond,
    int burst,
    double userRequestsPerSecond,
    int userBurst,
    int maxConcurrentStreams,
    long tokenQuota)
    implements CborSerializable {

  public TenantLimits {
    if (!(requestsPerSecond > 0) || !(userRequestsPerSecond > 0)) {
      throw new IllegalArgumentException("request rates must be positive");
    }
    if (burst < 1 || userBurst < 1) throw new IllegalArgumentException("bursts must be at least 1");
    if (maxConcurrentStreams < 0) throw new IllegalArgumentException("max concurrent streams must not be negative");
  }

  public boolean unlimitedTokens() {
    return tokenQuota < 0;
  }
}
