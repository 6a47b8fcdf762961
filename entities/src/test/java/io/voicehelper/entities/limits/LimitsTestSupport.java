package io.voicehelper.entities.limits;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Settings and clocks shared by the limits tests. */
final class LimitsTestSupport {

  private LimitsTestSupport() {}

  static final TenantLimits DEFAULTS = new TenantLimits(10, 5, 2, 3, 2, 1000);

  static LimitSettings settings(TenantLimits defaults) {
    return new LimitSettings(defaults, 100, Duration.ofSeconds(3), QuotaPeriod.MONTH, Duration.ofMinutes(10), 50,
        Duration.ofMinutes(2), Duration.ofSeconds(30), Duration.ofSeconds(5));
  }

  /** A nanosecond clock the test moves by hand. */
  static final class NanoClock {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    long now() {
      return nanos.get();
    }

    void advance(Duration by) {
      nanos.addAndGet(by.toNanos());
    }
  }
}
