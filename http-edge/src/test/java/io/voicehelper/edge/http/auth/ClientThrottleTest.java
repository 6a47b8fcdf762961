package io.voicehelper.edge.http.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.edge.http.internal.ProblemException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ClientThrottleTest {

  private final AtomicLong now = new AtomicLong(0);
  private final ClientThrottle throttle =
      new ClientThrottle(new ClientThrottle.Settings(6, 3, 2), now::get); // 1 attempt per 10 s, burst 3

  @Test
  void anAddressGetsItsBurstThenOneAttemptPerInterval() {
    for (int i = 0; i < 3; i++) assertEquals(Duration.ZERO, throttle.take("10.0.0.1"));
    Duration wait = throttle.take("10.0.0.1");
    assertEquals(Duration.ofSeconds(10), wait);

    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertEquals(Duration.ZERO, throttle.take("10.0.0.1"));
    assertTrue(throttle.take("10.0.0.1").compareTo(Duration.ZERO) > 0);
  }

  @Test
  void addressesAreThrottledApart() {
    for (int i = 0; i < 3; i++) throttle.take("10.0.0.1");
    assertEquals(Duration.ZERO, throttle.take("10.0.0.2"));
  }

  @Test
  void aRefusedAttemptIs429WithRetryAfter() {
    for (int i = 0; i < 3; i++) throttle.attempt("10.0.0.1");
    ProblemException refused = assertThrows(ProblemException.class, () -> throttle.attempt("10.0.0.1"));
    assertEquals(429, refused.status());
    assertTrue(refused.headers().stream().anyMatch(h -> h.name().equals("Retry-After") && h.value().equals("10")),
        refused.headers().toString());
  }

  @Test
  void theLeastRecentlySeenAddressIsForgottenBeyondTheBound() {
    for (int i = 0; i < 3; i++) throttle.take("10.0.0.1");
    throttle.take("10.0.0.2");
    throttle.take("10.0.0.3"); // bound of 2: 10.0.0.1 is forgotten and starts afresh
    assertEquals(Duration.ZERO, throttle.take("10.0.0.1"));
  }
}
