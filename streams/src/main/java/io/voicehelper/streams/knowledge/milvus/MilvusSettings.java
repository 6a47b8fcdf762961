package io.voicehelper.streams.knowledge.milvus;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Settings of the Milvus vector store, read once from {@code voicehelper.knowledge.milvus} (see
 * {@code reference.conf} for what each key does, its unit and its default).
 *
 * @param uri the server, {@code http://host:19530} or {@code https://...} for TLS (Zilliz Cloud)
 * @param token {@code user:password} or an API key; empty when authentication is off; never printed
 * @param database the Milvus database; empty for the server's {@code default}
 * @param layout how tenants are separated
 * @param collectionPrefix the shared collection's name, or the prefix of each tenant's collection
 * @param partitionKeyPartitions partitions of the shared collection that tenants are hashed into
 * @param dimension length of every vector; must equal the embedder's
 * @param index the vector index and its build and search parameters
 * @param consistency consistency level of searches: {@code STRONG} makes a completed write visible
 * @param connectTimeout how long connecting (and the handshake) may take
 * @param requestTimeout deadline of each call to the server
 * @param maxRetries retries the SDK makes of a call that failed with a retriable error (unavailable, rate limited)
 * @param retryBackoff the SDK's first wait between retries (doubles up to 3 s)
 * @param upsertBatch most rows sent in one upsert call
 */
public record MilvusSettings(
    String uri,
    String token,
    String database,
    Layout layout,
    String collectionPrefix,
    int partitionKeyPartitions,
    int dimension,
    Index index,
    String consistency,
    Duration connectTimeout,
    Duration requestTimeout,
    int maxRetries,
    Duration retryBackoff,
    int upsertBatch) {

  /** The config path these settings are read from. */
  public static final String CONFIG_PATH = "voicehelper.knowledge.milvus";

  /** How tenants are separated. */
  public enum Layout {
    /** One collection per tenant: strongest isolation, each tenant's collection loaded (in memory) on its own. */
    COLLECTION_PER_TENANT,
    /** One shared collection whose {@code tenant} field is the partition key: scales to many small tenants. */
    PARTITION_KEY
  }

  /** The vector index; always with the COSINE metric (the vectors are L2-normalised). */
  public sealed interface Index {
    /** Milvus' name of the index type. */
    String type();

    /** Parameters of the index build. */
    Map<String, Object> buildParams();

    /** Parameters of a search for at most {@code limit} hits. */
    Map<String, Object> searchParams(int limit);

    /** Graph index: {@code m} links per node, {@code efConstruction} build beam, {@code ef} search beam. */
    record Hnsw(int m, int efConstruction, int ef) implements Index {
      public String type() {
        return "HNSW";
      }

      public Map<String, Object> buildParams() {
        return Map.of("M", m, "efConstruction", efConstruction);
      }

      /** Milvus refuses an {@code ef} below the search's limit (topk), so it is raised to it. */
      public Map<String, Object> searchParams(int limit) {
        return Map.of("ef", Math.max(ef, limit));
      }
    }

    /** Inverted-file index: {@code nlist} clusters at build time, {@code nprobe} clusters visited per search. */
    record IvfFlat(int nlist, int nprobe) implements Index {
      public String type() {
        return "IVF_FLAT";
      }

      public Map<String, Object> buildParams() {
        return Map.of("nlist", nlist);
      }

      public Map<String, Object> searchParams(int limit) {
        return Map.of("nprobe", nprobe);
      }
    }
  }

  public MilvusSettings {
    uri = uri == null ? "" : uri.strip();
    token = token == null ? "" : token.strip();
    database = database == null ? "" : database.strip();
    consistency = consistency == null ? "STRONG" : consistency.strip().toUpperCase(Locale.ROOT);
    if (uri.isEmpty()) throw new IllegalArgumentException(CONFIG_PATH + ".uri must be set (MILVUS_URI)");
    if (!collectionPrefix.matches("[A-Za-z_][A-Za-z0-9_]{0,63}")) {
      throw new IllegalArgumentException(
          CONFIG_PATH + ".collection-prefix must be a letter or '_' then letters, digits or '_' (at most 64)");
    }
    if (dimension < 1 || dimension > 32768) {
      throw new IllegalArgumentException(CONFIG_PATH + ".dimension must be in 1..32768");
    }
    if (partitionKeyPartitions < 1 || partitionKeyPartitions > 1024) {
      throw new IllegalArgumentException(CONFIG_PATH + ".partition-key-partitions must be in 1..1024");
    }
    if (!consistency.matches("STRONG|SESSION|BOUNDED|EVENTUALLY")) {
      throw new IllegalArgumentException(
          CONFIG_PATH + ".consistency must be STRONG, SESSION, BOUNDED or EVENTUALLY, not " + consistency);
    }
    if (maxRetries < 0) throw new IllegalArgumentException(CONFIG_PATH + ".max-retries must be >= 0");
    if (upsertBatch < 1) throw new IllegalArgumentException(CONFIG_PATH + ".upsert-batch must be >= 1");
    if (requestTimeout.isZero() || requestTimeout.isNegative()) {
      throw new IllegalArgumentException(CONFIG_PATH + ".request-timeout must be positive");
    }
  }

  /** Settings for a server at {@code uri} with the defaults of {@code reference.conf}; for tests and tools. */
  public static MilvusSettings defaults(String uri, Layout layout, int dimension) {
    return new MilvusSettings(uri, "", "", layout, "vh_chunks", 16, dimension, new Index.Hnsw(16, 200, 64),
        "STRONG", Duration.ofSeconds(10), Duration.ofSeconds(30), 3, Duration.ofMillis(100), 500);
  }

  /** Reads the settings from the {@code voicehelper.knowledge.milvus} section. */
  public static MilvusSettings fromConfig(Config config) {
    String layoutName = config.getString("layout").strip().toLowerCase(Locale.ROOT);
    Layout layout =
        switch (layoutName) {
          case "collection-per-tenant" -> Layout.COLLECTION_PER_TENANT;
          case "partition-key" -> Layout.PARTITION_KEY;
          default ->
              throw new IllegalArgumentException(
                  CONFIG_PATH + ".layout must be collection-per-tenant or partition-key, not " + layoutName);
        };
    String indexType = config.getString("index.type").strip().toUpperCase(Locale.ROOT);
    Index index =
        switch (indexType) {
          case "HNSW" -> new Index.Hnsw(config.getInt("index.hnsw.m"), config.getInt("index.hnsw.ef-construction"),
              config.getInt("index.hnsw.ef"));
          case "IVF_FLAT" -> new Index.IvfFlat(config.getInt("index.ivf-flat.nlist"),
              config.getInt("index.ivf-flat.nprobe"));
          default ->
              throw new IllegalArgumentException(CONFIG_PATH + ".index.type must be HNSW or IVF_FLAT, not " + indexType);
        };
    String metric = config.getString("metric").strip().toUpperCase(Locale.ROOT);
    if (!metric.equals("COSINE")) {
      throw new IllegalArgumentException(CONFIG_PATH + ".metric must be COSINE (scores are cosine similarities)");
    }
    return new MilvusSettings(
        config.getString("uri"),
        config.getString("token"),
        config.getString("database"),
        layout,
        config.getString("collection-prefix").strip(),
        config.getInt("partition-key-partitions"),
        config.getInt("dimension"),
        index,
        config.getString("consistency"),
        config.getDuration("connect-timeout"),
        config.getDuration("request-timeout"),
        config.getInt("max-retries"),
        config.getDuration("retry-backoff"),
        config.getInt("upsert-batch"));
  }

  /** A copy with another layout. */
  public MilvusSettings withLayout(Layout newLayout) {
    return new MilvusSettings(uri, token, database, newLayout, collectionPrefix, partitionKeyPartitions, dimension,
        index, consistency, connectTimeout, requestTimeout, maxRetries, retryBackoff, upsertBatch);
  }

  /** A copy with other timeouts and retries. */
  public MilvusSettings withTimeouts(Duration newConnectTimeout, Duration newRequestTimeout, int newMaxRetries,
      Duration newRetryBackoff) {
    return new MilvusSettings(uri, token, database, layout, collectionPrefix, partitionKeyPartitions, dimension,
        index, consistency, newConnectTimeout, newRequestTimeout, newMaxRetries, newRetryBackoff, upsertBatch);
  }

  /** A copy with another collection prefix (tests use one per run against a real server). */
  public MilvusSettings withCollectionPrefix(String newPrefix) {
    return new MilvusSettings(uri, token, database, layout, newPrefix, partitionKeyPartitions, dimension,
        index, consistency, connectTimeout, requestTimeout, maxRetries, retryBackoff, upsertBatch);
  }

  /** A copy with another index. */
  public MilvusSettings withIndex(Index newIndex) {
    return new MilvusSettings(uri, token, database, layout, collectionPrefix, partitionKeyPartitions, dimension,
        newIndex, consistency, connectTimeout, requestTimeout, maxRetries, retryBackoff, upsertBatch);
  }

  /** Like the record's own, but the token is masked so that the settings can be logged. */
  @Override
  public String toString() {
    return "MilvusSettings[uri=" + uri + ", token=" + (token.isEmpty() ? "" : "***") + ", database=" + database
        + ", layout=" + layout + ", collectionPrefix=" + collectionPrefix + ", partitionKeyPartitions="
        + partitionKeyPartitions + ", dimension=" + dimension + ", index=" + index + ", consistency=" + consistency
        + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout + ", maxRetries=" + maxRetries
        + ", retryBackoff=" + retryBackoff + ", upsertBatch=" + upsertBatch + "]";
  }
}
