package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * One whole node in this JVM with its embedded defaults and an in-memory H2 database, started once it is Up and its
 * HTTP edge answers, and a probe kit for awaiting what it does.
 */
final class SingleNode implements AutoCloseable {

  final ActorSystem<Void> system;
  final ActorTestKit probes;
  /** {@code http://127.0.0.1:port/api/v1} */
  final String api;

  private SingleNode(ActorSystem<Void> system, ActorTestKit probes, String api) {
    this.system = system;
    this.probes = probes;
    this.api = api;
  }

  /** Starts a node named {@code name} (its database and probes are named after it) with {@code more} config lines. */
  static SingleNode start(String name, String... more) {
    int http = NodeTestSupport.freePort();
    String api = "http://127.0.0.1:" + http + "/api/v1";
    ActorSystem<Void> system = Node.start(Node.loadConfig(NodeTestSupport.singleNode(http,
        "jdbc:h2:mem:" + name + "-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", more)));
    ActorTestKit probes = ActorTestKit.create(name + "-probes");
    probes.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      assertEquals(MemberStatus.up(), Cluster.get(system).selfMember().status());
      // The HTTP edge binds moments after the node is Up: the first request must not race it.
      assertEquals(401, NodeTestSupport.send("GET", api + "/collections", null, null, "application/json").status());
      return null;
    });
    return new SingleNode(system, probes, api);
  }

  /** A collection and the document uploaded to it. */
  record Uploaded(String collectionId, String documentId) {}

  /**
   * Signs up (the shared test user), creates a collection named {@code collectionName}, uploads {@code text} as
   * {@code fileName} and waits until the document list shows it READY (document names come from that read model).
   */
  Uploaded signUpAndUpload(String collectionName, String fileName, String text) throws Exception {
    Eventually.ok(() -> NodeTestSupport.signUp(api));
    String collection = Eventually.ok(() -> NodeTestSupport.post(api + "/collections",
        NodeTestSupport.JSON.writeValueAsString(java.util.Map.of("name", collectionName)))).body().get("id").asText();
    NodeTestSupport.Response uploaded = NodeTestSupport.upload(api + "/collections/" + collection + "/documents",
        null, fileName, text.getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
    assertEquals(202, uploaded.status(), uploaded.raw().body());
    probes.createTestProbe().awaitAssert(Duration.ofSeconds(90), Duration.ofMillis(250), () -> {
      NodeTestSupport.Response list = NodeTestSupport.get(api + "/collections/" + collection + "/documents");
      assertEquals("READY", list.body().get("documents").get(0).get("state").asText(), list.raw().body());
      return null;
    });
    return new Uploaded(collection, uploaded.body().get("id").asText());
  }

  @Override
  public void close() throws Exception {
    probes.shutdownTestKit();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
