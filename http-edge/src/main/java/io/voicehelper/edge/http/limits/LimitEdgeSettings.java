package io.voicehelper.edge.http.limits;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How the edge asks the cluster-wide limits, read once from {@code voicehelper.limits.edge} (see this module's
 * {@code reference.conf} for what each one does, its unit and its default).
 *
 * @param askTimeout how long a request waits for its request limiter
 * @param quotaAskTimeout how long a model call waits for the token ledger (reservation, release, admin reads)
 * @param failOpen whether requests and streams proceed unlimited while their limiter does not answer
 * @param quotaFailOpen whether model calls proceed without a reservation while the token ledger does not answer
 * @param reserveTokens tokens reserved per message on top of the message's own estimate (context and reply)
 * @param streamRetryAfter {@code Retry-After} of a 429 for too many concurrent streams
 * @param unavailableRetryAfter {@code Retry-After} of a 503 when a limit cannot be checked and the edge fails closed
 */
public record LimitEdgeSettings(
    Duration askTimeout,
    Duration quotaAskTimeout,
    boolean failOpen,
    boolean quotaFailOpen,
    int reserveTokens,
    Duration streamRetryAfter,
    Duration unavailableRetryAfter) {

  public static LimitEdgeSettings fromConfig(Config config) {
    return new LimitEdgeSettings(
        config.getDuration("ask-timeout"),
        config.getDuration("quota-ask-timeout"),
        config.getBoolean("fail-open"),
        config.getBoolean("quota-fail-open"),
        config.getInt("reserve-tokens"),
        config.getDuration("stream-retry-after"),
        config.getDuration("unavailable-retry-after"));
  }
}
