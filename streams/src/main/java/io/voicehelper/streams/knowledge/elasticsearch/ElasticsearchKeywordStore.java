package io.voicehelper.streams.knowledge.elasticsearch;

import co.elastic.clients.elasticsearch.ElasticsearchAsyncClient;
import co.elastic.clients.elasticsearch._types.Conflicts;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch._types.mapping.DynamicMapping;
import co.elastic.clients.elasticsearch._types.query_dsl.BoolQuery;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.BulkRequest;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.DeleteByQueryResponse;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.elasticsearch.core.search.Hit;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.streams.knowledge.index.KeywordStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.message.BasicHeader;
import org.apache.http.HttpEntity;
import org.apache.http.util.EntityUtils;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keyword (BM25) half of the knowledge index in Elasticsearch 8, through the Java API client's async interface
 * on its own REST transport. Each tenant has its own index {@code <prefix>-<tenant>}, created with strict mappings
 * on its first write (once per process); every query also filters by tenant. Writes are bulk upserts by chunk id with
 * {@code refresh=wait_for}, so a chunk is searchable when its stage completes; a bulk item that failed fails the
 * stage. Stages complete on the given executor, never on the HTTP client's I/O threads.
 */
public final class ElasticsearchKeywordStore implements KeywordStore, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ElasticsearchKeywordStore.class);

  /** Thrown (as the failure of a stage) when Elasticsearch refused a request or could not be reached. */
  public static final class ElasticsearchStoreException extends RuntimeException {
    public ElasticsearchStoreException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A chunk as stored in the index. */
  record ChunkDocument(
      @JsonProperty("chunk_id") String chunkId,
      @JsonProperty("tenant") String tenant,
      @JsonProperty("collection") String collection,
      @JsonProperty("document") String document,
      @JsonProperty("version") int version,
      @JsonProperty("position") int position,
      @JsonProperty("tokens") int tokens,
      @JsonProperty("heading_path") List<String> headingPath,
      @JsonProperty("text") String text,
      @JsonProperty("metadata") Map<String, String> metadata) {

    static ChunkDocument of(Chunk chunk) {
      DocumentRef ref = chunk.document();
      return new ChunkDocument(chunk.chunkId(), ref.tenantId(), ref.collectionId(), ref.documentId(),
          chunk.version(), chunk.position(), chunk.tokens(), chunk.headingPath(), chunk.text(), chunk.metadata());
    }

    /** A document indexed before chunks had metadata has none. */
    Chunk chunk() {
      return new Chunk(chunkId, new DocumentRef(tenant, collection, document), version, position,
          headingPath == null ? List.of() : headingPath, text, tokens, metadata);
    }
  }

  /** The chunk's document metadata, a {@code flattened} field: every key is an exact (keyword) sub-field. */
  static final String METADATA = "metadata";

  private static final ObjectMapper ERRORS = new ObjectMapper();

  private final ElasticsearchSettings settings;
  private final Executor executor;
  private final RestClient restClient;
  private final ElasticsearchAsyncClient client;
  /** Indexes known to exist, by name; a failed creation is forgotten so that the next write tries again. */
  private final Map<String, CompletableFuture<Void>> created = new ConcurrentHashMap<>();

  /** The store; it opens no connection until its first call. */
  public ElasticsearchKeywordStore(ElasticsearchSettings settings, Executor executor) {
    this.settings = settings;
    this.executor = executor;
    List<Header> headers = new ArrayList<>();
    if (!settings.apiKey().isEmpty()) {
      headers.add(new BasicHeader("Authorization", "ApiKey " + settings.apiKey()));
    } else if (!settings.username().isEmpty()) {
      String pair = settings.username() + ":" + settings.password();
      headers.add(new BasicHeader("Authorization",
          "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8))));
    }
    this.restClient = RestClient.builder(settings.urls().stream().map(HttpHost::create).toArray(HttpHost[]::new))
        .setDefaultHeaders(headers.toArray(Header[]::new))
        .setRequestConfigCallback(config -> config
            .setConnectTimeout((int) settings.connectTimeout().toMillis())
            .setSocketTimeout((int) settings.requestTimeout().toMillis()))
        .build();
    this.client = new ElasticsearchAsyncClient(
        new RestClientTransport(restClient, new JacksonJsonpMapper(new ObjectMapper())));
  }

  /** The index that holds the tenant's chunks: {@code <prefix>-<tenant>}, made safe for Elasticsearch. */
  public String indexName(String tenantId) {
    String safe = tenantId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "_");
    if (safe.equals(tenantId) && safe.length() <= 100) return settings.indexPrefix() + "-" + safe;
    String head = safe.length() > 80 ? safe.substring(0, 80) : safe;
    return settings.indexPrefix() + "-" + head + "-" + hash(tenantId);
  }

  @Override
  public CompletionStage<Void> upsert(List<EmbeddedChunk> chunks) {
    if (chunks.isEmpty()) return CompletableFuture.completedFuture(null);
    Map<String, List<Chunk>> byIndex = new LinkedHashMap<>();
    for (EmbeddedChunk chunk : chunks) {
      byIndex.computeIfAbsent(indexName(chunk.chunk().document().tenantId()), i -> new ArrayList<>())
          .add(chunk.chunk());
    }
    CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
    for (Map.Entry<String, List<Chunk>> entry : byIndex.entrySet()) {
      String index = entry.getKey();
      List<Chunk> batch = entry.getValue();
      all = all.thenCompose(done -> ensureIndex(index)).thenCompose(done -> bulk(index, batch));
    }
    return all;
  }

  @Override
  public CompletionStage<Void> removeDocument(DocumentRef document, int keepVersion) {
    BoolQuery.Builder query = new BoolQuery.Builder()
        .filter(term("tenant", document.tenantId()), term("collection", document.collectionId()),
            term("document", document.documentId()));
    if (keepVersion != 0) query.mustNot(Query.of(q -> q.term(t -> t.field("version").value(keepVersion))));
    return deleteByQuery(document.tenantId(), query.build(), "removal of document " + document.documentId());
  }

  @Override
  public CompletionStage<Void> removeVersion(DocumentRef document, int version) {
    BoolQuery query = new BoolQuery.Builder()
        .filter(term("tenant", document.tenantId()), term("collection", document.collectionId()),
            term("document", document.documentId()),
            Query.of(q -> q.term(t -> t.field("version").value(version))))
        .build();
    return deleteByQuery(document.tenantId(), query,
        "removal of version " + version + " of document " + document.documentId());
  }

  @Override
  public CompletionStage<Void> removeCollection(String tenantId, String collectionId) {
    BoolQuery query = new BoolQuery.Builder()
        .filter(term("tenant", tenantId), term("collection", collectionId)).build();
    return deleteByQuery(tenantId, query, "removal of collection " + collectionId);
  }

  @Override
  public CompletionStage<List<SearchHit>> searchKeyword(SearchFilter filter, String query, int limit) {
    if (limit <= 0 || query.isBlank()) return CompletableFuture.completedFuture(List.of());
    String index = indexName(filter.tenantId());
    List<Query> filters = new ArrayList<>();
    filters.add(term("tenant", filter.tenantId()));
    if (!filter.collectionIds().isEmpty()) {
      List<FieldValue> collections = filter.collectionIds().stream().sorted().map(FieldValue::of).toList();
      filters.add(Query.of(q -> q.terms(t -> t.field("collection").terms(v -> v.value(collections)))));
    }
    filter.documentId().ifPresent(document -> filters.add(term("document", document)));
    filter.version().ifPresent(version -> filters.add(Query.of(q -> q.term(t -> t.field("version").value(version)))));
    // A flattened field's keys are searched as its sub-fields: metadata.<key>.
    filter.metadata().forEach((key, value) -> filters.add(term(METADATA + "." + key, value)));
    return call("search in " + index, () -> client.search(s -> s
            .index(index)
            .size(limit)
            .trackTotalHits(t -> t.enabled(false))
            .query(q -> q.bool(b -> b.must(m -> m.match(mm -> mm.field("text").query(query))).filter(filters))),
        ChunkDocument.class))
        .handle((SearchResponse<ChunkDocument> response, Throwable failure) -> {
          if (failure != null) {
            if (indexMissing(failure)) return List.<SearchHit>of();
            throw asCompletion(failure);
          }
          List<SearchHit> hits = new ArrayList<>();
          for (Hit<ChunkDocument> hit : response.hits().hits()) {
            if (hit.source() != null) {
              hits.add(new SearchHit(hit.source().chunk(), hit.score() == null ? 0 : hit.score()));
            }
          }
          return List.copyOf(hits);
        });
  }

  @Override
  public void close() throws IOException {
    restClient.close();
  }

  // -------------------------------------------------------------------------------------------------------------

  private CompletableFuture<Void> bulk(String index, List<Chunk> chunks) {
    BulkRequest.Builder request = new BulkRequest.Builder().index(index).refresh(refresh());
    for (Chunk chunk : chunks) {
      request.operations(op -> op.index(i -> i.id(chunk.chunkId()).document(ChunkDocument.of(chunk))));
    }
    String operation = "bulk upsert of " + chunks.size() + " chunks into " + index;
    return call(operation, () -> client.bulk(request.build())).thenApply((BulkResponse response) -> {
      if (!response.errors()) return null;
      List<BulkResponseItem> failed = response.items().stream().filter(item -> item.error() != null).toList();
      String reasons = failed.stream().limit(3)
          .map(item -> item.id() + ": " + item.error().type() + " (" + item.error().reason() + ")")
          .collect(Collectors.joining("; "));
      throw new ElasticsearchStoreException("Elasticsearch " + operation + ": " + failed.size() + " of "
          + chunks.size() + " chunks failed: " + reasons + (failed.size() > 3 ? "; ..." : ""), null);
    });
  }

  private CompletionStage<Void> deleteByQuery(String tenantId, BoolQuery query, String what) {
    String index = indexName(tenantId);
    String operation = what + " from " + index;
    return call(operation, () -> client.deleteByQuery(d -> d
            .index(index)
            .query(q -> q.bool(query))
            .conflicts(Conflicts.Proceed)
            .refresh(!settings.refresh().equals("false"))))
        .handle((DeleteByQueryResponse response, Throwable failure) -> {
          if (failure != null) {
            if (indexMissing(failure)) return null;
            throw asCompletion(failure);
          }
          if (!response.failures().isEmpty()) {
            throw new ElasticsearchStoreException("Elasticsearch " + operation + ": " + response.failures().size()
                + " failures, first: " + response.failures().get(0).cause().reason(), null);
          }
          return null;
        });
  }

  /**
   * Creates the index with its mappings unless it exists, or adds the metadata field to one created before chunks
   * had metadata (adding a field to a mapping is allowed; its old documents simply lack it); once per index and
   * process.
   */
  private CompletableFuture<Void> ensureIndex(String index) {
    CompletableFuture<Void> known = created.get(index);
    if (known != null) return known.exceptionallyCompose(failure -> ensureIndex(index));
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> winner = created.putIfAbsent(index, mine);
    if (winner != null) return winner;
    call("check of index " + index, () -> client.indices().exists(e -> e.index(index)))
        .thenCompose(exists -> exists.value() ? addMetadataField(index) : createIndex(index))
        .whenComplete((done, failure) -> {
          if (failure == null) {
            mine.complete(null);
          } else {
            created.remove(index, mine);
            mine.completeExceptionally(failure);
          }
        });
    return mine;
  }

  private CompletableFuture<Void> createIndex(String index) {
    String searchAnalyzer = settings.searchAnalyzer().isEmpty() ? settings.analyzer() : settings.searchAnalyzer();
    return call("creation of index " + index, () -> client.indices().create(c -> c
            .index(index)
            .settings(s -> s.numberOfShards(Integer.toString(settings.shards()))
                .numberOfReplicas(Integer.toString(settings.replicas())))
            .mappings(m -> m
                .dynamic(DynamicMapping.Strict)
                .properties("chunk_id", p -> p.keyword(k -> k))
                .properties("tenant", p -> p.keyword(k -> k))
                .properties("collection", p -> p.keyword(k -> k))
                .properties("document", p -> p.keyword(k -> k))
                .properties("version", p -> p.integer(i -> i))
                .properties("position", p -> p.integer(i -> i.index(false)))
                .properties("tokens", p -> p.integer(i -> i.index(false)))
                .properties("heading_path", p -> p.keyword(k -> k.index(false)))
                .properties("text", p -> p.text(t -> t.analyzer(settings.analyzer())
                    .searchAnalyzer(searchAnalyzer)))
                .properties(METADATA, p -> p.flattened(f -> f)))))
        .handle((response, failure) -> {
          if (failure != null && !alreadyExists(failure)) throw asCompletion(failure);
          if (failure == null) log.info("Created Elasticsearch index {} (analyzer {})", index, settings.analyzer());
          return null;
        });
  }

  /** Idempotent: a mapping that has the field already is left as it is. */
  private CompletableFuture<Void> addMetadataField(String index) {
    return call("mapping of the metadata field in " + index, () -> client.indices().putMapping(m -> m
            .index(index)
            .properties(METADATA, p -> p.flattened(f -> f))))
        .thenApply(acknowledged -> null);
  }

  private Refresh refresh() {
    return switch (settings.refresh()) {
      case "true" -> Refresh.True;
      case "false" -> Refresh.False;
      default -> Refresh.WaitFor;
    };
  }

  private static Query term(String field, String value) {
    return Query.of(q -> q.term(t -> t.field(field).value(value)));
  }

  /**
   * Starts an async client call; its failure becomes an {@link ElasticsearchStoreException} naming the operation,
   * and its completion moves to the executor.
   */
  private <T> CompletableFuture<T> call(String operation, Supplier<CompletableFuture<T>> request) {
    CompletableFuture<T> started;
    try {
      started = request.get();
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    return started.handleAsync((result, failure) -> {
      if (failure == null) return result;
      Throwable cause = unwrap(failure);
      throw new ElasticsearchStoreException("Elasticsearch " + operation + " failed: " + describe(cause), cause);
    }, executor);
  }

  private static String describe(Throwable cause) {
    if (cause instanceof ElasticsearchException es) {
      return "status " + es.status() + ", " + es.error().type() + ": " + es.error().reason();
    }
    if (cause instanceof ResponseException response) {
      JsonNode error = errorBody(response).path("error");
      return "status " + response.getResponse().getStatusLine().getStatusCode()
          + (error.isObject() ? ", " + error.path("type").asText() + ": " + error.path("reason").asText() : "");
    }
    return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
  }

  /** The Elasticsearch error type of a failed call ({@code index_not_found_exception}, ...), or "". */
  private static String errorType(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof ElasticsearchStoreException && cause.getCause() != null) cause = cause.getCause();
    if (cause instanceof ElasticsearchException es) return String.valueOf(es.error().type());
    if (cause instanceof ResponseException response) return errorBody(response).path("error").path("type").asText();
    return "";
  }

  private static JsonNode errorBody(ResponseException response) {
    try {
      HttpEntity entity = response.getResponse().getEntity();
      return entity == null ? MissingNode.getInstance() : ERRORS.readTree(EntityUtils.toString(entity));
    } catch (IOException | RuntimeException unreadable) {
      return MissingNode.getInstance();
    }
  }

  private static boolean indexMissing(Throwable failure) {
    return errorType(failure).equals("index_not_found_exception");
  }

  private static boolean alreadyExists(Throwable failure) {
    return errorType(failure).equals("resource_already_exists_exception");
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) cause = cause.getCause();
    return cause;
  }

  private static CompletionException asCompletion(Throwable failure) {
    Throwable cause = unwrap(failure);
    return cause instanceof CompletionException c ? c : new CompletionException(cause);
  }

  private static String hash(String value) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }
}
