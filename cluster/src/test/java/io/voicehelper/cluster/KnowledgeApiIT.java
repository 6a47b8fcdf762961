package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.cluster.NodeTestSupport.Response;
import io.voicehelper.entities.knowledge.DocumentRef;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The knowledge API on a whole node with its embedded defaults (H2, the file-system object store, Tika, the
 * in-process embedding model, Lucene): collections, a Markdown upload indexed to READY, a second version that
 * supersedes the first, the original downloaded byte for byte, the document list, the size limit, bad requests, and
 * another tenant seeing none of it.
 */
class KnowledgeApiIT {

  private static final long MAX_UPLOAD = 256 * 1024;
  private static SingleNode node;
  private static ActorTestKit probes;
  private static String api;

  @BeforeAll
  static void startNode() {
    // The validation cases go back to back: limits that high are not what this test is about (TenantLimitsIT).
    node = SingleNode.start("knowledge", "voicehelper.http.knowledge.max-upload-size = " + MAX_UPLOAD,
        "voicehelper.limits.requests.per-second = 10000", "voicehelper.limits.requests.burst = 10000",
        "voicehelper.limits.requests.per-user-per-second = 10000", "voicehelper.limits.requests.per-user-burst = 10000");
    probes = node.probes;
    api = node.api;
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) node.close();
  }

  private static String signUp() throws Exception {
    Response r = NodeTestSupport.send("POST", api + "/auth/register", "{\"tenantName\":\"Acme " + UUID.randomUUID()
        + "\",\"email\":\"" + UUID.randomUUID() + "@example.com\",\"password\":\"correct horse battery staple\"}",
        null, "application/json");
    assertEquals(201, r.status(), r.raw().body());
    return r.body().get("accessToken").asText();
  }

  private static Response upload(String url, String token, String fileName, byte[] content) throws Exception {
    return NodeTestSupport.upload(url, token, fileName, content, false);
  }

  private static Response upload(String url, String token, String fileName, byte[] content, boolean chunked)
      throws Exception {
    return NodeTestSupport.upload(url, token, fileName, content, chunked);
  }

  private static JsonNode awaitDocument(String url, String token, String state, int publishedVersion) {
    return probes.createTestProbe().awaitAssert(Duration.ofSeconds(90), Duration.ofMillis(250), () -> {
      Response r = NodeTestSupport.send("GET", url, null, token, "application/json");
      assertEquals(200, r.status(), r.raw().body());
      assertEquals(state, r.body().get("state").asText(), r.raw().body());
      assertEquals(publishedVersion, r.body().get("publishedVersion").asInt(), r.raw().body());
      return r.body();
    });
  }

  @Test
  void aDocumentIsUploadedIndexedVersionedAndDownloaded() throws Exception {
    String token = signUp();
    Response created = Eventually.ok(() -> NodeTestSupport.send("POST", api + "/collections",
        "{\"name\":\"客服 FAQ\"}", token, "application/json"));
    assertEquals(201, created.status());
    String collection = api + "/collections/" + created.body().get("id").asText();
    assertEquals(409, NodeTestSupport.send("POST", api + "/collections", "{\"name\":\"客服 faq\"}", token,
        "application/json").status());

    byte[] v1 = ("# 退货政策\n\n## 退货期限\n\n自签收之日起 30 天内可以申请退货。已拆封的摄像头为 15 天。\n\n"
        + "## Refunds\n\nRefunds reach the original payment method within 7 working days.\n")
        .getBytes(StandardCharsets.UTF_8);
    Response accepted = upload(collection + "/documents", token, "returns.md", v1);
    assertEquals(202, accepted.status(), accepted.raw().body());
    assertEquals(1, accepted.body().get("version").asInt());
    String document = collection + "/documents/" + accepted.body().get("id").asText();
    assertEquals(document.substring(document.indexOf("/api/v1")),
        accepted.raw().headers().firstValue("Location").orElseThrow());

    JsonNode ready = awaitDocument(document, token, "READY", 1);
    JsonNode version1 = ready.get("versions").get(0);
    assertEquals("READY", version1.get("state").asText());
    assertEquals("text/markdown", version1.get("contentType").asText().split(";")[0]);
    assertTrue(version1.get("chunks").asInt() >= 1, ready.toString());
    assertEquals(v1.length, version1.get("sizeBytes").asLong());

    // The same file name is the same document: a second version supersedes the first.
    byte[] v2 = "# 退货政策\n\n## 退货期限\n\n自签收之日起 45 天内可以申请退货。\n".getBytes(StandardCharsets.UTF_8);
    Response second = upload(collection + "/documents", token, "RETURNS.md", v2);
    assertEquals(202, second.status(), second.raw().body());
    assertEquals(accepted.body().get("id").asText(), second.body().get("id").asText());
    assertEquals(2, second.body().get("version").asInt());
    JsonNode switched = awaitDocument(document, token, "READY", 2);
    assertEquals("SUPERSEDED", switched.get("versions").get(0).get("state").asText());
    assertEquals("READY", switched.get("versions").get(1).get("state").asText());

    HttpResponse<byte[]> original = NodeTestSupport.HTTP.send(HttpRequest.newBuilder(
            URI.create(document + "/versions/1/content")).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, original.statusCode());
    assertArrayEquals(v1, original.body());
    assertTrue(original.headers().firstValue("Content-Disposition").orElseThrow().contains("returns.md"));

    // The list is a read model: it follows within moments.
    probes.createTestProbe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(250), () -> {
      Response list = NodeTestSupport.send("GET", collection + "/documents", null, token, "application/json");
      assertEquals(200, list.status());
      JsonNode item = list.body().get("documents").get(0);
      assertEquals("READY", item.get("state").asText(), list.raw().body());
      assertEquals(2, item.get("latestVersion").asInt());
      assertEquals(2, item.get("publishedVersion").asInt());
      return null;
    });

    // Restore the first version: it is published again, the second superseded.
    Response restore = NodeTestSupport.send("POST", document + "/versions/1/restore", null, token,
        "application/json");
    assertEquals(202, restore.status(), restore.raw().body());
    awaitDocument(document, token, "READY", 1);

    assertEquals(204, NodeTestSupport.send("DELETE", document, null, token, "application/json").status());
    assertEquals(404, NodeTestSupport.send("GET", document, null, token, "application/json").status());
  }

  @Test
  void anUnsupportedFileEndsFailedWithItsReason() throws Exception {
    String token = signUp();
    String collection = api + "/collections/" + Eventually.ok(() -> NodeTestSupport.send("POST",
        api + "/collections", "{\"name\":\"Binaries\"}", token, "application/json")).body().get("id").asText();
    byte[] zip = {0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 0x08, 0, 0x21, 0x43, 0x65, 0x20, 0x11, 0x22, 0x33, 0x44};
    Response accepted = upload(collection + "/documents", token, "archive.pdf", zip);
    assertEquals(202, accepted.status(), accepted.raw().body());
    JsonNode failed = awaitDocument(collection + "/documents/" + accepted.body().get("id").asText(), token,
        "FAILED", 0);
    String reason = failed.get("versions").get(0).get("failureReason").asText();
    assertTrue(!reason.isBlank() && !reason.contains("Exception"), reason);
  }

  @Test
  void badUploadsAreRefusedClearly() throws Exception {
    String token = signUp();
    String collection = api + "/collections/" + Eventually.ok(() -> NodeTestSupport.send("POST",
        api + "/collections", "{\"name\":\"Limits\"}", token, "application/json")).body().get("id").asText();

    Response tooLarge = upload(collection + "/documents", token, "big.txt", new byte[(int) MAX_UPLOAD + 100_000]);
    assertEquals(413, tooLarge.status(), tooLarge.raw().body());
    assertEquals("application/problem+json", tooLarge.raw().headers().firstValue("Content-Type").orElseThrow());

    Response streamedTooLarge = upload(collection + "/documents", token, "big.txt",
        new byte[(int) MAX_UPLOAD + 100_000], true);
    assertEquals(413, streamedTooLarge.status(), streamedTooLarge.raw().body());
    String big = collection + "/documents/" + io.voicehelper.entities.knowledge.DocumentRef.documentIdForName(
        collection.substring(collection.lastIndexOf('/') + 1), "big.txt");
    JsonNode failed = awaitDocument(big, token, "FAILED", 0);
    assertTrue(failed.get("versions").get(0).get("failureReason").asText().contains(Long.toString(MAX_UPLOAD)),
        failed.toString());

    Response json = NodeTestSupport.send("POST", collection + "/documents", "{}", token, "application/json");
    assertEquals(415, json.status(), json.raw().body());
    Response empty = upload(collection + "/documents", token, "empty.txt", new byte[0]);
    assertEquals(400, empty.status(), empty.raw().body());
    assertEquals(404, upload(api + "/collections/col-nope/documents", token, "a.md", "# a".getBytes()).status());
  }

  @Test
  void anotherTenantSeesNothing() throws Exception {
    String owner = signUp();
    String stranger = signUp();
    String id = Eventually.ok(() -> NodeTestSupport.send("POST", api + "/collections", "{\"name\":\"Private\"}",
        owner, "application/json")).body().get("id").asText();
    String collection = api + "/collections/" + id;
    Response accepted = upload(collection + "/documents", owner, "secret.md", "# Secret\n\nText.".getBytes());
    String document = collection + "/documents/" + accepted.body().get("id").asText();

    assertEquals(0, NodeTestSupport.send("GET", api + "/collections", null, stranger, "application/json").body()
        .get("collections").size());
    for (String url : new String[] {collection, collection + "/documents", document,
        document + "/versions/1/content"}) {
      assertEquals(404, NodeTestSupport.send("GET", url, null, stranger, "application/json").status(), url);
    }
    assertEquals(404, NodeTestSupport.send("DELETE", document, null, stranger, "application/json").status());
    assertEquals(404, NodeTestSupport.send("PATCH", collection, "{\"name\":\"Mine\"}", stranger,
        "application/json").status());
    assertEquals(404, upload(collection + "/documents", stranger, "secret.md", "# x".getBytes()).status());
    assertEquals(200, NodeTestSupport.send("GET", document, null, owner, "application/json").status());
  }

  @Test
  void searchFindsPassagesOfThePublishedVersionWithEveryStagesScores() throws Exception {
    String token = signUp();
    String id = Eventually.ok(() -> NodeTestSupport.send("POST", api + "/collections", "{\"name\":\"Policies\"}",
        token, "application/json")).body().get("id").asText();
    String collection = api + "/collections/" + id;
    byte[] v1 = ("# 退货政策\n\n## 退货期限\n\n自签收之日起 30 天内可以申请退货。已拆封的摄像头为 15 天。\n\n"
        + "## Refunds\n\nRefunds reach the original payment method within 7 working days.\n\n"
        + "## 运费\n\n质量问题退货的运费由我们承担。\n").getBytes(StandardCharsets.UTF_8);
    String document = collection + "/documents/"
        + upload(collection + "/documents", token, "returns.md", v1).body().get("id").asText();
    awaitDocument(document, token, "READY", 1);
    String search = api + "/retrieval/search";

    Response found = NodeTestSupport.send("POST", search,
        "{\"query\":\"买的东西多少天内可以退货？\",\"collections\":[\"" + id + "\"]}", token, "application/json");
    assertEquals(200, found.status(), found.raw().body());
    assertEquals("hybrid", found.body().get("mode").asText());
    assertEquals(0, found.body().get("degraded").size());
    assertEquals("weighted", found.body().get("fusion").asText());
    JsonNode best = found.body().get("results").get(0);
    assertTrue(best.get("text").asText().contains("30 天"), found.raw().body());
    assertEquals("returns.md", best.get("documentName").asText());
    assertEquals(1, best.get("version").asInt());
    assertEquals("退货期限", best.get("headingPath").get(best.get("headingPath").size() - 1).asText());
    assertTrue(best.get("scores").get("vector").isNumber() && best.get("scores").get("keyword").isNumber(),
        found.raw().body());
    assertFalse(found.body().get("cached").asBoolean());
    String firstQuery = "{\"query\":\"买的东西多少天内可以退货？\",\"collections\":[\"" + id + "\"]}";
    Response again = NodeTestSupport.send("POST", search, firstQuery, token, "application/json");
    assertTrue(again.body().get("cached").asBoolean(), again.raw().body());
    assertEquals(found.body().get("results"), again.body().get("results"));

    Response keywordOnly = NodeTestSupport.send("POST", search,
        "{\"query\":\"original payment method\",\"fusion\":\"keyword\",\"topK\":1}", token, "application/json");
    assertEquals(200, keywordOnly.status(), keywordOnly.raw().body());
    assertEquals("keyword_only", keywordOnly.body().get("mode").asText());
    assertEquals(1, keywordOnly.body().get("results").size());
    assertTrue(keywordOnly.body().get("results").get(0).get("text").asText().contains("7 working days"));
    assertTrue(keywordOnly.body().get("results").get(0).get("scores").get("vector").isNull());

    // A new version replaces the old one in search at once.
    byte[] v2 = "# 退货政策\n\n## 退货期限\n\n自签收之日起 45 天内可以申请退货。\n".getBytes(StandardCharsets.UTF_8);
    upload(collection + "/documents", token, "returns.md", v2);
    awaitDocument(document, token, "READY", 2);
    Response after = NodeTestSupport.send("POST", search, "{\"query\":\"多少天内可以退货\",\"topK\":20}", token,
        "application/json");
    assertEquals(200, after.status(), after.raw().body());
    assertTrue(after.body().get("results").size() >= 1, after.raw().body());
    for (JsonNode passage : after.body().get("results")) {
      assertEquals(2, passage.get("version").asInt(), after.raw().body());
      assertTrue(!passage.get("text").asText().contains("30 天"), after.raw().body());
    }
    // The cached answer to the first query went with the old version.
    Response recomputed = NodeTestSupport.send("POST", search, firstQuery, token, "application/json");
    assertFalse(recomputed.body().get("cached").asBoolean(), recomputed.raw().body());
    assertEquals(2, recomputed.body().get("results").get(0).get("version").asInt(), recomputed.raw().body());

    // Another tenant finds nothing of it, and cannot name the collection.
    String stranger = signUp();
    Response theirs = NodeTestSupport.send("POST", search, "{\"query\":\"多少天内可以退货\"}", stranger,
        "application/json");
    assertEquals(200, theirs.status(), theirs.raw().body());
    assertEquals(0, theirs.body().get("results").size());
    assertEquals(404, NodeTestSupport.send("POST", search, "{\"query\":\"退货\",\"collections\":[\"" + id + "\"]}",
        stranger, "application/json").status());
  }

  @Test
  void badSearchesGetAProblemThatSaysWhy() throws Exception {
    String token = signUp();
    String search = api + "/retrieval/search";
    String[][] cases = {
        {"{}", "invalid-query"},
        {"{\"query\":\"  \"}", "invalid-query"},
        {"{\"query\":\"" + "长".repeat(2001) + "\"}", "invalid-query"},
        {"{\"query\":\"x\",\"topK\":0}", "invalid-topK"},
        {"{\"query\":\"x\",\"topK\":1001}", "invalid-topK"},
        {"{\"query\":\"x\",\"topK\":2.5}", "invalid-topK"},
        {"{\"query\":\"x\",\"candidates\":100000}", "invalid-candidates"},
        {"{\"query\":\"x\",\"fusion\":\"magic\"}", "invalid-fusion"},
        {"{\"query\":\"x\",\"vectorWeight\":1.5}", "invalid-vectorWeight"},
        {"{\"query\":\"x\",\"collections\":\"all\"}", "invalid-collections"},
        {"{\"query\":\"x\",\"collections\":[\"../etc\"]}", "invalid-collections"},
        {"{\"query\":\"x\",\"topk\":3}", "unknown-member"},
        {"{\"query\":\"x\",\"version\":2}", "invalid-version"},
        {"{\"query\":\"x\",\"documentId\":\"doc-1\",\"version\":0}", "invalid-version"},
        {"{\"query\":\"x\",\"metadata\":[\"region\"]}", "invalid-metadata"},
        {"{\"query\":\"x\",\"metadata\":{\"region\":1}}", "invalid-metadata"},
        {"{\"query\":\"x\",\"metadata\":{\"Region\":\"eu\"}}", "invalid-metadata"},
        {"{\"query\":\"x\",\"metadata\":{\"note\":\"" + "x".repeat(257) + "\"}}", "invalid-metadata"},
    };
    for (String[] c : cases) {
      Response r = NodeTestSupport.send("POST", search, c[0], token, "application/json");
      assertEquals(400, r.status(), c[0] + " -> " + r.raw().body());
      assertEquals("application/problem+json", r.raw().headers().firstValue("Content-Type").orElse(""));
      assertTrue(r.body().get("type").asText().endsWith(c[1]), c[0] + " -> " + r.raw().body());
    }
    assertEquals(404, NodeTestSupport.send("POST", search, "{\"query\":\"x\",\"collections\":[\"col-nope\"]}",
        token, "application/json").status());
    // A conversation can be scoped to the tenant's own collections only (one catalog read for all of them).
    String own = Eventually.ok(() -> NodeTestSupport.send("POST", api + "/collections", "{\"name\":\"Scope\"}", token,
        "application/json")).body().get("id").asText();
    assertEquals(201, NodeTestSupport.send("POST", api + "/conversations", "{\"collections\":[\"" + own + "\"]}",
        token, "application/json").status());
    Response unknown = NodeTestSupport.send("POST", api + "/conversations",
        "{\"collections\":[\"" + own + "\",\"col-nope\"]}", token, "application/json");
    assertEquals(404, unknown.status(), unknown.raw().body());
    assertTrue(unknown.body().get("detail").asText().contains("col-nope"), unknown.raw().body());
    assertEquals(401, NodeTestSupport.send("POST", search, "{\"query\":\"x\"}", null, "application/json").status());
    assertEquals(405, NodeTestSupport.send("GET", search, null, token, "application/json").status());
  }

  @Test
  void metadataGivenAtUploadBelongsToTheVersionAndFiltersSearchesAsDoesTheVersion() throws Exception {
    String token = signUp();
    String id = Eventually.ok(() -> NodeTestSupport.send("POST", api + "/collections", "{\"name\":\"Regions\"}",
        token, "application/json")).body().get("id").asText();
    String documents = api + "/collections/" + id + "/documents";
    byte[] eu = "# Returns\n\nCameras bought in Europe can be returned within 30 days.\n".getBytes(StandardCharsets.UTF_8);
    byte[] us = "# Returns\n\nCameras bought in America can be returned within 60 days.\n".getBytes(StandardCharsets.UTF_8);
    Response euUpload = NodeTestSupport.upload(documents, token, "eu.md", eu, false,
        Map.of("metadata", "{\"region\":\"eu\",\"product.line\":\"camera\"}"), Map.of());
    assertEquals(202, euUpload.status(), euUpload.raw().body());
    assertEquals("eu", euUpload.body().get("metadata").get("region").asText());
    String euDocument = euUpload.body().get("id").asText();
    NodeTestSupport.upload(documents, token, "us.md", us, false, Map.of("metadata", "{\"region\":\"us\"}"), Map.of());
    JsonNode ready = awaitDocument(documents + "/" + euDocument, token, "READY", 1);
    assertEquals("camera", ready.get("versions").get(0).get("metadata").get("product.line").asText(), ready.toString());
    awaitDocument(documents + "/" + DocumentRef.documentIdForName(id, "us.md"), token, "READY", 1);

    String search = api + "/retrieval/search";
    Response onlyEu = NodeTestSupport.send("POST", search, "{\"query\":\"cameras returned days\",\"collections\":[\""
        + id + "\"],\"metadata\":{\"region\":\"eu\",\"product.line\":\"camera\"}}", token, "application/json");
    assertEquals(200, onlyEu.status(), onlyEu.raw().body());
    assertTrue(onlyEu.body().get("results").size() >= 1, onlyEu.raw().body());
    for (JsonNode passage : onlyEu.body().get("results")) {
      assertEquals(euDocument, passage.get("documentId").asText(), onlyEu.raw().body());
      assertEquals("eu", passage.get("metadata").get("region").asText());
    }
    assertEquals(0, NodeTestSupport.send("POST", search, "{\"query\":\"cameras returned days\",\"metadata\":"
        + "{\"region\":\"eu\",\"product.line\":\"phone\"}}", token, "application/json").body().get("results").size());
    assertTrue(NodeTestSupport.send("POST", search, "{\"query\":\"cameras returned days\",\"documentId\":\""
        + euDocument + "\",\"version\":1}", token, "application/json").body().get("results").size() >= 1);
    // Only the published version is in the index: another version finds nothing.
    assertEquals(0, NodeTestSupport.send("POST", search, "{\"query\":\"cameras returned days\",\"documentId\":\""
        + euDocument + "\",\"version\":2}", token, "application/json").body().get("results").size());

    Response badMetadata = NodeTestSupport.upload(documents, token, "bad.md", eu, false,
        Map.of("metadata", "{\"Region\":\"eu\"}"), Map.of());
    assertEquals(400, badMetadata.status(), badMetadata.raw().body());
    assertTrue(badMetadata.body().get("type").asText().endsWith("invalid-metadata"), badMetadata.raw().body());
    assertEquals(404, NodeTestSupport.send("GET", documents + "/" + DocumentRef.documentIdForName(id, "bad.md"), null,
        token, "application/json").status(), "nothing was numbered");
    Response late = NodeTestSupport.upload(documents, token, "late.md", eu, false, Map.of(),
        Map.of("metadata", "{\"region\":\"eu\"}"));
    assertEquals(400, late.status(), late.raw().body());
    assertTrue(late.body().get("type").asText().endsWith("metadata-after-file"), late.raw().body());
    awaitDocument(documents + "/" + DocumentRef.documentIdForName(id, "late.md"), token, "FAILED", 0);
  }
}
