package io.voicehelper.cluster;

import static io.voicehelper.cluster.NodeTestSupport.get;
import static io.voicehelper.cluster.NodeTestSupport.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The journal on a real PostgreSQL server: a conversation survives a full restart of the node.
 *
 * <p>Uses {@code VOICEHELPER_TEST_PG_URL} (default {@code jdbc:postgresql://127.0.0.1:5432/postgres}) with
 * {@code VOICEHELPER_TEST_PG_USER}/{@code _PASSWORD} (default postgres/postgres), in a fresh schema per run. Skipped
 * when no server answers, unless {@code VOICEHELPER_REQUIRE_POSTGRES=true} (set by .ci/run), then it fails.
 */
class PostgresRestartIT {

  private static final String URL = env("VOICEHELPER_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/postgres");
  private static final String USER = env("VOICEHELPER_TEST_PG_USER", "postgres");
  private static final String PASSWORD = env("VOICEHELPER_TEST_PG_PASSWORD", "postgres");
  private static String schemaUrl;

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  @BeforeAll
  static void freshSchema() throws Exception {
    String schema = "vh_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection connection = DriverManager.getConnection(URL, USER, PASSWORD);
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE SCHEMA " + schema);
    } catch (java.sql.SQLException unreachable) {
      boolean required = "true".equalsIgnoreCase(System.getenv("VOICEHELPER_REQUIRE_POSTGRES"));
      if (required) throw new AssertionError("PostgreSQL is required but not reachable at " + URL, unreachable);
      assumeTrue(false, "skipped: no PostgreSQL at " + URL + " (" + unreachable.getMessage() + ")");
    }
    schemaUrl = URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  private static ActorSystem<Void> startNode(int httpPort) {
    return Node.start(Node.loadConfig(NodeTestSupport.singleNode(httpPort, schemaUrl,
        "voicehelper.db.user = \"" + USER + "\"",
        "voicehelper.db.password = \"" + PASSWORD + "\"")));
  }

  private static void stop(ActorSystem<Void> node) throws Exception {
    node.terminate();
    node.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void conversationSurvivesAFullRestartOfTheNode() throws Exception {
    int port = NodeTestSupport.freePort();
    String api = "http://127.0.0.1:" + port + "/api/v1";
    ActorSystem<Void> node = startNode(port);
    String id;
    List<String> contents = new ArrayList<>();
    try {
      // Every API call needs a credential; the token stays valid across the restart (the signing key is in the DB).
      Eventually.ok(() -> NodeTestSupport.signUp(api));
      NodeTestSupport.Response created = Eventually.ok(() -> post(api + "/conversations", "{\"title\":\"PG\"}"));
      id = created.body().get("id").asText();
      for (String question : List.of("first question", "second question")) {
        NodeTestSupport.Response sent =
            post(api + "/conversations/" + id + "/messages", "{\"content\":\"" + question + "\"}");
        assertEquals(200, sent.status(), () -> sent.raw().body());
        contents.add(question);
        contents.add(sent.body().get("content").asText());
      }
    } finally {
      stop(node);
    }

    ActorSystem<Void> restarted = startNode(port);
    try {
      JsonNode conversation = Eventually.ok(() -> get(api + "/conversations/" + id)).body();
      List<String> stored = new ArrayList<>();
      conversation.get("messages").forEach(m -> stored.add(m.get("content").asText()));
      assertEquals(contents, stored);

      NodeTestSupport.Response next = post(api + "/conversations/" + id + "/messages", "{\"content\":\"third\"}");
      assertEquals(200, next.status(), () -> next.raw().body());
      assertEquals("completed", next.body().get("status").asText());
    } finally {
      stop(restarted);
    }
  }
}
