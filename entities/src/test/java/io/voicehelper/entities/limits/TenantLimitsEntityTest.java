package io.voicehelper.entities.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.conversation.Rejection;
import io.voicehelper.entities.limits.TenantLimitsEntity.Command;
import io.voicehelper.entities.limits.TenantLimitsEntity.Event;
import io.voicehelper.entities.limits.TenantLimitsEntity.LimitsView;
import io.voicehelper.entities.limits.TenantLimitsEntity.Reservation;
import io.voicehelper.entities.limits.TenantLimitsEntity.State;
import io.voicehelper.entities.limits.TenantLimitsEntity.Usage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A tenant's token ledger and limit overrides, command by command (the test kit also checks serialization). */
class TenantLimitsEntityTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(
        "TenantLimitsEntityTest", EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final io.voicehelper.entities.TestClock clock = new io.voicehelper.entities.TestClock("2026-11-24T10:00:00Z");
  private final List<LimitsAuditor.Change> audited = new CopyOnWriteArrayList<>();

  private EventSourcedBehaviorTestKit<Command, Event, State> kit() {
    return EventSourcedBehaviorTestKit.create(testKit.system(), TenantLimitsEntity.create("acme", Optional.empty(),
        LimitsTestSupport.settings(LimitsTestSupport.DEFAULTS), audited::add, clock));
  }

  private static Reservation reserve(EventSourcedBehaviorTestKit<Command, Event, State> kit, String id, long tokens) {
    StatusReply<Reservation> reply = kit.<StatusReply<Reservation>>runCommand(
        r -> new TenantLimitsEntity.Reserve(id, tokens, r)).reply();
    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    return reply.getValue();
  }

  private static void settle(EventSourcedBehaviorTestKit<Command, Event, State> kit, String id, long tokens) {
    assertEquals(Done.getInstance(), kit.<StatusReply<Done>>runCommand(
        r -> new TenantLimitsEntity.Settle(id, tokens, r)).reply().getValue());
  }

  private static Usage usage(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    return kit.<StatusReply<Usage>>runCommand(TenantLimitsEntity.GetUsage::new).reply().getValue();
  }

  @Test
  void reservationsAreGrantedWhileAnyQuotaIsLeftAndSettledWithTheActualUsage() {
    var kit = kit();
    assertTrue(reserve(kit, "r1", 600).granted());
    assertTrue(reserve(kit, "r2", 600).granted()); // 600 < 1000: crosses the quota, the one allowed overshoot
    Reservation refused = reserve(kit, "r3", 1);
    assertFalse(refused.granted());
    assertEquals(Instant.parse("2026-12-01T00:00:00Z"), refused.resetsAt());
    assertEquals(1200, refused.reserved());

    settle(kit, "r1", 150);
    settle(kit, "r2", 200);
    Usage usage = usage(kit);
    assertEquals(350, usage.used());
    assertEquals(0, usage.reserved());
    assertEquals("2026-11", usage.period());
    assertTrue(reserve(kit, "r4", 100).granted());
  }

  @Test
  void aRepeatedSettlementIsChargedOnceAndAnUnknownOneIsChargedAnyway() {
    var kit = kit();
    reserve(kit, "r1", 300);
    settle(kit, "r1", 100);
    settle(kit, "r1", 100);
    assertEquals(100, usage(kit).used());
    settle(kit, "late", 40); // released or expired earlier: the call happened, so it counts
    assertEquals(140, usage(kit).used());
    reserve(kit, "r2", 300);
    settle(kit, "r2", -1); // usage unknown: the estimate is charged
    assertEquals(440, usage(kit).used());
  }

  @Test
  void releasedAndExpiredReservationsFreeTheirTokens() {
    var kit = kit();
    reserve(kit, "r1", 1000);
    assertFalse(reserve(kit, "r2", 10).granted());
    kit.<StatusReply<Done>>runCommand(r -> new TenantLimitsEntity.Release("r1", r));
    assertTrue(reserve(kit, "r2", 999).granted());
    clock.advance(Duration.ofMinutes(11)); // past the reservation TTL
    assertEquals(0, usage(kit).reserved());
    Reservation granted = reserve(kit, "r3", 500);
    assertTrue(granted.granted());
    assertEquals(500, granted.reserved());
  }

  @Test
  void usageStartsAgainInANewPeriodAndSurvivesARestart() {
    var kit = kit();
    reserve(kit, "r1", 900);
    settle(kit, "r1", 1000);
    assertFalse(reserve(kit, "r2", 1).granted());
    kit.restart();
    assertEquals(1000, usage(kit).used());
    clock.advance(Duration.ofDays(7)); // 2026-12-01
    assertEquals(0, usage(kit).used());
    assertTrue(reserve(kit, "r2", 1).granted());
    assertEquals("2026-12", usage(kit).period());
  }

  @Test
  void limitsAreOverriddenValidatedAndAudited() {
    var kit = kit();
    LimitOverrides overrides = new LimitOverrides(50.0, null, null, null, 7, 5000L);
    var set = kit.<StatusReply<LimitsView>>runCommand(r -> new TenantLimitsEntity.SetLimits(overrides, "alice", r));
    TenantLimits limits = set.reply().getValue().limits();
    assertEquals(50.0, limits.requestsPerSecond());
    assertEquals(5, limits.burst()); // the default
    assertEquals(7, limits.maxConcurrentStreams());
    assertEquals(5000, limits.tokenQuota());
    assertEquals(1, audited.size());
    assertEquals("alice", audited.get(0).changedBy());
    assertEquals(LimitOverrides.NONE, audited.get(0).before());
    assertEquals(overrides, audited.get(0).after());

    var invalid = kit.<StatusReply<LimitsView>>runCommand(
        r -> new TenantLimitsEntity.SetLimits(new LimitOverrides(0.0, null, null, null, null, null), "alice", r));
    assertEquals(Optional.of(Rejection.INVALID), Rejection.of(invalid.reply().getError()));
    assertTrue(invalid.events().isEmpty());

    kit.restart();
    assertEquals(limits, kit.<StatusReply<LimitsView>>runCommand(TenantLimitsEntity.GetLimits::new)
        .reply().getValue().limits());
    // The quota override applies to reservations.
    assertTrue(reserve(kit, "r1", 4000).granted());
    assertTrue(reserve(kit, "r2", 4000).granted());
    assertFalse(reserve(kit, "r3", 1).granted());
  }

  @Test
  void aNegativeQuotaIsUnlimited() {
    var kit = kit();
    kit.<StatusReply<LimitsView>>runCommand(r -> new TenantLimitsEntity.SetLimits(
        new LimitOverrides(null, null, null, null, null, -1L), "ops", r));
    for (int i = 0; i < 5; i++) assertTrue(reserve(kit, "r" + i, 100_000).granted());
  }
}
