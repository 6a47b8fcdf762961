package io.voicehelper.entities.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Three cluster nodes in one JVM, each with the limits entities and an edge-side {@link LimitsClient}: the limits hold
 * for the cluster as a whole, not per node, and a dead node's stream slots come back within the lease TTL.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(90)
class ClusterLimitsIT {

  private static final double RATE = 100; // requests per second, for the tenant
  private static final int BURST = 10;
  private static final Duration LEASE_TTL = Duration.ofSeconds(3);
  private static final LimitSettings SETTINGS = LimitsTestSupport.settings(
      new TenantLimits(RATE, BURST, 10_000, 10_000, 2, -1)).withStreamLeaseTtl(LEASE_TTL);

  private static final List<ActorTestKit> nodes = new ArrayList<>();
  private static final List<LimitsClient> clients = new ArrayList<>();

  @BeforeAll
  static void formCluster() {
    Config config = ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = "127.0.0.1"
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.loglevel = INFO
            pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
            pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
            """)
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load())
        .resolve();
    for (int i = 0; i < 3; i++) nodes.add(ActorTestKit.create("ClusterLimitsIT", config));
    var seed = Cluster.get(nodes.get(0).system()).selfMember().address();
    for (ActorTestKit node : nodes) Cluster.get(node.system()).manager().tell(Join.create(seed));
    for (ActorTestKit node : nodes) {
      node.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
        var members = new ArrayList<org.apache.pekko.cluster.Member>();
        Cluster.get(node.system()).state().getMembers().forEach(members::add);
        assertEquals(3, members.stream().filter(m -> m.status() == MemberStatus.up()).count());
        return null;
      });
    }
    for (ActorTestKit node : nodes) {
      TenantLimitsEntity.init(node.system(), SETTINGS, LimitsAuditor.NONE);
      TenantLimiterEntity.init(node.system(), SETTINGS);
      clients.add(new LimitsClient(node.system(), SETTINGS, Duration.ofSeconds(3)));
    }
  }

  @AfterAll
  static void stop() {
    for (ActorTestKit node : nodes) node.shutdownTestKit();
  }

  @Test
  @Order(1)
  void requestsAllowedAcrossThreeNodesStayWithinFivePercentOfTheRate() throws Exception {
    String tenant = "flood";
    // Start the tenant's limiter first, so that shard allocation is not part of the measured window.
    assertTrue(clients.get(0).checkRequest(tenant, "warm-up").toCompletableFuture().get(10, TimeUnit.SECONDS)
        .allowed());

    Duration window = Duration.ofSeconds(5);
    AtomicLong firstSent = new AtomicLong(Long.MAX_VALUE);
    AtomicLong lastAnswered = new AtomicLong(Long.MIN_VALUE);
    List<CompletableFuture<long[]>> perNode = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      LimitsClient client = clients.get(n);
      ActorTestKit node = nodes.get(n);
      int nodeIndex = n;
      // Each node offers the full rate on its own: three times what the tenant may do in total.
      CompletionStage<long[]> counts = Source.range(0, Integer.MAX_VALUE)
          .throttle((int) RATE, Duration.ofSeconds(1))
          .takeWithin(window)
          .mapAsyncUnordered(32, i -> {
            firstSent.accumulateAndGet(System.nanoTime(), Math::min);
            return client.checkRequest(tenant, "user-" + nodeIndex + "-" + (i % 20)).thenApply(decision -> {
              lastAnswered.accumulateAndGet(System.nanoTime(), Math::max);
              return decision.allowed();
            });
          })
          .runWith(Sink.fold(new long[2], (acc, allowed) -> {
            acc[allowed ? 0 : 1]++;
            return acc;
          }), node.system());
      perNode.add(counts.toCompletableFuture());
    }
    long allowed = 0;
    long refused = 0;
    for (CompletableFuture<long[]> counts : perNode) {
      long[] c = counts.get(30, TimeUnit.SECONDS);
      allowed += c[0];
      refused += c[1];
    }
    double seconds = (lastAnswered.get() - firstSent.get()) / 1e9;
    // The bucket may start the window full: its burst is allowed on top of the rate.
    double achievedRate = (allowed - BURST) / seconds;
    String report = String.format("allowed %d, refused %d in %.2f s: %.1f/s for a rate of %.0f/s", allowed, refused,
        seconds, achievedRate, RATE);
    System.out.println("ClusterLimitsIT: " + report);
    assertTrue(refused > allowed, "the offered load did not exceed the limit: " + report);
    assertTrue(Math.abs(achievedRate - RATE) <= 0.05 * RATE, report);
  }

  @Test
  @Order(2)
  void aDeadNodesStreamSlotsAreReclaimedWithinTheLeaseTtl() throws Exception {
    String tenant = "streams";
    LimitsClient.StreamAdmission first = clients.get(0).acquireStream(tenant).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertTrue(first.decision().granted());
    first.slot().release();
    // The slots are held by a node other than the one running the tenant's limiter, and not the seed node.
    int limiterNode = nodeHosting(tenant);
    int holder = limiterNode == 2 ? 1 : 2;
    int observer = 0;

    for (int i = 0; i < 2; i++) {
      var admission = clients.get(holder).acquireStream(tenant).toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertTrue(admission.decision().granted(), "slot " + i);
    }
    var refused = clients.get(observer).acquireStream(tenant).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertFalse(refused.decision().granted());
    assertEquals(2, refused.decision().active());

    // Renewals keep the slots past their TTL while the holder lives.
    TestProbe<Object> probe = nodes.get(observer).createTestProbe();
    probe.expectNoMessage(LEASE_TTL.plusMillis(500));
    assertEquals(2, activeStreams(observer, tenant));

    // The holder dies without releasing: its slots come back within one TTL, and not at once.
    long died = System.nanoTime();
    nodes.get(holder).shutdownTestKit();
    assertEquals(2, activeStreams(observer, tenant));
    probe.awaitAssert(LEASE_TTL.plusSeconds(2), Duration.ofMillis(100), () -> {
      assertEquals(0, activeStreams(observer, tenant));
      return null;
    });
    Duration reclaimedAfter = Duration.ofNanos(System.nanoTime() - died);
    System.out.println("ClusterLimitsIT: slots of the dead node reclaimed after " + reclaimedAfter.toMillis() + " ms");
    assertTrue(reclaimedAfter.compareTo(LEASE_TTL.plusMillis(500)) <= 0, "reclaimed after " + reclaimedAfter);
    assertTrue(clients.get(observer).acquireStream(tenant).toCompletableFuture().get(5, TimeUnit.SECONDS)
        .decision().granted());
  }

  private static int activeStreams(int node, String tenant) throws Exception {
    return clients.get(node).limiterStatus(tenant).toCompletableFuture().get(5, TimeUnit.SECONDS).activeStreams();
  }

  /** The index of the node whose shard region runs the tenant's limiter. */
  private static int nodeHosting(String tenant) {
    for (int n = 0; n < nodes.size(); n++) {
      TestProbe<ShardRegion.CurrentShardRegionState> probe = nodes.get(n).createTestProbe();
      ClusterSharding.get(nodes.get(n).system()).shardState()
          .tell(new GetShardRegionState(TenantLimiterEntity.ENTITY_KEY, probe.getRef()));
      for (ShardRegion.ShardState shard : probe.receiveMessage().getShards()) {
        if (shard.getEntityIds().contains(tenant)) return n;
      }
    }
    throw new AssertionError("no node runs the limiter of " + tenant);
  }
}
