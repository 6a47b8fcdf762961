package io.voicehelper.edge.http.auth;

import com.typesafe.config.Config;
import io.voicehelper.edge.http.internal.ProblemException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Throttles the anonymous auth endpoints (register, login, refresh, accept invitation) per client address, against
 * password guessing spread over many accounts; the per-account lockout covers guessing one account. A token bucket
 * per address, kept on each node (a client spread over N nodes by a load balancer gets at most N times the rate);
 * the least recently seen addresses are forgotten first.
 */
public final class ClientThrottle {

  /**
   * @param attemptsPerMinute sustained attempts per client address
   * @param burst attempts a client address may make at once
   * @param maxTrackedClients addresses remembered per node
   */
  public record Settings(double attemptsPerMinute, int burst, int maxTrackedClients) {
    public Settings {
      if (attemptsPerMinute <= 0) throw new IllegalArgumentException("attempts-per-minute must be positive");
      if (burst < 1) throw new IllegalArgumentException("burst must be at least 1");
      if (maxTrackedClients < 1) throw new IllegalArgumentException("max-tracked-clients must be at least 1");
    }

    public static Settings fromConfig(Config throttle) {
      return new Settings(throttle.getDouble("attempts-per-minute"), throttle.getInt("burst"),
          throttle.getInt("max-tracked-clients"));
    }
  }

  private static final class Bucket {
    double tokens;
    long refilledAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.refilledAt = now;
    }
  }

  private final Settings settings;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets;

  public ClientThrottle(Settings settings) {
    this(settings, System::nanoTime);
  }

  ClientThrottle(Settings settings, LongSupplier nanoTime) {
    this.settings = settings;
    this.nanoTime = nanoTime;
    this.buckets = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
        return size() > settings.maxTrackedClients();
      }
    };
  }

  /** Takes one attempt for {@code client}, or fails with 429 and the wait in {@code Retry-After}. */
  public void attempt(String client) {
    Duration wait = take(client);
    if (!wait.isZero()) {
      throw ProblemException.of(429, "too-many-attempts", "Too many attempts",
              "Too many sign-in attempts from your address. Wait before trying again.")
          .withRetryAfter(wait);
    }
  }

  /** Zero when an attempt was taken, else how long until the next one is allowed. */
  synchronized Duration take(String client) {
    long now = nanoTime.getAsLong();
    double perNano = settings.attemptsPerMinute() / Duration.ofMinutes(1).toNanos();
    Bucket bucket = buckets.computeIfAbsent(client, c -> new Bucket(settings.burst(), now));
    bucket.tokens = Math.min(settings.burst(), bucket.tokens + (now - bucket.refilledAt) * perNano);
    bucket.refilledAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return Duration.ZERO;
    }
    return Duration.ofNanos((long) Math.ceil((1 - bucket.tokens) / perNano));
  }
}
