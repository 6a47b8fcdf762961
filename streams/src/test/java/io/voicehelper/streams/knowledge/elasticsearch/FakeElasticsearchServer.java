package io.voicehelper.streams.knowledge.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * A loopback Elasticsearch 8 speaking the REST API as the Java API client uses it: every response carries
 * {@code X-Elastic-Product: Elasticsearch}; {@code GET /} (info), {@code HEAD|PUT|DELETE /<index>}, {@code POST
 * [/<index>]/_bulk} (NDJSON, per-item results, strict mappings enforced), {@code POST /<index>/_delete_by_query} and
 * {@code PUT /<index>/_mapping} (adds properties), {@code POST /<index>/_search} evaluating {@code bool} (must,
 * filter, must_not, should) over {@code match}, {@code term} (a dotted field names a key of an object, as in a
 * {@code flattened} field), {@code terms} and {@code match_all}, scored with BM25 (k1 1.2, b 0.75) over a standard-like analyzer
 * (lower-cased letters and digits; each CJK character a token). Faults can be scripted per endpoint: an error status
 * with an Elasticsearch error body, a failed bulk item, or a request that is never answered.
 */
public final class FakeElasticsearchServer implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper();

  /** A request as the server saw it. */
  record Recorded(String method, String endpoint, String path, Map<String, String> params, String authorization,
      String body) {}

  /** How a scripted request fails. */
  public sealed interface Fault {
    /** An error status with {@code {"error":{"type":...,"reason":...},"status":...}}. */
    record Error(int status, String type, String reason) implements Fault {}

    /** Never answers (until the server closes): the client's socket timeout must end the request. */
    record Stall() implements Fault {}
  }

  /** An index as the fake keeps it. */
  static final class FakeIndex {
    final ObjectNode mappings;
    final JsonNode settings;
    final Map<String, ObjectNode> docs = new LinkedHashMap<>();

    FakeIndex(JsonNode mappings, JsonNode settings) {
      this.mappings = mappings.isObject() ? (ObjectNode) mappings.deepCopy() : JSON.createObjectNode();
      this.settings = settings;
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, FakeIndex> indexes = new ConcurrentHashMap<>();
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final Map<String, List<Fault>> faults = new ConcurrentHashMap<>();
  private volatile Predicate<String> failingBulkIds = id -> false;
  private final CountDownLatch released = new CountDownLatch(1);

  private FakeElasticsearchServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  public static FakeElasticsearchServer start() throws IOException {
    return new FakeElasticsearchServer();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next {@code times} requests to {@code endpoint} (info, exists, create, bulk, delete_by_query, search) fail. */
  public void failNext(String endpoint, int times, Fault fault) {
    List<Fault> queue = faults.computeIfAbsent(endpoint, e -> new CopyOnWriteArrayList<>());
    for (int i = 0; i < times; i++) queue.add(fault);
  }

  /** Bulk items whose id matches fail with a mapper error (the others succeed). */
  void failBulkItems(Predicate<String> ids) {
    failingBulkIds = ids;
  }

  List<Recorded> requests() {
    return List.copyOf(requests);
  }

  List<Recorded> requests(String endpoint) {
    return requests.stream().filter(r -> r.endpoint().equals(endpoint)).toList();
  }

  FakeIndex index(String name) {
    return indexes.get(name);
  }

  @Override
  public void close() {
    released.countDown();
    server.stop(0);
    executor.shutdownNow();
  }

  // -------------------------------------------------------------------------------------------------------------

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      Map<String, String> params = query(exchange.getRequestURI().getRawQuery());
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      List<String> parts = new ArrayList<>();
      for (String part : path.split("/")) if (!part.isEmpty()) parts.add(part);
      String endpoint = endpoint(method, parts);
      requests.add(new Recorded(method, endpoint, path, params,
          exchange.getRequestHeaders().getFirst("Authorization"), body));
      List<Fault> queue = faults.get(endpoint);
      Fault fault = queue == null || queue.isEmpty() ? null : queue.remove(0);
      if (fault instanceof Fault.Stall) {
        awaitRelease();
        return;
      }
      if (fault instanceof Fault.Error error) {
        sendError(exchange, error.status(), error.type(), error.reason(), null);
        return;
      }
      try {
        respond(exchange, method, path, endpoint, parts, body);
      } catch (RuntimeException malformed) {
        sendError(exchange, 400, "parsing_exception", String.valueOf(malformed.getMessage()), null);
      }
    } catch (IOException clientWentAway) {
      // the client closed the connection (e.g. after its timeout)
    }
  }

  private void respond(HttpExchange exchange, String method, String path, String endpoint, List<String> parts,
      String body) throws IOException {
      switch (endpoint) {
        case "info" -> send(exchange, 200, info());
        case "exists" -> sendEmpty(exchange, indexes.containsKey(parts.get(0)) ? 200 : 404);
        case "create" -> create(exchange, parts.get(0), body);
        case "delete_index" -> {
          if (indexes.remove(parts.get(0)) == null) indexNotFound(exchange, parts.get(0));
          else send(exchange, 200, JSON.createObjectNode().put("acknowledged", true));
        }
        case "bulk" -> bulk(exchange, parts.size() > 1 ? parts.get(0) : null, body);
        case "delete_by_query" -> deleteByQuery(exchange, parts.get(0), body);
        case "search" -> search(exchange, parts.get(0), body);
        case "put_mapping" -> putMapping(exchange, parts.get(0), body);
        default -> sendError(exchange, 400, "illegal_argument_exception",
            "the fake does not serve " + method + " " + path, null);
      }
  }

  private static String endpoint(String method, List<String> parts) {
    if (parts.isEmpty()) return "info";
    String last = parts.get(parts.size() - 1);
    if (last.equals("_bulk")) return "bulk";
    if (parts.size() == 2 && last.equals("_delete_by_query")) return "delete_by_query";
    if (parts.size() == 2 && last.equals("_search")) return "search";
    if (parts.size() == 2 && last.equals("_mapping") && method.equals("PUT")) return "put_mapping";
    if (parts.size() == 1) {
      return switch (method) {
        case "HEAD" -> "exists";
        case "PUT" -> "create";
        case "DELETE" -> "delete_index";
        default -> "unknown";
      };
    }
    return "unknown";
  }

  private void awaitRelease() {
    try {
      released.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ObjectNode info() {
    ObjectNode info = JSON.createObjectNode().put("name", "fake-node").put("cluster_name", "fake")
        .put("cluster_uuid", "fake-uuid").put("tagline", "You Know, for Search");
    info.putObject("version").put("number", "8.19.0").put("build_flavor", "default").put("build_type", "docker")
        .put("build_hash", "fake").put("build_date", "2025-01-01T00:00:00Z").put("build_snapshot", false)
        .put("lucene_version", "9.12.0").put("minimum_wire_compatibility_version", "7.17.0")
        .put("minimum_index_compatibility_version", "7.0.0");
    return info;
  }

  private void create(HttpExchange exchange, String name, String body) throws IOException {
    JsonNode request = body.isEmpty() ? JSON.createObjectNode() : JSON.readTree(body);
    FakeIndex index = new FakeIndex(request.path("mappings"), request.path("settings"));
    if (indexes.putIfAbsent(name, index) != null) {
      sendError(exchange, 400, "resource_already_exists_exception",
          "index [" + name + "/fake-uuid] already exists", name);
      return;
    }
    send(exchange, 200, JSON.createObjectNode().put("acknowledged", true).put("shards_acknowledged", true)
        .put("index", name));
  }

  /** The index, or null after answering 404 {@code index_not_found_exception}. */
  private FakeIndex existing(HttpExchange exchange, String name) throws IOException {
    FakeIndex index = indexes.get(name);
    if (index == null) indexNotFound(exchange, name);
    return index;
  }

  private void putMapping(HttpExchange exchange, String name, String body) throws IOException {
    FakeIndex index = existing(exchange, name);
    if (index == null) return;
    JsonNode added = JSON.readTree(body).path("properties");
    synchronized (this) {
      ObjectNode properties = index.mappings.has("properties")
          ? (ObjectNode) index.mappings.get("properties") : index.mappings.putObject("properties");
      added.fields().forEachRemaining(field -> properties.set(field.getKey(), field.getValue()));
    }
    send(exchange, 200, JSON.createObjectNode().put("acknowledged", true));
  }

  private void bulk(HttpExchange exchange, String defaultIndex, String body) throws IOException {
    String[] lines = body.split("\n");
    ArrayNode items = JSON.createArrayNode();
    boolean errors = false;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isBlank()) continue;
      JsonNode action = JSON.readTree(lines[i]);
      String op = action.fieldNames().next();
      JsonNode meta = action.get(op);
      String indexName = meta.path("_index").asText(defaultIndex);
      String id = meta.path("_id").asText();
      ObjectNode result = items.addObject().putObject(op).put("_index", indexName).put("_id", id);
      if (op.equals("delete")) {
        FakeIndex index = indexes.get(indexName);
        boolean found;
        synchronized (this) {
          found = index != null && index.docs.remove(id) != null;
        }
        result.put("status", found ? 200 : 404).put("result", found ? "deleted" : "not_found");
        continue;
      }
      ObjectNode source = (ObjectNode) JSON.readTree(lines[++i]);
      String error = failingBulkIds.test(id) ? "mapper_parsing_exception" : null;
      FakeIndex index = indexes.computeIfAbsent(indexName,
          n -> new FakeIndex(JSON.createObjectNode(), JSON.createObjectNode()));
      String unknown = unknownField(index, source);
      if (error == null && unknown != null) error = "strict_dynamic_mapping_exception";
      if (error != null) {
        errors = true;
        result.put("status", 400).putObject("error").put("type", error)
            .put("reason", error.equals("strict_dynamic_mapping_exception")
                ? "[1:2] mapping set to strict, dynamic introduction of [" + unknown + "] within [_doc] is not allowed"
                : "failed to parse field [text] of type [text] in document with id '" + id + "'");
        continue;
      }
      boolean replaced;
      synchronized (this) {
        replaced = index.docs.put(id, source) != null;
      }
      result.put("_version", 1).put("result", replaced ? "updated" : "created").put("status", replaced ? 200 : 201)
          .put("_seq_no", 0).put("_primary_term", 1);
      result.putObject("_shards").put("total", 1).put("successful", 1).put("failed", 0);
    }
    ObjectNode response = JSON.createObjectNode().put("took", 1).put("errors", errors);
    response.set("items", items);
    send(exchange, 200, response);
  }

  private static String unknownField(FakeIndex index, JsonNode source) {
    if (!index.mappings.path("dynamic").asText().equals("strict")) return null;
    JsonNode properties = index.mappings.path("properties");
    for (Iterator<String> names = source.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!properties.has(name)) return name;
    }
    return null;
  }

  private void deleteByQuery(HttpExchange exchange, String name, String body) throws IOException {
    FakeIndex index = existing(exchange, name);
    if (index == null) return;
    JsonNode query = JSON.readTree(body).path("query");
    int deleted = 0;
    synchronized (this) {
      Iterator<ObjectNode> docs = index.docs.values().iterator();
      while (docs.hasNext()) {
        if (score(query, docs.next(), index) != null) {
          docs.remove();
          deleted++;
        }
      }
    }
    ObjectNode response = JSON.createObjectNode().put("took", 1).put("timed_out", false).put("total", deleted)
        .put("deleted", deleted).put("batches", 1).put("version_conflicts", 0).put("noops", 0)
        .put("throttled_millis", 0).put("requests_per_second", -1.0).put("throttled_until_millis", 0);
    response.putObject("retries").put("bulk", 0).put("search", 0);
    response.putArray("failures");
    send(exchange, 200, response);
  }

  private void search(HttpExchange exchange, String name, String body) throws IOException {
    FakeIndex index = existing(exchange, name);
    if (index == null) return;
    JsonNode request = body.isEmpty() ? JSON.createObjectNode() : JSON.readTree(body);
    JsonNode query = request.has("query") ? request.get("query") : JSON.createObjectNode().putObject("match_all");
    int size = request.path("size").asInt(10);
    int from = request.path("from").asInt(0);
    List<Map.Entry<String, Double>> scored = new ArrayList<>();
    Map<String, ObjectNode> sources = new HashMap<>();
    synchronized (this) {
      for (Map.Entry<String, ObjectNode> doc : index.docs.entrySet()) {
        Double score = score(query, doc.getValue(), index);
        if (score != null) {
          scored.add(Map.entry(doc.getKey(), score));
          sources.put(doc.getKey(), doc.getValue().deepCopy());
        }
      }
    }
    scored.sort(Map.Entry.<String, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
    ObjectNode response = JSON.createObjectNode().put("took", 1).put("timed_out", false);
    response.putObject("_shards").put("total", 1).put("successful", 1).put("skipped", 0).put("failed", 0);
    ObjectNode hits = response.putObject("hits");
    if (request.path("track_total_hits").asBoolean(true)) {
      hits.putObject("total").put("value", scored.size()).put("relation", "eq");
    }
    if (scored.isEmpty()) hits.putNull("max_score");
    else hits.put("max_score", scored.get(0).getValue());
    ArrayNode list = hits.putArray("hits");
    for (Map.Entry<String, Double> hit : scored.subList(Math.min(from, scored.size()),
        Math.min(from + size, scored.size()))) {
      ObjectNode item = list.addObject().put("_index", name).put("_id", hit.getKey()).put("_score", hit.getValue());
      item.set("_source", sources.get(hit.getKey()));
    }
    send(exchange, 200, response);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Query evaluation: null when the document does not match, else its score

  private static Double score(JsonNode query, JsonNode doc, FakeIndex index) {
    String type = query.fieldNames().next();
    JsonNode body = query.get(type);
    switch (type) {
      case "match_all" -> {
        return 1.0;
      }
      case "term" -> {
        Map.Entry<String, JsonNode> clause = body.fields().next();
        JsonNode value = clause.getValue().isObject() ? clause.getValue().get("value") : clause.getValue();
        return valueMatches(field(doc, clause.getKey()), value) ? 0.0 : null;
      }
      case "terms" -> {
        Map.Entry<String, JsonNode> clause = body.fields().next();
        for (JsonNode value : clause.getValue()) {
          if (valueMatches(doc.get(clause.getKey()), value)) return 0.0;
        }
        return null;
      }
      case "match" -> {
        Map.Entry<String, JsonNode> clause = body.fields().next();
        String text = clause.getValue().isObject() ? clause.getValue().path("query").asText() : clause.getValue().asText();
        return bm25(clause.getKey(), analyze(text), doc, index);
      }
      case "bool" -> {
        double total = 0;
        for (JsonNode clause : clauses(body.get("must"))) {
          Double s = score(clause, doc, index);
          if (s == null) return null;
          total += s;
        }
        for (JsonNode clause : clauses(body.get("filter"))) {
          if (score(clause, doc, index) == null) return null;
        }
        for (JsonNode clause : clauses(body.get("must_not"))) {
          if (score(clause, doc, index) != null) return null;
        }
        List<JsonNode> should = clauses(body.get("should"));
        boolean anyShould = false;
        for (JsonNode clause : should) {
          Double s = score(clause, doc, index);
          if (s != null) {
            anyShould = true;
            total += s;
          }
        }
        boolean onlyShould = clauses(body.get("must")).isEmpty() && clauses(body.get("filter")).isEmpty();
        if (!should.isEmpty() && onlyShould && !anyShould) return null;
        return total;
      }
      default -> throw new IllegalArgumentException("the fake does not evaluate a [" + type + "] query");
    }
  }

  /** The field's value; {@code a.b.c} is key {@code b.c} of object {@code a} when {@code a.b.c} itself is absent. */
  private static JsonNode field(JsonNode doc, String name) {
    if (doc.has(name) || name.indexOf('.') < 0) return doc.get(name);
    JsonNode object = doc.get(name.substring(0, name.indexOf('.')));
    return object == null || !object.isObject() ? null : object.get(name.substring(name.indexOf('.') + 1));
  }

  private static List<JsonNode> clauses(JsonNode node) {
    List<JsonNode> list = new ArrayList<>();
    if (node == null) return list;
    if (node.isArray()) node.forEach(list::add);
    else list.add(node);
    return list;
  }

  private static boolean valueMatches(JsonNode field, JsonNode value) {
    if (field == null) return false;
    if (field.isArray()) {
      for (JsonNode element : field) if (valueMatches(element, value)) return true;
      return false;
    }
    return field.isNumber() && value.isNumber() ? field.asLong() == value.asLong() : field.asText().equals(value.asText());
  }

  private static Double bm25(String field, List<String> queryTerms, JsonNode doc, FakeIndex index) {
    List<String> docTerms = analyze(doc.path(field).asText());
    int n = index.docs.size();
    double averageLength = index.docs.values().stream().mapToInt(d -> analyze(d.path(field).asText()).size())
        .average().orElse(1);
    double score = 0;
    boolean matched = false;
    for (String term : queryTerms.stream().distinct().toList()) {
      long tf = docTerms.stream().filter(term::equals).count();
      if (tf == 0) continue;
      matched = true;
      long df = index.docs.values().stream().filter(d -> analyze(d.path(field).asText()).contains(term)).count();
      double idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * docTerms.size() / averageLength));
    }
    return matched ? score : null;
  }

  /** Lower-cased runs of letters and digits; each CJK ideograph on its own, as the standard analyzer does. */
  static List<String> analyze(String text) {
    List<String> tokens = new ArrayList<>();
    StringBuilder run = new StringBuilder();
    text.toLowerCase(Locale.ROOT).codePoints().forEach(c -> {
      boolean ideograph = Character.UnicodeScript.of(c) == Character.UnicodeScript.HAN;
      if (Character.isLetterOrDigit(c) && !ideograph) {
        run.appendCodePoint(c);
        return;
      }
      if (run.length() > 0) {
        tokens.add(run.toString());
        run.setLength(0);
      }
      if (ideograph) tokens.add(new String(Character.toChars(c)));
    });
    if (run.length() > 0) tokens.add(run.toString());
    return tokens;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Responses

  private static void indexNotFound(HttpExchange exchange, String name) throws IOException {
    sendError(exchange, 404, "index_not_found_exception", "no such index [" + name + "]", name);
  }

  private static void sendError(HttpExchange exchange, int status, String type, String reason, String index)
      throws IOException {
    ObjectNode response = JSON.createObjectNode();
    ObjectNode error = response.putObject("error");
    ObjectNode cause = error.putArray("root_cause").addObject().put("type", type).put("reason", reason);
    error.put("type", type).put("reason", reason);
    if (index != null) {
      cause.put("index", index);
      error.put("index", index);
    }
    response.put("status", status);
    send(exchange, status, response);
  }

  private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().add("X-Elastic-Product", "Elasticsearch");
    exchange.getResponseHeaders().add("Content-Type", "application/vnd.elasticsearch+json;compatible-with=8");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static void sendEmpty(HttpExchange exchange, int status) throws IOException {
    exchange.getResponseHeaders().add("X-Elastic-Product", "Elasticsearch");
    exchange.getResponseHeaders().add("Content-Type", "application/vnd.elasticsearch+json;compatible-with=8");
    exchange.sendResponseHeaders(status, -1);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> params = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) return params;
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.put(key, value);
    }
    return params;
  }
}
