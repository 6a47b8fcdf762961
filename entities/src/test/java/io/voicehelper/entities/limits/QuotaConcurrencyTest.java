package io.voicehelper.entities.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** 200 concurrent reservations against one tenant's quota overshoot it by at most one reservation. */
class QuotaConcurrencyTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("QuotaConcurrencyTest", PersistenceTestKitPlugin.getInstance().config()
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void twoHundredConcurrentReservationsOvershootByAtMostOne() throws Exception {
    long quota = 10_000;
    long perRequest = 300; // 33.3 requests fit: 34 may start, never 35
    TenantLimits limits = new TenantLimits(10, 5, 2, 3, 2, quota);
    ActorRef<TenantLimitsEntity.Command> ledger = testKit.spawn(TenantLimitsEntity.create("acme", Optional.empty(),
        LimitsTestSupport.settings(limits), LimitsAuditor.NONE, Clock.systemUTC()));

    int requests = 200;
    ExecutorService pool = Executors.newFixedThreadPool(32);
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<TenantLimitsEntity.Reservation>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < requests; i++) {
        String id = "r" + i;
        answers.add(CompletableFuture.supplyAsync(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return AskPattern.<TenantLimitsEntity.Command, StatusReply<TenantLimitsEntity.Reservation>>ask(ledger,
                  r -> new TenantLimitsEntity.Reserve(id, perRequest, r), Duration.ofSeconds(10),
                  testKit.scheduler())
              .toCompletableFuture().join().getValue();
        }, pool));
      }
      go.countDown();
      CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }

    long granted = answers.stream().filter(a -> a.join().granted()).count();
    long reservedTokens = granted * perRequest;
    assertTrue(reservedTokens >= quota, "the quota must be usable in full, granted " + granted);
    assertTrue(reservedTokens - quota < perRequest, "overshoot of more than one request: granted " + granted);
    assertEquals(34, granted);

    // Settle each granted call with less than it reserved: the freed tokens admit more, still bounded.
    for (var answer : answers) {
      if (!answer.join().granted()) continue;
      String id = answer.join().reservationId();
      AskPattern.<TenantLimitsEntity.Command, StatusReply<org.apache.pekko.Done>>ask(ledger,
          r -> new TenantLimitsEntity.Settle(id, 250, r), Duration.ofSeconds(5), testKit.scheduler())
          .toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    TenantLimitsEntity.Usage usage = AskPattern.<TenantLimitsEntity.Command, StatusReply<TenantLimitsEntity.Usage>>ask(
        ledger, TenantLimitsEntity.GetUsage::new, Duration.ofSeconds(5), testKit.scheduler())
        .toCompletableFuture().get(5, TimeUnit.SECONDS).getValue();
    assertEquals(34 * 250, usage.used());
    assertEquals(0, usage.reserved());
  }
}
