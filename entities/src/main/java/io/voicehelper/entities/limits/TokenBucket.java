package io.voicehelper.entities.limits;

/**
 * A token bucket on a nanosecond clock: holds up to {@code capacity} permits and refills {@code ratePerSecond} of them
 * per second. Not thread-safe: it lives inside one actor.
 */
final class TokenBucket {

  private static final double NANOS_PER_SECOND = 1_000_000_000d;

  private double ratePerSecond;
  private int capacity;
  private double permits;
  private long updatedNanos;

  TokenBucket(double ratePerSecond, int capacity, long nowNanos) {
    this.ratePerSecond = ratePerSecond;
    this.capacity = capacity;
    this.permits = capacity;
    this.updatedNanos = nowNanos;
  }

  /** Nanoseconds until one permit is available; 0 when one is available now. */
  long nanosUntilPermit(long nowNanos) {
    refill(nowNanos);
    if (permits >= 1) return 0;
    return (long) Math.ceil((1 - permits) / ratePerSecond * NANOS_PER_SECOND);
  }

  /** Takes one permit; call only after {@link #nanosUntilPermit} answered 0 at the same time. */
  void take() {
    permits -= 1;
  }

  /** Whether the bucket is full at {@code nowNanos}, so forgetting it changes nothing. */
  boolean isFull(long nowNanos) {
    refill(nowNanos);
    return permits >= capacity;
  }

  /** Applies new limits from now on; permits above the new capacity are dropped. */
  void reconfigure(double ratePerSecond, int capacity, long nowNanos) {
    refill(nowNanos);
    this.ratePerSecond = ratePerSecond;
    this.capacity = capacity;
    this.permits = Math.min(permits, capacity);
  }

  private void refill(long nowNanos) {
    long elapsed = nowNanos - updatedNanos;
    if (elapsed > 0) {
      permits = Math.min(capacity, permits + elapsed / NANOS_PER_SECOND * ratePerSecond);
      updatedNanos = nowNanos;
    }
  }
}
