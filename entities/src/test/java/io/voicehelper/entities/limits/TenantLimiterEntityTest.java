package io.voicehelper.entities.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.limits.TenantLimiterEntity.LimiterStatus;
import io.voicehelper.entities.limits.TenantLimiterEntity.RequestDecision;
import io.voicehelper.entities.limits.TenantLimiterEntity.StreamDecision;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Request buckets and stream leases of one tenant, on a clock the test moves. */
class TenantLimiterEntityTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("TenantLimiterEntityTest");
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final LimitsTestSupport.NanoClock nanos = new LimitsTestSupport.NanoClock();

  /** Defaults: tenant 10/s burst 5, user 2/s burst 3, 2 streams, lease TTL 3 s. */
  private ActorRef<TenantLimiterEntity.Command> limiter(CompletableFuture<TenantLimits> stored) {
    return testKit.spawn(TenantLimiterEntity.create("acme", Optional.empty(),
        LimitsTestSupport.settings(LimitsTestSupport.DEFAULTS), tenant -> stored, nanos::now));
  }

  private ActorRef<TenantLimiterEntity.Command> limiter() {
    return limiter(new CompletableFuture<>()); // limits never load: the defaults apply
  }

  private static RequestDecision check(ActorRef<TenantLimiterEntity.Command> limiter, String user) {
    TestProbe<StatusReply<RequestDecision>> probe = testKit.createTestProbe();
    limiter.tell(new TenantLimiterEntity.CheckRequest(user, probe.getRef()));
    return probe.receiveMessage().getValue();
  }

  private static StreamDecision acquire(ActorRef<TenantLimiterEntity.Command> limiter, String lease) {
    TestProbe<StatusReply<StreamDecision>> probe = testKit.createTestProbe();
    limiter.tell(new TenantLimiterEntity.AcquireStream(lease, probe.getRef()));
    return probe.receiveMessage().getValue();
  }

  private static LimiterStatus status(ActorRef<TenantLimiterEntity.Command> limiter) {
    TestProbe<StatusReply<LimiterStatus>> probe = testKit.createTestProbe();
    limiter.tell(new TenantLimiterEntity.GetStatus(probe.getRef()));
    return probe.receiveMessage().getValue();
  }

  @Test
  void theTenantBucketAllowsItsBurstThenItsRate() {
    var limiter = limiter();
    for (int i = 0; i < 5; i++) assertTrue(check(limiter, null).allowed(), "burst request " + i);
    RequestDecision limited = check(limiter, null);
    assertFalse(limited.allowed());
    assertEquals("tenant", limited.limitedBy());
    assertEquals(101, limited.retryAfterMillis()); // one permit per 100 ms, rounded up
    nanos.advance(Duration.ofMillis(100));
    assertTrue(check(limiter, null).allowed());
    assertFalse(check(limiter, null).allowed());
    nanos.advance(Duration.ofSeconds(10)); // refills to the burst, not beyond
    int allowed = 0;
    for (int i = 0; i < 10; i++) if (check(limiter, null).allowed()) allowed++;
    assertEquals(5, allowed);
  }

  @Test
  void aUserIsLimitedWithoutSpendingTheTenantsPermitsOrAnotherUsers() {
    var limiter = limiter();
    for (int i = 0; i < 3; i++) assertTrue(check(limiter, "ann").allowed());
    RequestDecision limited = check(limiter, "ann");
    assertFalse(limited.allowed());
    assertEquals("user", limited.limitedBy());
    assertEquals(501, limited.retryAfterMillis());
    // Ann's refused request took nothing from the tenant: 2 permits are left for Bob.
    assertTrue(check(limiter, "bob").allowed());
    assertTrue(check(limiter, "bob").allowed());
    RequestDecision tenantFull = check(limiter, "bob");
    assertFalse(tenantFull.allowed());
    assertEquals("tenant", tenantFull.limitedBy());
  }

  @Test
  void storedAndChangedLimitsApply() {
    CompletableFuture<TenantLimits> stored = new CompletableFuture<>();
    var limiter = limiter(stored);
    stored.complete(new TenantLimits(10, 1, 2, 3, 2, 1000));
    testKit.createTestProbe().awaitAssert(() -> {
      assertEquals(1, status(limiter).limits().burst());
      return null;
    });
    assertTrue(check(limiter, null).allowed());
    assertFalse(check(limiter, null).allowed());
    limiter.tell(new TenantLimiterEntity.LimitsChanged(new TenantLimits(10, 1, 2, 3, 5, 1000)));
    assertEquals(5, status(limiter).limits().maxConcurrentStreams());
  }

  @Test
  void streamSlotsAreLimitedAndFreedOnRelease() {
    var limiter = limiter();
    assertTrue(acquire(limiter, "s1").granted());
    assertTrue(acquire(limiter, "s2").granted());
    StreamDecision third = acquire(limiter, "s3");
    assertFalse(third.granted());
    assertEquals(2, third.active());
    assertEquals(2, third.max());
    limiter.tell(new TenantLimiterEntity.ReleaseStream("s1"));
    assertTrue(acquire(limiter, "s3").granted());
    // A renewal that crossed the release in flight does not take the slot back.
    limiter.tell(new TenantLimiterEntity.RenewStream("s1"));
    assertEquals(2, status(limiter).activeStreams());
  }

  @Test
  void aSlotNotRenewedWithinItsTtlIsReclaimedAndARenewedOneIsKept() {
    var limiter = limiter();
    assertTrue(acquire(limiter, "renewed").granted());
    assertTrue(acquire(limiter, "dead-node").granted());
    nanos.advance(Duration.ofSeconds(2));
    limiter.tell(new TenantLimiterEntity.RenewStream("renewed"));
    nanos.advance(Duration.ofMillis(1500)); // 3.5 s after the dead node's last word, 1.5 s after the renewal
    assertEquals(1, status(limiter).activeStreams());
    assertTrue(acquire(limiter, "new").granted());
    assertFalse(acquire(limiter, "one-too-many").granted());
  }

  @Test
  void aRenewalReRegistersAStreamThatALimiterRestartForgot() {
    var limiter = limiter();
    limiter.tell(new TenantLimiterEntity.RenewStream("from-before"));
    assertEquals(1, status(limiter).activeStreams());
  }
}
