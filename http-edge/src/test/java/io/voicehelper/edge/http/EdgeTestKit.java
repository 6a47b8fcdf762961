package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.conversation.ConversationEntity;
import io.voicehelper.entities.conversation.ConversationSettings;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.TokenEstimator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/**
 * A one-node cluster with in-memory persistence, the conversation entity on a scripted generator, and the edge bound
 * to a free port on the loopback interface, exactly as {@code cluster/} assembles it.
 */
final class EdgeTestKit implements AutoCloseable {

  static final String BASE_CONFIG = """
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = "127.0.0.1"
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      pekko.loglevel = INFO
      pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
      pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
      voicehelper.http.host = "127.0.0.1"
      voicehelper.http.port = 0
      voicehelper.conversation.abandoned-reply-grace = 1500ms
      voicehelper.conversation.poll-timeout = 2s
      """;

  final ActorTestKit testKit;
  final EdgeSettings settings;
  final InMemoryConversationDirectory directory = new InMemoryConversationDirectory();
  final ServerBinding binding;
  final String baseUrl;
  final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private EdgeTestKit(String name, String extraConfig, ReplyGenerator generator) throws Exception {
    Config config = ConfigFactory.parseString(extraConfig)
        .withFallback(ConfigFactory.parseString(BASE_CONFIG))
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load())
        .resolve();
    testKit = ActorTestKit.create(name, config);
    ActorSystem<Void> system = testKit.system();
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    ConversationEntity.init(system,
        ConversationSettings.fromConfig(system.settings().config().getConfig("voicehelper.conversation")),
        generator,
        (previous, turns) -> CompletableFuture.completedFuture(previous),
        TokenEstimator.HEURISTIC);
    settings = EdgeSettings.fromConfig(system.settings().config().getConfig("voicehelper.http"));
    ConversationRoutes routes = new ConversationRoutes(system, ClusterSharding.get(system), directory, settings);
    binding = HttpServer.start(system, EdgeRoutes.seal(routes.route(), new ChatPageRoutes().route()), settings)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    baseUrl = "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  static EdgeTestKit start(String name, String extraConfig, ReplyGenerator generator) throws Exception {
    return new EdgeTestKit(name, extraConfig, generator);
  }

  int port() {
    return binding.localAddress().getPort();
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(20));
  }

  HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws Exception {
    return send(request(path).GET().build());
  }

  HttpResponse<String> postJson(String path, String json) throws Exception {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /** Creates a conversation and returns its id. */
  String createConversation(String title) throws Exception {
    HttpResponse<String> created = postJson("/api/v1/conversations", "{\"title\":\"" + title + "\"}");
    assertEquals(201, created.statusCode(), created.body());
    return TestJson.read(created.body()).get("id").asText();
  }

  @Override
  public void close() {
    binding.unbind();
    testKit.shutdownTestKit();
  }
}
