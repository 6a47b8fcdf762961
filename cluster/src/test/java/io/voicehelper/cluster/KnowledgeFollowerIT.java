package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.voicehelper.cluster.NodeTestSupport.Response;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.streams.knowledge.lucene.internal.ChunkFields;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.FSDirectory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes in one JVM with their embedded defaults (one H2 journal and chunk table, a Lucene index each): a document
 * uploaded through node 1's API is in both nodes' indexes, whichever node ran its saga; a newer version replaces it
 * in both, and a delete removes it from both. The indexes are read on disk, as committed, next to the running nodes.
 */
class KnowledgeFollowerIT {

  private static final Duration CONVERGED = Duration.ofSeconds(30);
  private static final List<ActorSystem<Void>> nodes = new ArrayList<>();
  private static ActorTestKit probes;
  private static String api;
  private static final List<String> apis = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    List<Integer> httpPorts = new ArrayList<>();
    // Originals must be readable by whichever node runs a document's saga: one object store for the cluster (S3 in
    // production, here a shared directory), while each node keeps its own index.
    Path objects = java.nio.file.Files.createTempDirectory("voicehelper-objects-");
    nodes.addAll(NodeTestSupport.startCluster(2, "jdbc:h2:mem:follower-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
        httpPorts, "jdbc-read-journal.refresh-interval = 200ms",
        "voicehelper.knowledge.object-store.filesystem.root = \"" + objects.toString().replace("\\", "/") + "\""));
    api = "http://127.0.0.1:" + httpPorts.get(0) + "/api/v1";
    for (int port : httpPorts) apis.add("http://127.0.0.1:" + port + "/api/v1");
    probes = ActorTestKit.create("follower-probes");
    NodeTestSupport.awaitAllUp(probes, nodes, Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    NodeTestSupport.stopAll(probes, nodes);
  }

  /** The versions of the document that node {@code i}'s index holds, as last committed. */
  private static Set<Integer> versionsIn(int i, DocumentRef document) throws Exception {
    Path dir = Path.of(nodes.get(i).settings().config().getString("voicehelper.knowledge.index-dir"));
    try (FSDirectory directory = FSDirectory.open(dir); DirectoryReader reader = DirectoryReader.open(directory)) {
      IndexSearcher searcher = new IndexSearcher(reader);
      BooleanQuery query = new BooleanQuery.Builder()
          .add(new TermQuery(new Term(ChunkFields.TENANT, document.tenantId())), Occur.FILTER)
          .add(new TermQuery(new Term(ChunkFields.DOCUMENT, document.documentId())), Occur.FILTER)
          .build();
      Set<Integer> versions = new TreeSet<>();
      for (ScoreDoc hit : searcher.search(query, 1000).scoreDocs) {
        Document stored = searcher.storedFields().document(hit.doc);
        versions.add(stored.getField(ChunkFields.VERSION).numericValue().intValue());
      }
      return versions;
    }
  }

  private static void awaitEveryIndexHolds(DocumentRef document, Set<Integer> versions) {
    probes.createTestProbe().awaitAssert(CONVERGED, Duration.ofMillis(250), () -> {
      for (int i = 0; i < nodes.size(); i++) assertEquals(versions, versionsIn(i, document), "node " + (i + 1));
      return null;
    });
  }

  /**
   * The versions a search through each node's API returns, asked twice so that the second answer may come from that
   * node's retrieval cache: a cached answer must not outlive the version it came from.
   */
  private static void everyNodeFinds(String token, int version) throws Exception {
    for (String node : apis) {
      for (int attempt = 0; attempt < 2; attempt++) {
        Response found = NodeTestSupport.send("POST", node + "/retrieval/search",
            "{\"query\":\"How many days do I have to return an item?\"}", token, "application/json");
        assertEquals(200, found.status(), found.raw().body());
        Set<Integer> versions = new TreeSet<>();
        found.body().get("results").forEach(r -> versions.add(r.get("version").asInt()));
        assertEquals(version == 0 ? Set.of() : Set.of(version), versions, node + ": " + found.raw().body());
      }
    }
  }

  @Test
  void aDocumentUploadedThroughOneNodeIsInEveryNodesIndex() throws Exception {
    Response signedUp = Eventually.ok(() -> NodeTestSupport.send("POST", api + "/auth/register",
        "{\"tenantName\":\"Follow " + UUID.randomUUID() + "\",\"email\":\"" + UUID.randomUUID()
            + "@example.com\",\"password\":\"correct horse battery staple\"}", null, "application/json"));
    String token = signedUp.body().get("accessToken").asText();
    String tenant = signedUp.body().get("tenant").get("id").asText();
    String collectionId = Eventually.ok(() -> NodeTestSupport.send("POST", api + "/collections",
        "{\"name\":\"FAQ\"}", token, "application/json")).body().get("id").asText();
    String documents = api + "/collections/" + collectionId + "/documents";

    Response v1 = NodeTestSupport.upload(documents, token, "returns.md",
        "# Returns\n\nReturns are accepted within 30 days of delivery.\n".getBytes(StandardCharsets.UTF_8), false);
    assertEquals(202, v1.status(), v1.raw().body());
    DocumentRef document = new DocumentRef(tenant, collectionId, v1.body().get("id").asText());
    awaitEveryIndexHolds(document, Set.of(1));
    everyNodeFinds(token, 1);

    Response v2 = NodeTestSupport.upload(documents, token, "returns.md",
        "# Returns\n\nReturns are accepted within 45 days of delivery.\n".getBytes(StandardCharsets.UTF_8), false);
    assertEquals(202, v2.status(), v2.raw().body());
    awaitEveryIndexHolds(document, Set.of(2));
    everyNodeFinds(token, 2);

    assertEquals(204, NodeTestSupport.send("DELETE", documents + "/" + document.documentId(), null, token,
        "application/json").status());
    awaitEveryIndexHolds(document, Set.of());
    everyNodeFinds(token, 0);
  }
}
