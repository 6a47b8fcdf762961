package io.voicehelper.edge.http.limits;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The request buckets this node knows to be empty, and until when. A token bucket that refused a request has no
 * permit before the refusal's {@code Retry-After}, whatever other nodes do (they can only take permits, never add
 * them), so a request arriving before then can be refused here without asking the tenant's limiter: a flood costs
 * one ask per bucket refill instead of one per request, and the allowed rate is unchanged. A limit raised meanwhile
 * takes effect after at most that wait.
 */
final class EmptyBuckets {

  /** Entries kept at most; beyond, all are dropped (they are only a shortcut). */
  static final int MAX_ENTRIES = 100_000;

  private final Map<String, Long> emptyUntilNanos = new ConcurrentHashMap<>();

  /** Milliseconds until the tenant's or this user's bucket may have a permit, if one is known to be empty. */
  OptionalLong waitMillis(String tenantId, String userId, long nowNanos) {
    long until = Math.max(until(tenantKey(tenantId), nowNanos),
        userId == null ? 0 : until(userKey(tenantId, userId), nowNanos));
    return until > nowNanos ? OptionalLong.of(Math.max(1, (until - nowNanos + 999_999) / 1_000_000))
        : OptionalLong.empty();
  }

  /** Whether the known-empty bucket in the way is the user's (else the tenant's). */
  boolean byUser(String tenantId, String userId, long nowNanos) {
    return userId != null && until(userKey(tenantId, userId), nowNanos) >= until(tenantKey(tenantId), nowNanos);
  }

  /** Records a refusal by the limiter: {@code limitedBy} is {@code "user"} or {@code "tenant"}. */
  void refused(String tenantId, String userId, String limitedBy, long retryAfterMillis, long nowNanos) {
    if (emptyUntilNanos.size() >= MAX_ENTRIES) emptyUntilNanos.clear();
    String key = "user".equals(limitedBy) && userId != null ? userKey(tenantId, userId) : tenantKey(tenantId);
    emptyUntilNanos.merge(key, nowNanos + retryAfterMillis * 1_000_000, Math::max);
  }

  private long until(String key, long nowNanos) {
    Long until = emptyUntilNanos.get(key);
    if (until == null) return 0;
    if (until <= nowNanos) {
      emptyUntilNanos.remove(key, until);
      return 0;
    }
    return until;
  }

  private static String tenantKey(String tenantId) {
    return "t|" + tenantId;
  }

  private static String userKey(String tenantId, String userId) {
    return "u|" + tenantId + "|" + userId;
  }
}
