package io.voicehelper.cluster;

import static io.voicehelper.cluster.NodeTestSupport.get;
import static io.voicehelper.cluster.NodeTestSupport.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.cluster.NodeTestSupport.SseEvent;
import io.voicehelper.cluster.NodeTestSupport.SseStream;
import io.voicehelper.entities.conversation.ConversationEntity;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three nodes in one JVM form a cluster by themselves (Cluster Bootstrap, config discovery) and share one journal.
 * A conversation is used through every node; the node hosting it is stopped abruptly (no leaving, no handoff) and
 * the conversation carries on, complete, on a survivor.
 */
class ClusterFailoverIT {

  private static final Duration FORMATION = Duration.ofSeconds(60);
  private static final Duration EVENT_WAIT = Duration.ofSeconds(20);

  private static final List<ActorSystem<Void>> nodes = new ArrayList<>();
  private static final List<Integer> httpPorts = new ArrayList<>();
  private static ActorTestKit probes;

  @BeforeAll
  static void startCluster() {
    String db = "jdbc:h2:mem:failover-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    nodes.addAll(NodeTestSupport.startCluster(3, db, httpPorts,
        // A template reply of ~60 tokens takes ~3 s: long enough to stop a node in the middle of one.
        "voicehelper.llm.template.tokens-per-second = 20",
        "voicehelper.conversation.checkpoint-interval = 200ms",
        // The test JVM hosts all three nodes: stopping one must not leave gracefully.
        "pekko.coordinated-shutdown.run-by-actor-system-terminate = off"));
    probes = ActorTestKit.create("probes");
    NodeTestSupport.awaitAllUp(probes, nodes, FORMATION);
    // Every API call needs a credential: sign up once; the token is accepted by every node.
    Eventually.ok(() -> NodeTestSupport.signUp(api(0)));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    NodeTestSupport.stopAll(probes, nodes);
  }

  private static String api(int node) {
    return "http://127.0.0.1:" + httpPorts.get(node) + "/api/v1";
  }

  private static int hostOf(String conversationId, Set<Integer> candidates) {
    String entityId = ConversationEntity.entityId(NodeTestSupport.tenant(), conversationId);
    for (int i : candidates) {
      TestProbe<ShardRegion.CurrentShardRegionState> probe = ActorTestKit.create(nodes.get(i)).createTestProbe();
      org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(nodes.get(i)).shardState()
          .tell(new GetShardRegionState(ConversationEntity.ENTITY_KEY, probe.getRef()));
      ShardRegion.CurrentShardRegionState state = probe.receiveMessage(Duration.ofSeconds(10));
      for (ShardRegion.ShardState shard : state.getShards()) {
        if (shard.getEntityIds().contains(entityId)) return i;
      }
    }
    throw new AssertionError("no node hosts " + entityId);
  }

  private static JsonNode conversation(int node, String id) throws Exception {
    NodeTestSupport.Response response = get(api(node) + "/conversations/" + id);
    assertEquals(200, response.status(), () -> "GET conversation: " + response.raw().body());
    return response.body();
  }

  private static List<JsonNode> messages(JsonNode conversation) {
    List<JsonNode> all = new ArrayList<>();
    conversation.get("messages").forEach(all::add);
    return all;
  }

  @Test
  void conversationSurvivesTheLossOfTheNodeHostingIt() throws Exception {
    // Created through node 1, used through nodes 2 and 3: every acknowledged message is answered.
    NodeTestSupport.Response created = post(api(0) + "/conversations", "{\"title\":\"Failover\"}");
    assertEquals(201, created.status(), () -> created.raw().body());
    String id = created.body().get("id").asText();
    List<String> acknowledged = new ArrayList<>();
    for (int node = 0; node < 3; node++) {
      NodeTestSupport.Response sent = post(api(node) + "/conversations/" + id + "/messages",
          "{\"content\":\"question through node " + (node + 1) + "\"}");
      assertEquals(200, sent.status(), () -> sent.raw().body());
      assertEquals("completed", sent.body().get("status").asText());
      assertFalse(sent.body().get("content").asText().isBlank());
      acknowledged.add(sent.body().get("messageId").asText());
    }

    int host = hostOf(id, Set.of(0, 1, 2));
    int remote = (host + 1) % 3;
    int other = (host + 2) % 3;

    // A reply streamed through a node that does not host the entity arrives complete, in order.
    String replyId;
    try (SseStream stream = SseStream.post(api(remote) + "/conversations/" + id + "/messages",
        "{\"content\":\"stream me through another node\"}")) {
      assertEquals(200, stream.response.statusCode());
      List<SseEvent> events = stream.rest(EVENT_WAIT);
      assertEquals("accepted", events.get(0).event());
      acknowledged.add(events.get(0).data().get("messageId").asText());
      replyId = events.get(0).data().get("replyId").asText();
      StringBuilder text = new StringBuilder();
      long expectedSeq = 1;
      for (SseEvent event : events.subList(1, events.size() - 1)) {
        assertEquals("delta", event.event());
        assertEquals(String.valueOf(expectedSeq), event.id());
        expectedSeq++;
        text.append(event.data().get("text").asText());
      }
      SseEvent done = events.get(events.size() - 1);
      assertEquals("done", done.event());
      assertEquals("completed", done.data().get("status").asText());
      assertEquals(expectedSeq - 1, done.data().get("lastSeq").asLong());
      String stored = messages(conversation(other, id)).stream()
          .filter(m -> m.get("id").asText().equals(replyId)).findFirst().orElseThrow().get("content").asText();
      assertEquals(stored, text.toString());
    }

    // A reply is in flight, streamed through another node, when the host dies abruptly.
    SseStream inFlight = SseStream.post(api(remote) + "/conversations/" + id + "/messages",
        "{\"content\":\"a long answer, please\"}");
    SseEvent accepted = inFlight.next(EVENT_WAIT);
    assertEquals("accepted", accepted.event());
    acknowledged.add(accepted.data().get("messageId").asText());
    String inFlightReply = accepted.data().get("replyId").asText();
    long lastSeen = 0;
    for (int i = 0; i < 3; i++) {
      SseEvent delta = inFlight.next(EVENT_WAIT);
      assertEquals("delta", delta.event());
      lastSeen = Long.parseLong(delta.id());
    }
    nodes.get(host).terminate();
    nodes.get(host).getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);

    // The stream through the survivor ends (its source lived on the dead node); the client saw no duplicate.
    for (SseEvent event : inFlight.rest(EVENT_WAIT)) {
      if (event.event().equals("delta")) {
        long seq = Long.parseLong(event.id());
        assertEquals(lastSeen + 1, seq, "no gap, no duplicate");
        lastSeen = seq;
      }
    }
    inFlight.close();

    // Within seconds of failover the conversation is back on a survivor, with every acknowledged message, and the
    // reply that was in flight is closed rather than left generating.
    TestProbe<Object> wait = probes.createTestProbe();
    JsonNode recovered = wait.awaitAssert(Duration.ofSeconds(45), Duration.ofMillis(500), () -> {
      JsonNode c = conversation(other, id);
      JsonNode reply = messages(c).stream().filter(m -> m.get("id").asText().equals(inFlightReply))
          .findFirst().orElseThrow();
      assertTrue(Set.of("completed", "interrupted").contains(reply.get("status").asText()),
          "reply status " + reply.get("status"));
      return c;
    });
    List<String> userMessages = messages(recovered).stream().filter(m -> m.get("role").asText().equals("user"))
        .map(m -> m.get("id").asText()).toList();
    assertEquals(acknowledged, userMessages, "every acknowledged message, once, in order");

    // Resuming the interrupted reply through the other survivor gives the rest (if any) and its end, no duplicate.
    try (SseStream resumed = SseStream.open(HttpRequest.newBuilder(URI.create(
            api(other) + "/conversations/" + id + "/replies/" + inFlightReply + "/stream"))
        .header("Last-Event-ID", String.valueOf(lastSeen)).GET())) {
      List<SseEvent> events = resumed.rest(EVENT_WAIT);
      SseEvent done = events.get(events.size() - 1);
      assertEquals("done", done.event());
      for (SseEvent event : events.subList(0, events.size() - 1)) {
        assertTrue(Long.parseLong(event.id()) > lastSeen, "resumed after " + lastSeen + " but got " + event.id());
      }
    }

    // The conversation continues on a survivor, with its full history.
    NodeTestSupport.Response next = post(api(remote) + "/conversations/" + id + "/messages",
        "{\"content\":\"still there?\"}");
    assertEquals(200, next.status(), () -> next.raw().body());
    assertEquals("completed", next.body().get("status").asText());
    List<JsonNode> finalMessages = messages(conversation(other, id));
    assertEquals(12, finalMessages.size(), "6 questions and 6 replies");
    assertNotNull(finalMessages.get(11).get("model"));
  }
}
