package io.voicehelper.streams.knowledge.milvus;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.milvus.grpc.AddCollectionFieldRequest;
import io.milvus.grpc.BoolResponse;
import io.milvus.grpc.CollectionSchema;
import io.milvus.grpc.ConnectRequest;
import io.milvus.grpc.ConnectResponse;
import io.milvus.grpc.CreateCollectionRequest;
import io.milvus.grpc.CreateIndexRequest;
import io.milvus.grpc.DataType;
import io.milvus.grpc.DeleteRequest;
import io.milvus.grpc.DescribeCollectionRequest;
import io.milvus.grpc.DescribeCollectionResponse;
import io.milvus.grpc.DescribeIndexRequest;
import io.milvus.grpc.DescribeIndexResponse;
import io.milvus.grpc.ErrorCode;
import io.milvus.grpc.FieldData;
import io.milvus.grpc.FieldSchema;
import io.milvus.grpc.FloatArray;
import io.milvus.grpc.GetLoadStateRequest;
import io.milvus.grpc.GetLoadStateResponse;
import io.milvus.grpc.GetLoadingProgressRequest;
import io.milvus.grpc.GetLoadingProgressResponse;
import io.milvus.grpc.GetVersionRequest;
import io.milvus.grpc.GetVersionResponse;
import io.milvus.grpc.HasCollectionRequest;
import io.milvus.grpc.IDs;
import io.milvus.grpc.IndexDescription;
import io.milvus.grpc.IndexState;
import io.milvus.grpc.IntArray;
import io.milvus.grpc.JSONArray;
import io.milvus.grpc.KeyValuePair;
import io.milvus.grpc.ListDatabasesRequest;
import io.milvus.grpc.ListDatabasesResponse;
import io.milvus.grpc.LoadCollectionRequest;
import io.milvus.grpc.LoadState;
import io.milvus.grpc.LongArray;
import io.milvus.grpc.MilvusServiceGrpc;
import io.milvus.grpc.MutationResult;
import io.milvus.grpc.PlaceholderGroup;
import io.milvus.grpc.ScalarField;
import io.milvus.grpc.SearchRequest;
import io.milvus.grpc.SearchResultData;
import io.milvus.grpc.SearchResults;
import io.milvus.grpc.ServerInfo;
import io.milvus.grpc.Status;
import io.milvus.grpc.StringArray;
import io.milvus.grpc.UpsertRequest;
import io.milvus.grpc.VectorField;
import io.milvus.shaded.io.grpc.Server;
import io.milvus.shaded.io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.milvus.shaded.io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A loopback Milvus speaking the real gRPC protocol of {@code milvus.proto.milvus.MilvusService}, served by the gRPC
 * Netty server that the SDK shades. It implements what the v2 client calls for the vector store: the handshake
 * ({@code Connect}, {@code ListDatabases}, {@code GetVersion}), {@code HasCollection}, {@code CreateCollection},
 * {@code DescribeCollection}, {@code CreateIndex}, {@code DescribeIndex}, {@code LoadCollection},
 * {@code GetLoadState}, {@code GetLoadingProgress}, {@code AddCollectionField} (nullable fields only, as Milvus),
 * {@code Upsert}, {@code Delete} and {@code Search} (brute-force cosine over the stored rows, honouring the
 * boolean-expression subset {@code ==, !=, in [...], &&, ||, ( )} with Milvus' string escapes, where a field may be
 * a JSON field's key, {@code metadata["key"]}). JSON fields hold objects of strings.
 * Faults can be scripted per method: a non-success Milvus status, a gRPC error, or a call that never answers.
 */
public final class FakeMilvusServer implements AutoCloseable {

  private static final com.google.gson.Gson GSON = new com.google.gson.Gson();
  private static final java.lang.reflect.Type STRING_MAP =
      new com.google.gson.reflect.TypeToken<Map<String, String>>() {}.getType();

  /** How a scripted call fails. */
  public sealed interface Fault {
    /** Answers with a non-success {@code Status} carrying {@code code} and {@code reason}. */
    record MilvusError(int code, String reason) implements Fault {}

    /** Fails the call with a gRPC status, e.g. {@code UNAVAILABLE}. */
    record GrpcError(io.milvus.shaded.io.grpc.Status.Code code, String description) implements Fault {}

    /** Never answers (until the server closes): the client's deadline must end the call. */
    record Stall() implements Fault {}
  }

  /** A collection as the fake keeps it. */
  static final class FakeCollection {
    final long id;
    volatile CollectionSchema schema;
    final long numPartitions;
    final Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
    volatile IndexDescription index;
    volatile boolean loaded;

    FakeCollection(long id, CollectionSchema schema, long numPartitions) {
      this.id = id;
      this.schema = schema;
      this.numPartitions = numPartitions;
    }

    FieldSchema field(String name) {
      return schema.getFieldsList().stream().filter(f -> f.getName().equals(name)).findFirst().orElse(null);
    }

    String primaryKey() {
      return schema.getFieldsList().stream().filter(FieldSchema::getIsPrimaryKey).findFirst().orElseThrow().getName();
    }
  }

  private final Server server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, FakeCollection> collections = new ConcurrentHashMap<>();
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final Map<String, List<Fault>> faults = new ConcurrentHashMap<>();
  private final List<SearchRequest> searches = new CopyOnWriteArrayList<>();
  private final List<String> deleteExpressions = new CopyOnWriteArrayList<>();
  private final CountDownLatch released = new CountDownLatch(1);
  private final AtomicLong ids = new AtomicLong(1000);

  private FakeMilvusServer() throws IOException {
    server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(new Service())
        .executor(executor)
        .build()
        .start();
  }

  public static FakeMilvusServer start() throws IOException {
    return new FakeMilvusServer();
  }

  public String uri() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /** The next {@code times} calls of {@code method} (the gRPC method name, e.g. {@code Search}) fail so. */
  public void failNext(String method, int times, Fault fault) {
    List<Fault> queue = faults.computeIfAbsent(method, m -> new CopyOnWriteArrayList<>());
    for (int i = 0; i < times; i++) queue.add(fault);
  }

  /** How often {@code method} was called. */
  public int calls(String method) {
    return (int) calls.stream().filter(method::equals).count();
  }

  List<String> calls() {
    return List.copyOf(calls);
  }

  List<SearchRequest> searches() {
    return List.copyOf(searches);
  }

  List<String> deleteExpressions() {
    return List.copyOf(deleteExpressions);
  }

  FakeCollection collection(String name) {
    return collections.get(name);
  }

  /** Takes {@code field} out of the collection's schema and rows: a collection created before the field existed. */
  void dropField(String collection, String field) {
    FakeCollection c = collections.get(collection);
    CollectionSchema.Builder schema = c.schema.toBuilder().clearFields();
    c.schema.getFieldsList().stream().filter(f -> !f.getName().equals(field)).forEach(schema::addFields);
    c.schema = schema.build();
    synchronized (c.rows) {
      c.rows.values().forEach(row -> row.remove(field));
    }
  }

  @Override
  public void close() {
    released.countDown();
    server.shutdownNow();
    executor.shutdownNow();
  }

  // -------------------------------------------------------------------------------------------------------------

  private static Status ok() {
    return Status.newBuilder().setErrorCode(ErrorCode.Success).setCode(0).build();
  }

  private static Status error(ErrorCode legacy, int code, String reason) {
    return Status.newBuilder().setErrorCode(legacy).setCode(code).setReason(reason).build();
  }

  /** Thrown by a handler to answer with a Milvus error status. */
  private static final class MilvusFailure extends RuntimeException {
    final Status status;

    MilvusFailure(ErrorCode legacy, int code, String reason) {
      super(reason, null, false, false);
      this.status = error(legacy, code, reason);
    }
  }

  /** Records the call, applies a scripted fault, else answers with {@code handler}'s response. */
  private <T> void serve(String method, StreamObserver<T> out, Function<Status, T> failed, Supplier<T> handler) {
    calls.add(method);
    List<Fault> queue = faults.get(method);
    Fault fault = queue == null || queue.isEmpty() ? null : queue.remove(0);
    if (fault instanceof Fault.GrpcError grpc) {
      out.onError(io.milvus.shaded.io.grpc.Status.fromCode(grpc.code()).withDescription(grpc.description())
          .asRuntimeException());
      return;
    }
    if (fault instanceof Fault.Stall) {
      try {
        released.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    T response;
    if (fault instanceof Fault.MilvusError milvus) {
      response = failed.apply(error(ErrorCode.UnexpectedError, milvus.code(), milvus.reason()));
    } else {
      try {
        response = handler.get();
      } catch (MilvusFailure e) {
        response = failed.apply(e.status);
      }
    }
    out.onNext(response);
    out.onCompleted();
  }

  private FakeCollection existing(String name) {
    FakeCollection collection = collections.get(name);
    if (collection == null) {
      throw new MilvusFailure(ErrorCode.CollectionNotExists, 100,
          "collection not found[database=default][collection=" + name + "]");
    }
    return collection;
  }

  private final class Service extends MilvusServiceGrpc.MilvusServiceImplBase {

    @Override
    public void connect(ConnectRequest request, StreamObserver<ConnectResponse> out) {
      serve("Connect", out, s -> ConnectResponse.newBuilder().setStatus(s).build(),
          () -> ConnectResponse.newBuilder().setStatus(ok()).setIdentifier(ids.incrementAndGet())
              .setServerInfo(ServerInfo.newBuilder().setBuildTags("v2.6.0-fake").setDeployMode("STANDALONE"))
              .build());
    }

    @Override
    public void getVersion(GetVersionRequest request, StreamObserver<GetVersionResponse> out) {
      serve("GetVersion", out, s -> GetVersionResponse.newBuilder().setStatus(s).build(),
          () -> GetVersionResponse.newBuilder().setStatus(ok()).setVersion("v2.6.0-fake").build());
    }

    @Override
    public void listDatabases(ListDatabasesRequest request, StreamObserver<ListDatabasesResponse> out) {
      serve("ListDatabases", out, s -> ListDatabasesResponse.newBuilder().setStatus(s).build(),
          () -> ListDatabasesResponse.newBuilder().setStatus(ok()).addDbNames("default").build());
    }

    @Override
    public void hasCollection(HasCollectionRequest request, StreamObserver<BoolResponse> out) {
      serve("HasCollection", out, s -> BoolResponse.newBuilder().setStatus(s).build(),
          () -> BoolResponse.newBuilder().setStatus(ok())
              .setValue(collections.containsKey(request.getCollectionName())).build());
    }

    @Override
    public void createCollection(CreateCollectionRequest request, StreamObserver<Status> out) {
      serve("CreateCollection", out, s -> s, () -> {
        CollectionSchema schema;
        try {
          schema = CollectionSchema.parseFrom(request.getSchema());
        } catch (InvalidProtocolBufferException e) {
          throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "invalid schema: " + e.getMessage());
        }
        CollectionSchema.Builder numbered = schema.toBuilder().setName(request.getCollectionName());
        for (int i = 0; i < numbered.getFieldsCount(); i++) {
          numbered.setFields(i, numbered.getFields(i).toBuilder().setFieldID(100 + i));
        }
        collections.putIfAbsent(request.getCollectionName(),
            new FakeCollection(ids.incrementAndGet(), numbered.build(), request.getNumPartitions()));
        return ok();
      });
    }

    @Override
    public void describeCollection(DescribeCollectionRequest request, StreamObserver<DescribeCollectionResponse> out) {
      serve("DescribeCollection", out, s -> DescribeCollectionResponse.newBuilder().setStatus(s).build(), () -> {
        FakeCollection collection = existing(request.getCollectionName());
        return DescribeCollectionResponse.newBuilder().setStatus(ok()).setSchema(collection.schema)
            .setCollectionID(collection.id).setCollectionName(request.getCollectionName()).setDbName("default")
            .setShardsNum(1).setNumPartitions(collection.numPartitions)
            .setConsistencyLevel(io.milvus.grpc.ConsistencyLevel.Bounded).build();
      });
    }

    @Override
    public void createIndex(CreateIndexRequest request, StreamObserver<Status> out) {
      serve("CreateIndex", out, s -> s, () -> {
        FakeCollection collection = existing(request.getCollectionName());
        if (collection.field(request.getFieldName()) == null) {
          throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "field not found: " + request.getFieldName());
        }
        collection.index = IndexDescription.newBuilder().setIndexName(request.getIndexName())
            .setFieldName(request.getFieldName()).setIndexID(ids.incrementAndGet())
            .addAllParams(request.getExtraParamsList()).setState(IndexState.Finished).build();
        return ok();
      });
    }

    @Override
    public void describeIndex(DescribeIndexRequest request, StreamObserver<DescribeIndexResponse> out) {
      serve("DescribeIndex", out, s -> DescribeIndexResponse.newBuilder().setStatus(s).build(), () -> {
        FakeCollection collection = existing(request.getCollectionName());
        IndexDescription index = collection.index;
        if (index == null) {
          throw new MilvusFailure(ErrorCode.IndexNotExist, 700,
              "index not found[collection=" + request.getCollectionName() + "]");
        }
        long rows;
        synchronized (collection.rows) {
          rows = collection.rows.size();
        }
        return DescribeIndexResponse.newBuilder().setStatus(ok())
            .addIndexDescriptions(index.toBuilder().setIndexedRows(rows).setTotalRows(rows)).build();
      });
    }

    @Override
    public void loadCollection(LoadCollectionRequest request, StreamObserver<Status> out) {
      serve("LoadCollection", out, s -> s, () -> {
        FakeCollection collection = existing(request.getCollectionName());
        if (collection.index == null) {
          throw new MilvusFailure(ErrorCode.IndexNotExist, 700,
              "there is no vector index on field: [vector], please create index firstly");
        }
        collection.loaded = true;
        return ok();
      });
    }

    @Override
    public void getLoadState(GetLoadStateRequest request, StreamObserver<GetLoadStateResponse> out) {
      serve("GetLoadState", out, s -> GetLoadStateResponse.newBuilder().setStatus(s).build(), () -> {
        FakeCollection collection = existing(request.getCollectionName());
        return GetLoadStateResponse.newBuilder().setStatus(ok())
            .setState(collection.loaded ? LoadState.LoadStateLoaded : LoadState.LoadStateNotLoad).build();
      });
    }

    @Override
    public void getLoadingProgress(GetLoadingProgressRequest request,
        StreamObserver<GetLoadingProgressResponse> out) {
      serve("GetLoadingProgress", out, s -> GetLoadingProgressResponse.newBuilder().setStatus(s).build(), () -> {
        FakeCollection collection = existing(request.getCollectionName());
        return GetLoadingProgressResponse.newBuilder().setStatus(ok()).setProgress(collection.loaded ? 100 : 0)
            .build();
      });
    }

    @Override
    public void addCollectionField(AddCollectionFieldRequest request, StreamObserver<Status> out) {
      serve("AddCollectionField", out, s -> s, () -> {
        FakeCollection collection = existing(request.getCollectionName());
        FieldSchema field;
        try {
          field = FieldSchema.parseFrom(request.getSchema());
        } catch (InvalidProtocolBufferException e) {
          throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "invalid field schema: " + e.getMessage());
        }
        if (!field.getNullable()) {
          throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "added field must be nullable");
        }
        if (collection.field(field.getName()) != null) {
          throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "duplicate field name " + field.getName());
        }
        collection.schema = collection.schema.toBuilder()
            .addFields(field.toBuilder().setFieldID(100 + collection.schema.getFieldsCount())).build();
        return ok();
      });
    }

    @Override
    public void upsert(UpsertRequest request, StreamObserver<MutationResult> out) {
      serve("Upsert", out, s -> MutationResult.newBuilder().setStatus(s).build(), () -> {
        FakeCollection collection = existing(request.getCollectionName());
        List<Map<String, Object>> rows = decodeRows(collection, request.getFieldsDataList(), request.getNumRows());
        String primaryKey = collection.primaryKey();
        StringArray.Builder keys = StringArray.newBuilder();
        synchronized (collection.rows) {
          for (Map<String, Object> row : rows) {
            String key = (String) row.get(primaryKey);
            collection.rows.put(key, row);
            keys.addData(key);
          }
        }
        return MutationResult.newBuilder().setStatus(ok()).setIDs(IDs.newBuilder().setStrId(keys))
            .setUpsertCnt(rows.size()).setTimestamp(System.currentTimeMillis() << 18).build();
      });
    }

    @Override
    public void delete(DeleteRequest request, StreamObserver<MutationResult> out) {
      serve("Delete", out, s -> MutationResult.newBuilder().setStatus(s).build(), () -> {
        FakeCollection collection = existing(request.getCollectionName());
        FakeExpression expression = parse(request.getExpr());
        deleteExpressions.add(request.getExpr());
        int deleted = 0;
        synchronized (collection.rows) {
          var iterator = collection.rows.values().iterator();
          while (iterator.hasNext()) {
            if (expression.matches(iterator.next())) {
              iterator.remove();
              deleted++;
            }
          }
        }
        return MutationResult.newBuilder().setStatus(ok()).setDeleteCnt(deleted)
            .setTimestamp(System.currentTimeMillis() << 18).build();
      });
    }

    @Override
    public void search(SearchRequest request, StreamObserver<SearchResults> out) {
      serve("Search", out, s -> SearchResults.newBuilder().setStatus(s).build(), () -> {
        searches.add(request);
        FakeCollection collection = existing(request.getCollectionName());
        if (!collection.loaded) {
          throw new MilvusFailure(ErrorCode.UnexpectedError, 101,
              "collection not loaded[collection=" + request.getCollectionName() + "]");
        }
        Map<String, String> params = new HashMap<>();
        for (KeyValuePair pair : request.getSearchParamsList()) params.put(pair.getKey(), pair.getValue());
        String annsField = params.getOrDefault("anns_field", "vector");
        int topK = Integer.parseInt(params.getOrDefault("topk", params.getOrDefault("limit", "10")));
        float[] query = queryVector(request.getPlaceholderGroup());
        FakeExpression filter = request.getDsl().isBlank() ? row -> true : parse(request.getDsl());
        List<Map.Entry<Map<String, Object>, Float>> scored = new ArrayList<>();
        synchronized (collection.rows) {
          for (Map<String, Object> row : collection.rows.values()) {
            if (filter.matches(row)) scored.add(Map.entry(row, cosine(query, (float[]) row.get(annsField))));
          }
        }
        scored.sort(Map.Entry.<Map<String, Object>, Float>comparingByValue(Comparator.reverseOrder()));
        List<Map.Entry<Map<String, Object>, Float>> top = scored.subList(0, Math.min(topK, scored.size()));
        return SearchResults.newBuilder().setStatus(ok()).setCollectionName(request.getCollectionName())
            .setResults(resultData(collection, top, request.getOutputFieldsList(), topK)).build();
      });
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Rows, vectors and results

  private static List<Map<String, Object>> decodeRows(FakeCollection collection, List<FieldData> columns, int count) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) rows.add(new HashMap<>());
    for (FieldData column : columns) {
      FieldSchema field = collection.field(column.getFieldName());
      if (field == null) {
        throw new MilvusFailure(ErrorCode.IllegalArgument, 1100,
            "field " + column.getFieldName() + " does not exist in the collection schema");
      }
      for (int i = 0; i < count; i++) rows.get(i).put(field.getName(), value(field, column, i));
    }
    for (FieldSchema field : collection.schema.getFieldsList()) {
      if (!rows.isEmpty() && !rows.get(0).containsKey(field.getName())) {
        throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "field " + field.getName() + " is missing");
      }
    }
    return rows;
  }

  private static Object value(FieldSchema field, FieldData column, int row) {
    DataType type = field.getDataType();
    if (field.getNullable() && column.getValidDataCount() > row && !column.getValidData(row)) return null;
    switch (type) {
      case JSON -> {
        String json = column.getScalars().getJsonData().getData(row).toStringUtf8();
        try {
          return GSON.fromJson(json, STRING_MAP);
        } catch (RuntimeException e) {
          throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "invalid JSON in field " + field.getName());
        }
      }
      case VarChar -> {
        String text = column.getScalars().getStringData().getData(row);
        int max = Integer.parseInt(typeParam(field, "max_length", "65535"));
        if (text.getBytes(StandardCharsets.UTF_8).length > max) {
          throw new MilvusFailure(ErrorCode.IllegalArgument, 1100,
              "length of varchar field " + field.getName() + " exceeds max length " + max);
        }
        return text;
      }
      case Int32, Int16, Int8 -> {
        return column.getScalars().getIntData().getData(row);
      }
      case Int64 -> {
        return column.getScalars().getLongData().getData(row);
      }
      case FloatVector -> {
        int dim = Integer.parseInt(typeParam(field, "dim", "0"));
        if (column.getVectors().getDim() != dim) {
          throw new MilvusFailure(ErrorCode.IllegalArgument, 1100,
              "the dim (" + column.getVectors().getDim() + ") of field data is not equal to schema dim (" + dim + ")");
        }
        float[] vector = new float[dim];
        for (int d = 0; d < dim; d++) vector[d] = column.getVectors().getFloatVector().getData(row * dim + d);
        return vector;
      }
      default -> throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "the fake does not store " + type);
    }
  }

  private static String typeParam(FieldSchema field, String key, String otherwise) {
    return field.getTypeParamsList().stream().filter(p -> p.getKey().equals(key)).map(KeyValuePair::getValue)
        .findFirst().orElse(otherwise);
  }

  private static float[] queryVector(ByteString placeholderGroup) {
    try {
      ByteString bytes = PlaceholderGroup.parseFrom(placeholderGroup).getPlaceholders(0).getValues(0);
      ByteBuffer buffer = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      float[] vector = new float[buffer.remaining() / 4];
      for (int i = 0; i < vector.length; i++) vector[i] = buffer.getFloat();
      return vector;
    } catch (InvalidProtocolBufferException | IndexOutOfBoundsException e) {
      throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "invalid placeholder group: " + e.getMessage());
    }
  }

  private static float cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new MilvusFailure(ErrorCode.IllegalArgument, 1100,
          "vector dimension mismatch, expected vector size(byte) " + b.length * 4 + ", actual " + a.length * 4);
    }
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0f : (float) (dot / Math.sqrt(na * nb));
  }

  private static SearchResultData resultData(FakeCollection collection,
      List<Map.Entry<Map<String, Object>, Float>> top, List<String> outputFields, int topK) {
    String primaryKey = collection.primaryKey();
    SearchResultData.Builder data = SearchResultData.newBuilder().setNumQueries(1).setTopK(topK)
        .addTopks(top.size()).setPrimaryFieldName(primaryKey).addAllOutputFields(outputFields);
    StringArray.Builder ids = StringArray.newBuilder();
    for (Map.Entry<Map<String, Object>, Float> hit : top) {
      ids.addData((String) hit.getKey().get(primaryKey));
      data.addScores(hit.getValue());
    }
    data.setIds(IDs.newBuilder().setStrId(ids));
    for (String name : outputFields) {
      FieldSchema field = collection.field(name);
      if (field == null) {
        throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "field " + name + " not exist");
      }
      FieldData.Builder column = FieldData.newBuilder().setFieldName(name).setType(field.getDataType())
          .setFieldId(field.getFieldID());
      switch (field.getDataType()) {
        case JSON -> {
          JSONArray.Builder values = JSONArray.newBuilder();
          top.forEach(hit -> {
            Object json = hit.getKey().get(name);
            values.addData(ByteString.copyFromUtf8(json == null ? "" : GSON.toJson(json)));
            if (field.getNullable()) column.addValidData(json != null);
          });
          column.setScalars(ScalarField.newBuilder().setJsonData(values));
        }
        case VarChar -> {
          StringArray.Builder values = StringArray.newBuilder();
          top.forEach(hit -> values.addData((String) hit.getKey().get(name)));
          column.setScalars(ScalarField.newBuilder().setStringData(values));
        }
        case Int32, Int16, Int8 -> {
          IntArray.Builder values = IntArray.newBuilder();
          top.forEach(hit -> values.addData((Integer) hit.getKey().get(name)));
          column.setScalars(ScalarField.newBuilder().setIntData(values));
        }
        case Int64 -> {
          LongArray.Builder values = LongArray.newBuilder();
          top.forEach(hit -> values.addData((Long) hit.getKey().get(name)));
          column.setScalars(ScalarField.newBuilder().setLongData(values));
        }
        case FloatVector -> {
          FloatArray.Builder values = FloatArray.newBuilder();
          top.forEach(hit -> {
            for (float v : (float[]) hit.getKey().get(name)) values.addData(v);
          });
          column.setVectors(VectorField.newBuilder().setDim(Integer.parseInt(typeParam(field, "dim", "0")))
              .setFloatVector(values));
        }
        default -> throw new MilvusFailure(ErrorCode.IllegalArgument, 1100, "the fake does not output " + name);
      }
      data.addFieldsData(column);
    }
    return data.build();
  }

  // -------------------------------------------------------------------------------------------------------------
  // The boolean-expression subset: comparisons (==, !=), membership (in [...]), &&, ||, parentheses

  /** A parsed filter expression. */
  interface FakeExpression {
    boolean matches(Map<String, Object> row);
  }

  static FakeExpression parse(String expression) {
    try {
      ExpressionParser parser = new ExpressionParser(expression);
      FakeExpression parsed = parser.or();
      parser.skipBlanks();
      if (parser.pos != expression.length()) throw parser.error("unexpected input");
      return parsed;
    } catch (IllegalArgumentException e) {
      throw new MilvusFailure(ErrorCode.IllegalArgument, 1100,
          "failed to create query plan: cannot parse expression: " + expression + ", error: " + e.getMessage());
    }
  }

  private static final class ExpressionParser {
    final String text;
    int pos;

    ExpressionParser(String text) {
      this.text = text;
    }

    FakeExpression or() {
      FakeExpression left = and();
      while (accept("||") || acceptWord("or")) {
        FakeExpression a = left;
        FakeExpression b = and();
        left = row -> a.matches(row) || b.matches(row);
      }
      return left;
    }

    FakeExpression and() {
      FakeExpression left = comparison();
      while (accept("&&") || acceptWord("and")) {
        FakeExpression a = left;
        FakeExpression b = comparison();
        left = row -> a.matches(row) && b.matches(row);
      }
      return left;
    }

    FakeExpression comparison() {
      if (accept("(")) {
        FakeExpression inner = or();
        if (!accept(")")) throw error("')' expected");
        return inner;
      }
      String field = identifier();
      Function<Map<String, Object>, Object> read = row -> row.get(field);
      if (accept("[")) { // a key of a JSON field: null when the row's field is null or lacks the key
        Object key = literal();
        if (!accept("]")) throw error("']' expected");
        read = row -> row.get(field) instanceof Map<?, ?> json ? json.get(key) : null;
      }
      Function<Map<String, Object>, Object> operand = read;
      if (accept("==")) {
        Object value = literal();
        return row -> value.equals(operand.apply(row));
      }
      if (accept("!=")) {
        Object value = literal();
        return row -> !value.equals(operand.apply(row));
      }
      if (acceptWord("in")) {
        if (!accept("[")) throw error("'[' expected");
        List<Object> values = new ArrayList<>();
        if (!accept("]")) {
          do {
            values.add(literal());
          } while (accept(","));
          if (!accept("]")) throw error("']' expected");
        }
        return row -> values.contains(operand.apply(row));
      }
      throw error("operator expected after " + field);
    }

    String identifier() {
      skipBlanks();
      int start = pos;
      while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) pos++;
      if (start == pos) throw error("field name expected");
      return text.substring(start, pos);
    }

    Object literal() {
      skipBlanks();
      if (pos >= text.length()) throw error("value expected");
      char first = text.charAt(pos);
      if (first == '"' || first == '\'') return string(first);
      int start = pos;
      if (first == '-') pos++;
      while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
      if (start == pos) throw error("value expected");
      return Integer.valueOf(text.substring(start, pos));
    }

    String string(char quote) {
      pos++;
      StringBuilder value = new StringBuilder();
      while (true) {
        if (pos >= text.length()) throw error("unterminated string");
        char c = text.charAt(pos++);
        if (c == quote) return value.toString();
        if (c == '\n' || c == '\r') throw error("line break in string");
        if (c != '\\') {
          value.append(c);
          continue;
        }
        if (pos >= text.length()) throw error("unterminated escape");
        char escaped = text.charAt(pos++);
        switch (escaped) {
          case '\\', '"', '\'' -> value.append(escaped);
          case 'n' -> value.append('\n');
          case 'r' -> value.append('\r');
          case 't' -> value.append('\t');
          case 'u' -> {
            if (pos + 4 > text.length()) throw error("bad \\u escape");
            value.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
            pos += 4;
          }
          default -> throw error("unknown escape \\" + escaped);
        }
      }
    }

    boolean accept(String token) {
      skipBlanks();
      if (text.startsWith(token, pos)) {
        pos += token.length();
        return true;
      }
      return false;
    }

    boolean acceptWord(String word) {
      skipBlanks();
      int end = pos + word.length();
      if (text.regionMatches(true, pos, word, 0, word.length())
          && (end == text.length() || !Character.isLetterOrDigit(text.charAt(end)))) {
        pos = end;
        return true;
      }
      return false;
    }

    void skipBlanks() {
      while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
    }

    IllegalArgumentException error(String message) {
      return new IllegalArgumentException(message + " at " + pos);
    }
  }
}
