package io.voicehelper.streams.knowledge.milvus;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.client.RetryConfig;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddCollectionFieldReq;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.collection.request.DescribeCollectionReq;
import io.milvus.v2.service.collection.request.GetLoadStateReq;
import io.milvus.v2.service.collection.request.HasCollectionReq;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.index.request.CreateIndexReq;
import io.milvus.v2.service.index.request.ListIndexesReq;
import io.milvus.v2.service.vector.request.DeleteReq;
import io.milvus.v2.service.vector.request.SearchReq;
import io.milvus.v2.service.vector.request.UpsertReq;
import io.milvus.v2.service.vector.request.data.FloatVec;
import io.milvus.v2.service.vector.response.SearchResp;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.streams.knowledge.index.VectorStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vector half of the knowledge index in Milvus, through the SDK's v2 client. One collection per tenant or one
 * shared collection partitioned by the tenant (see {@link MilvusSettings.Layout}); a collection is created with its
 * index and loaded on first write, once per process. Every search and delete is also filtered by tenant, whatever
 * the layout. The SDK blocks, so every call runs on the given executor (a dedicated dispatcher), and each SDK or
 * server error fails the returned stage with a {@link MilvusStoreException} that names the operation.
 */
public final class MilvusVectorStore implements VectorStore, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(MilvusVectorStore.class);

  static final String CHUNK_ID = "chunk_id";
  static final String TENANT = "tenant";
  static final String COLLECTION = "collection";
  static final String DOCUMENT = "document";
  static final String VERSION = "version";
  static final String POSITION = "position";
  static final String TOKENS = "tokens";
  static final String HEADING_PATH = "heading_path";
  static final String TEXT = "text";
  static final String VECTOR = "vector";
  /** The chunk's document metadata: a JSON object of strings, filtered as {@code metadata["key"] == "value"}. */
  static final String METADATA = "metadata";
  static final String VECTOR_INDEX = "vector_idx";

  /** Longest chunk id, tenant, collection and document id (bytes). */
  static final int ID_MAX_LENGTH = 512;
  /** Longest chunk text and heading path (bytes): Milvus' VarChar limit. */
  static final int TEXT_MAX_LENGTH = 65_535;

  private static final List<String> OUTPUT_FIELDS =
      List.of(CHUNK_ID, TENANT, COLLECTION, DOCUMENT, VERSION, POSITION, TOKENS, HEADING_PATH, TEXT, METADATA);
  private static final Gson GSON = new Gson();

  /** Thrown (as the failure of a stage) when Milvus or the SDK refused a call. */
  public static final class MilvusStoreException extends RuntimeException {
    public MilvusStoreException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final MilvusSettings settings;
  private final Executor executor;
  /** Collections known to exist with their index and loaded, by name; a failed preparation is forgotten. */
  private final Map<String, CompletableFuture<Void>> ready = new ConcurrentHashMap<>();
  private final Object clientLock = new Object();
  private MilvusClientV2 client;
  private boolean closed;

  /** The store; it connects on its first call, so a Milvus that is down fails calls, not start-up. */
  public MilvusVectorStore(MilvusSettings settings, Executor executor) {
    this.settings = settings;
    this.executor = executor;
  }

  /** The collection that holds the tenant's chunks. */
  public String collectionName(String tenantId) {
    return switch (settings.layout()) {
      case COLLECTION_PER_TENANT -> MilvusExpressions.tenantCollection(settings.collectionPrefix(), tenantId);
      case PARTITION_KEY -> settings.collectionPrefix();
    };
  }

  @Override
  public CompletionStage<Void> upsert(List<EmbeddedChunk> chunks) {
    if (chunks.isEmpty()) return CompletableFuture.completedFuture(null);
    Map<String, List<JsonObject>> rowsByCollection = new LinkedHashMap<>();
    try {
      for (EmbeddedChunk chunk : chunks) {
        rowsByCollection.computeIfAbsent(collectionName(chunk.chunk().document().tenantId()), c -> new ArrayList<>())
            .add(row(chunk));
      }
    } catch (IllegalArgumentException invalid) {
      return CompletableFuture.failedFuture(invalid);
    }
    CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
    for (Map.Entry<String, List<JsonObject>> entry : rowsByCollection.entrySet()) {
      String collection = entry.getKey();
      List<JsonObject> rows = entry.getValue();
      all = all.thenCompose(done -> prepare(collection, true))
          .thenCompose(exists -> call("upsert of " + rows.size() + " chunks into " + collection, () -> {
            for (int from = 0; from < rows.size(); from += settings.upsertBatch()) {
              List<JsonObject> batch = rows.subList(from, Math.min(rows.size(), from + settings.upsertBatch()));
              client().upsert(UpsertReq.builder().collectionName(collection).data(batch).build());
            }
            return null;
          }));
    }
    return all;
  }

  @Override
  public CompletionStage<Void> removeDocument(DocumentRef document, int keepVersion) {
    return delete(document.tenantId(), MilvusExpressions.documentFilter(document, keepVersion));
  }

  @Override
  public CompletionStage<Void> removeVersion(DocumentRef document, int version) {
    return delete(document.tenantId(), MilvusExpressions.versionFilter(document, version));
  }

  @Override
  public CompletionStage<Void> removeCollection(String tenantId, String collectionId) {
    return delete(tenantId, MilvusExpressions.collectionFilter(tenantId, collectionId));
  }

  @Override
  public CompletionStage<List<SearchHit>> searchVector(SearchFilter filter, float[] vector, int limit) {
    if (vector.length != settings.dimension()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(
          "query vector has " + vector.length + " dimensions, Milvus is set up for " + settings.dimension()));
    }
    if (limit <= 0) return CompletableFuture.completedFuture(List.of());
    String collection = collectionName(filter.tenantId());
    String expression = MilvusExpressions.searchFilter(filter);
    return prepare(collection, false).thenCompose(exists -> {
      if (!exists) return CompletableFuture.completedFuture(List.<SearchHit>of());
      return call("search in " + collection, () -> {
        SearchResp response = client().search(SearchReq.builder()
            .collectionName(collection)
            .annsField(VECTOR)
            .metricType(IndexParam.MetricType.COSINE)
            .data(List.of(new FloatVec(vector)))
            .limit(limit)
            .filter(expression)
            .outputFields(OUTPUT_FIELDS)
            .searchParams(new LinkedHashMap<>(settings.index().searchParams(limit)))
            .consistencyLevel(ConsistencyLevel.valueOf(settings.consistency()))
            .build());
        List<SearchHit> hits = new ArrayList<>();
        for (List<SearchResp.SearchResult> results : response.getSearchResults()) {
          for (SearchResp.SearchResult result : results) {
            hits.add(new SearchHit(chunk(result.getEntity()), result.getScore()));
          }
        }
        return List.copyOf(hits);
      });
    });
  }

  @Override
  public void close() {
    synchronized (clientLock) {
      closed = true;
      if (client != null) client.close();
      client = null;
    }
  }

  // -------------------------------------------------------------------------------------------------------------

  private CompletionStage<Void> delete(String tenantId, String expression) {
    String collection = collectionName(tenantId);
    return prepare(collection, false).thenCompose(exists -> {
      if (!exists) return CompletableFuture.completedFuture(null);
      return call("delete from " + collection + " where " + expression, () -> {
        client().delete(DeleteReq.builder().collectionName(collection).filter(expression).build());
        return null;
      });
    });
  }

  /**
   * Completes with true once the collection exists with its index and is loaded; with false when it does not
   * exist and {@code create} is false. Done once per collection and process; a failure is retried by the next call.
   */
  private CompletableFuture<Boolean> prepare(String collection, boolean create) {
    CompletableFuture<Void> known = ready.get(collection);
    if (known != null) {
      return known.thenApply(done -> true).exceptionallyCompose(failure -> prepare(collection, create));
    }
    if (!create) {
      return call("check of collection " + collection, () ->
          client().hasCollection(HasCollectionReq.builder().collectionName(collection).build()))
          .thenCompose(exists -> exists ? prepare(collection, true) : CompletableFuture.completedFuture(false));
    }
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> winner = ready.putIfAbsent(collection, mine);
    if (winner != null) return winner.thenApply(done -> true);
    call("preparation of collection " + collection, () -> {
      createCollectionIndexAndLoad(collection);
      return null;
    }).whenComplete((done, failure) -> {
      if (failure == null) {
        mine.complete(null);
      } else {
        ready.remove(collection, mine);
        mine.completeExceptionally(failure);
      }
    });
    return mine.thenApply(done -> true);
  }

  private void createCollectionIndexAndLoad(String collection) {
    MilvusClientV2 milvus = client();
    if (!milvus.hasCollection(HasCollectionReq.builder().collectionName(collection).build())) {
      CreateCollectionReq.CreateCollectionReqBuilder request = CreateCollectionReq.builder()
          .collectionName(collection)
          .description("VoiceHelper knowledge chunks")
          .collectionSchema(schema())
          .consistencyLevel(ConsistencyLevel.BOUNDED);
      if (settings.layout() == MilvusSettings.Layout.PARTITION_KEY) {
        request.numPartitions(settings.partitionKeyPartitions());
      }
      milvus.createCollection(request.build());
      log.info("Created Milvus collection {} ({})", collection, settings.layout());
    } else if (milvus.describeCollection(DescribeCollectionReq.builder().collectionName(collection).build())
        .getCollectionSchema().getField(METADATA) == null) {
      // Created before chunks had metadata: Milvus adds a field only as nullable; its old rows read as null.
      milvus.addCollectionField(AddCollectionFieldReq.builder().collectionName(collection).fieldName(METADATA)
          .dataType(DataType.JSON).isNullable(true).build());
      log.info("Added the metadata field to Milvus collection {}", collection);
    }
    List<String> indexes = milvus.listIndexes(ListIndexesReq.builder().collectionName(collection).build());
    if (!indexes.contains(VECTOR_INDEX)) {
      milvus.createIndex(CreateIndexReq.builder().collectionName(collection).indexParams(List.of(indexParam()))
          .sync(false).build());
    }
    if (!milvus.getLoadState(GetLoadStateReq.builder().collectionName(collection).build())) {
      milvus.loadCollection(LoadCollectionReq.builder().collectionName(collection)
          .timeout(settings.requestTimeout().toMillis()).build());
    }
  }

  private CreateCollectionReq.CollectionSchema schema() {
    boolean partitionKey = settings.layout() == MilvusSettings.Layout.PARTITION_KEY;
    return CreateCollectionReq.CollectionSchema.builder().enableDynamicField(false).build()
        .addField(AddFieldReq.builder().fieldName(CHUNK_ID).dataType(DataType.VarChar).maxLength(ID_MAX_LENGTH)
            .isPrimaryKey(true).autoID(false).build())
        .addField(AddFieldReq.builder().fieldName(TENANT).dataType(DataType.VarChar).maxLength(ID_MAX_LENGTH)
            .isPartitionKey(partitionKey).build())
        .addField(AddFieldReq.builder().fieldName(COLLECTION).dataType(DataType.VarChar).maxLength(ID_MAX_LENGTH)
            .build())
        .addField(AddFieldReq.builder().fieldName(DOCUMENT).dataType(DataType.VarChar).maxLength(ID_MAX_LENGTH)
            .build())
        .addField(AddFieldReq.builder().fieldName(VERSION).dataType(DataType.Int32).build())
        .addField(AddFieldReq.builder().fieldName(POSITION).dataType(DataType.Int32).build())
        .addField(AddFieldReq.builder().fieldName(TOKENS).dataType(DataType.Int32).build())
        .addField(AddFieldReq.builder().fieldName(HEADING_PATH).dataType(DataType.VarChar)
            .maxLength(TEXT_MAX_LENGTH).build())
        .addField(AddFieldReq.builder().fieldName(TEXT).dataType(DataType.VarChar).maxLength(TEXT_MAX_LENGTH).build())
        .addField(AddFieldReq.builder().fieldName(VECTOR).dataType(DataType.FloatVector)
            .dimension(settings.dimension()).build())
        // Nullable like the field added to older collections, so that every collection has the same schema.
        .addField(AddFieldReq.builder().fieldName(METADATA).dataType(DataType.JSON).isNullable(true).build());
  }

  private IndexParam indexParam() {
    MilvusSettings.Index index = settings.index();
    return IndexParam.builder().fieldName(VECTOR).indexName(VECTOR_INDEX)
        .indexType(IndexParam.IndexType.valueOf(index.type())).metricType(IndexParam.MetricType.COSINE)
        .extraParams(new LinkedHashMap<>(index.buildParams())).build();
  }

  private JsonObject row(EmbeddedChunk embedded) {
    Chunk chunk = embedded.chunk();
    DocumentRef ref = chunk.document();
    if (embedded.vector().length != settings.dimension()) {
      throw new IllegalArgumentException("chunk " + chunk.chunkId() + " has a vector of " + embedded.vector().length
          + " dimensions, Milvus is set up for " + settings.dimension());
    }
    JsonObject row = new JsonObject();
    row.addProperty(CHUNK_ID, bounded(CHUNK_ID, chunk.chunkId(), ID_MAX_LENGTH));
    row.addProperty(TENANT, bounded(TENANT, ref.tenantId(), ID_MAX_LENGTH));
    row.addProperty(COLLECTION, bounded(COLLECTION, ref.collectionId(), ID_MAX_LENGTH));
    row.addProperty(DOCUMENT, bounded(DOCUMENT, ref.documentId(), ID_MAX_LENGTH));
    row.addProperty(VERSION, chunk.version());
    row.addProperty(POSITION, chunk.position());
    row.addProperty(TOKENS, chunk.tokens());
    row.addProperty(HEADING_PATH, bounded(HEADING_PATH, GSON.toJson(chunk.headingPath()), TEXT_MAX_LENGTH));
    row.addProperty(TEXT, bounded(TEXT, chunk.text(), TEXT_MAX_LENGTH));
    row.add(METADATA, GSON.toJsonTree(chunk.metadata()));
    JsonArray vector = new JsonArray(embedded.vector().length);
    for (float v : embedded.vector()) vector.add(v);
    row.add(VECTOR, vector);
    return row;
  }

  private static String bounded(String field, String value, int maxBytes) {
    int bytes = value.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > maxBytes) {
      throw new IllegalArgumentException(field + " is " + bytes + " bytes long, Milvus keeps at most " + maxBytes);
    }
    return value;
  }

  private static Chunk chunk(Map<String, Object> entity) {
    DocumentRef ref = new DocumentRef(
        (String) entity.get(TENANT), (String) entity.get(COLLECTION), (String) entity.get(DOCUMENT));
    String[] headings = GSON.fromJson((String) entity.get(HEADING_PATH), String[].class);
    return new Chunk((String) entity.get(CHUNK_ID), ref, ((Number) entity.get(VERSION)).intValue(),
        ((Number) entity.get(POSITION)).intValue(), headings == null ? List.of() : Arrays.asList(headings),
        (String) entity.get(TEXT), ((Number) entity.get(TOKENS)).intValue(), metadata(entity.get(METADATA)));
  }

  /** A JSON field comes out of the SDK as a Gson element (or its text); null for a row older than the field. */
  private static Map<String, String> metadata(Object json) {
    JsonElement element = json instanceof String text ? JsonParser.parseString(text)
        : json instanceof JsonElement e ? e : null;
    if (element == null || !element.isJsonObject()) return Map.of();
    Map<String, String> metadata = new LinkedHashMap<>();
    element.getAsJsonObject().entrySet().forEach(pair -> metadata.put(pair.getKey(), pair.getValue().getAsString()));
    return metadata;
  }

  /** Runs a blocking SDK call on the executor; its failure names the operation and the server's reason. */
  private <T> CompletableFuture<T> call(String operation, Supplier<T> blocking) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return blocking.get();
      } catch (MilvusStoreException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new MilvusStoreException("Milvus " + operation + " failed: " + describe(e), e);
      }
    }, executor);
  }

  private static String describe(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private MilvusClientV2 client() {
    synchronized (clientLock) {
      if (closed) throw new IllegalStateException("the Milvus store is closed");
      if (client == null) {
        ConnectConfig.ConnectConfigBuilder config = ConnectConfig.builder()
            .uri(settings.uri())
            .connectTimeoutMs(settings.connectTimeout().toMillis())
            .rpcDeadlineMs(settings.requestTimeout().toMillis());
        if (!settings.token().isEmpty()) config.token(settings.token());
        if (!settings.database().isEmpty()) config.dbName(settings.database());
        MilvusClientV2 connected;
        try {
          connected = new MilvusClientV2(config.build());
        } catch (RuntimeException e) {
          throw new MilvusStoreException("cannot connect to Milvus at " + settings.uri() + ": " + describe(e), e);
        }
        connected.retryConfig(RetryConfig.builder()
            .maxRetryTimes(settings.maxRetries() + 1)
            .initialBackOffMs(settings.retryBackoff().toMillis())
            .maxBackOffMs(Math.max(settings.retryBackoff().toMillis(), 3000))
            .maxRetryTimeoutMs(settings.requestTimeout().toMillis())
            .build());
        client = connected;
      }
      return client;
    }
  }
}
