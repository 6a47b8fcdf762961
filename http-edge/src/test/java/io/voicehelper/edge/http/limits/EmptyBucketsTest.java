package io.voicehelper.edge.http.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class EmptyBucketsTest {

  private static final long MS = 1_000_000;
  private final EmptyBuckets buckets = new EmptyBuckets();

  @Test
  void aUserRefusalCoversThatUserUntilItsRetryAfterOnly() {
    buckets.refused("acme", "ana", "user", 200, 0);
    assertEquals(OptionalLong.of(150), buckets.waitMillis("acme", "ana", 50 * MS));
    assertTrue(buckets.byUser("acme", "ana", 50 * MS));
    assertEquals(OptionalLong.empty(), buckets.waitMillis("acme", "bo", 50 * MS), "another user asks the limiter");
    assertEquals(OptionalLong.empty(), buckets.waitMillis("acme", "ana", 200 * MS), "refilled: ask again");
  }

  @Test
  void aTenantRefusalCoversEveryUserOfThatTenantOnly() {
    buckets.refused("acme", "ana", "tenant", 100, 0);
    assertEquals(OptionalLong.of(100), buckets.waitMillis("acme", "bo", 0));
    assertFalse(buckets.byUser("acme", "bo", 0));
    assertEquals(OptionalLong.of(100), buckets.waitMillis("acme", null, 0));
    assertEquals(OptionalLong.empty(), buckets.waitMillis("globex", "ana", 0));
  }

  @Test
  void theLongerKnownWaitWins() {
    buckets.refused("acme", "ana", "user", 300, 0);
    buckets.refused("acme", "ana", "tenant", 100, 0);
    assertEquals(OptionalLong.of(300), buckets.waitMillis("acme", "ana", 0));
    assertTrue(buckets.byUser("acme", "ana", 0));
  }
}
