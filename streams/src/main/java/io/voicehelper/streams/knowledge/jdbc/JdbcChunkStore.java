package io.voicehelper.streams.knowledge.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.ChunkStore;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import io.voicehelper.streams.jdbc.Transactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@link ChunkStore} on the journal database (tables {@code kb_chunks} and {@code kb_published} of Flyway's
 * {@code V4__knowledge_chunks.sql}, with {@code V6__chunk_metadata.sql}'s metadata column; H2 or PostgreSQL). Every
 * call runs on the given executor, a dispatcher for blocking work. Embeddings are stored as little-endian float32
 * bytes; headings and metadata as JSON.
 *
 * <p>Streams are read in keyset pages of {@code pageSize} rows, each page one short query on the executor, fetched
 * only when downstream asks for more: a rebuild of any size holds at most a page or two in memory and no connection
 * between pages.
 */
public final class JdbcChunkStore implements ChunkStore {

  /** Rows per page of a streamed read. */
  public static final int DEFAULT_PAGE_SIZE = 500;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> PAIRS = new TypeReference<>() {};

  private static final String COLUMNS = "c.tenant_id, c.collection_id, c.document_id, c.version, c.position,"
      + " c.chunk_id, c.heading_path, c.text, c.tokens, c.embedding, c.dimension, c.metadata";
  private static final String ORDER = " ORDER BY c.tenant_id, c.collection_id, c.document_id, c.version, c.position,"
      + " c.chunk_id FETCH FIRST ? ROWS ONLY";
  private static final String AFTER =
      " AND (c.tenant_id, c.collection_id, c.document_id, c.version, c.position, c.chunk_id) > (?, ?, ?, ?, ?, ?)";

  private static final String H2_UPSERT_CHUNK = "MERGE INTO kb_chunks (tenant_id, collection_id, chunk_id,"
      + " document_id, version, position, heading_path, text, tokens, embedding, dimension, metadata)"
      + " KEY (tenant_id, collection_id, chunk_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String PG_UPSERT_CHUNK = "INSERT INTO kb_chunks (tenant_id, collection_id, chunk_id,"
      + " document_id, version, position, heading_path, text, tokens, embedding, dimension, metadata)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, collection_id, chunk_id) DO UPDATE SET"
      + " document_id = EXCLUDED.document_id, version = EXCLUDED.version, position = EXCLUDED.position,"
      + " heading_path = EXCLUDED.heading_path, text = EXCLUDED.text, tokens = EXCLUDED.tokens,"
      + " embedding = EXCLUDED.embedding, dimension = EXCLUDED.dimension, metadata = EXCLUDED.metadata";
  private static final String H2_UPSERT_PUBLISHED = "MERGE INTO kb_published (tenant_id, collection_id,"
      + " document_id, version) KEY (tenant_id, collection_id, document_id) VALUES (?, ?, ?, ?)";
  private static final String PG_UPSERT_PUBLISHED = "INSERT INTO kb_published (tenant_id, collection_id,"
      + " document_id, version) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, collection_id, document_id)"
      + " DO UPDATE SET version = EXCLUDED.version";

  private final Transactions transactions;
  private final int pageSize;
  private volatile Boolean postgres;

  /** @param blockingExecutor where the JDBC calls run: a dispatcher for blocking work, never the default one */
  public JdbcChunkStore(DataSource dataSource, Executor blockingExecutor) {
    this(dataSource, blockingExecutor, DEFAULT_PAGE_SIZE);
  }

  /** @param pageSize rows per query of a streamed read */
  public JdbcChunkStore(DataSource dataSource, Executor blockingExecutor, int pageSize) {
    if (pageSize < 1) throw new IllegalArgumentException("pageSize must be >= 1");
    this.transactions = new Transactions(dataSource, blockingExecutor);
    this.pageSize = pageSize;
  }

  /** Runs {@code work} in one transaction on the blocking executor. */
  private <T> CompletionStage<T> tx(String what, Transactions.Work<T> work) {
    return transactions.run(what, work);
  }

  /** H2 and PostgreSQL spell an upsert differently; which one this is, asked once. */
  private boolean isPostgres(Connection connection) throws SQLException {
    Boolean known = postgres;
    if (known == null) {
      known = connection.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT)
          .contains("postgres");
      postgres = known;
    }
    return known;
  }

  @Override
  public CompletionStage<Void> save(List<EmbeddedChunk> chunks) {
    if (chunks.isEmpty()) return CompletableFuture.completedFuture(null);
    return tx("saving " + chunks.size() + " chunks", c -> {
      try (PreparedStatement upsert = c.prepareStatement(isPostgres(c) ? PG_UPSERT_CHUNK : H2_UPSERT_CHUNK)) {
        for (EmbeddedChunk embedded : chunks) {
          Chunk chunk = embedded.chunk();
          DocumentRef doc = chunk.document();
          upsert.setString(1, doc.tenantId());
          upsert.setString(2, doc.collectionId());
          upsert.setString(3, chunk.chunkId());
          upsert.setString(4, doc.documentId());
          upsert.setInt(5, chunk.version());
          upsert.setInt(6, chunk.position());
          upsert.setString(7, toJson(chunk.headingPath()));
          upsert.setString(8, chunk.text());
          upsert.setInt(9, chunk.tokens());
          upsert.setBytes(10, toBytes(embedded.vector()));
          upsert.setInt(11, embedded.vector().length);
          upsert.setString(12, toJson(chunk.metadata()));
          upsert.addBatch();
        }
        upsert.executeBatch();
      }
      return null;
    });
  }

  @Override
  public Source<EmbeddedChunk, NotUsed> version(DocumentRef document, int version) {
    String sql = "SELECT " + COLUMNS + " FROM kb_chunks c WHERE c.tenant_id = ? AND c.collection_id = ?"
        + " AND c.document_id = ? AND c.version = ?";
    return pages("reading chunks of " + document.entityId() + " v" + version, sql, (statement, i) -> {
      statement.setString(i, document.tenantId());
      statement.setString(i + 1, document.collectionId());
      statement.setString(i + 2, document.documentId());
      statement.setInt(i + 3, version);
      return i + 4;
    });
  }

  @Override
  public Source<EmbeddedChunk, NotUsed> published() {
    String sql = "SELECT " + COLUMNS + " FROM kb_published p JOIN kb_chunks c ON c.tenant_id = p.tenant_id"
        + " AND c.collection_id = p.collection_id AND c.document_id = p.document_id AND c.version = p.version"
        + " WHERE 1 = 1";
    return pages("reading published chunks", sql, (statement, i) -> i);
  }

  /** One transaction, so the mark and the ids agree; reads ids only, never text or embeddings. */
  @Override
  public CompletionStage<PublishedVersion> publishedVersion(DocumentRef document) {
    return tx("reading the published version of " + document.entityId(), c -> {
      int version;
      try (PreparedStatement select = c.prepareStatement("SELECT version FROM kb_published WHERE tenant_id = ?"
          + " AND collection_id = ? AND document_id = ?")) {
        setDocument(select, document);
        try (ResultSet rows = select.executeQuery()) {
          if (!rows.next()) return PublishedVersion.NONE;
          version = rows.getInt(1);
        }
      }
      Set<String> ids = new HashSet<>();
      try (PreparedStatement select = c.prepareStatement("SELECT chunk_id FROM kb_chunks WHERE tenant_id = ?"
          + " AND collection_id = ? AND document_id = ? AND version = ?")) {
        setDocument(select, document);
        select.setInt(4, version);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) ids.add(rows.getString(1));
        }
      }
      return new PublishedVersion(version, ids);
    });
  }

  @Override
  public CompletionStage<Integer> count(DocumentRef document, int version) {
    return tx("counting chunks", c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT COUNT(*) FROM kb_chunks WHERE tenant_id = ?"
          + " AND collection_id = ? AND document_id = ? AND version = ?")) {
        setDocument(select, document);
        select.setInt(4, version);
        try (ResultSet rows = select.executeQuery()) {
          rows.next();
          return rows.getInt(1);
        }
      }
    });
  }

  @Override
  public CompletionStage<Void> publish(DocumentRef document, int version) {
    if (version < 0) throw new IllegalArgumentException("version must be >= 0");
    return tx("publishing " + document.entityId() + " v" + version, c -> {
      if (version == 0) {
        deletePublished(c, document);
      } else {
        try (PreparedStatement upsert =
            c.prepareStatement(isPostgres(c) ? PG_UPSERT_PUBLISHED : H2_UPSERT_PUBLISHED)) {
          setDocument(upsert, document);
          upsert.setInt(4, version);
          upsert.executeUpdate();
        }
      }
      return null;
    });
  }

  /** Leaves the published mark alone: a mark on a version without chunks publishes nothing. */
  @Override
  public CompletionStage<Void> deleteVersion(DocumentRef document, int version) {
    return tx("deleting chunks of " + document.entityId() + " v" + version, c -> {
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM kb_chunks WHERE tenant_id = ?"
          + " AND collection_id = ? AND document_id = ? AND version = ?")) {
        setDocument(delete, document);
        delete.setInt(4, version);
        delete.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public CompletionStage<Void> deleteDocument(DocumentRef document) {
    return tx("deleting chunks of " + document.entityId(), c -> {
      try (PreparedStatement delete = c.prepareStatement(
          "DELETE FROM kb_chunks WHERE tenant_id = ? AND collection_id = ? AND document_id = ?")) {
        setDocument(delete, document);
        delete.executeUpdate();
      }
      deletePublished(c, document);
      return null;
    });
  }

  private static void deletePublished(Connection c, DocumentRef document) throws SQLException {
    try (PreparedStatement delete = c.prepareStatement(
        "DELETE FROM kb_published WHERE tenant_id = ? AND collection_id = ? AND document_id = ?")) {
      setDocument(delete, document);
      delete.executeUpdate();
    }
  }

  private static void setDocument(PreparedStatement statement, DocumentRef document) throws SQLException {
    statement.setString(1, document.tenantId());
    statement.setString(2, document.collectionId());
    statement.setString(3, document.documentId());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Keyset paging

  /** Binds the query's own parameters from index {@code first}; returns the next free index. */
  @FunctionalInterface
  private interface Binder {
    int bind(PreparedStatement statement, int first) throws SQLException;
  }

  /** Where the previous page ended: the sort key of its last row. */
  private record Key(String tenantId, String collectionId, String documentId, int version, int position,
      String chunkId) {}

  /** The state between pages: the last key read (none before the first page), or the end. */
  private record Cursor(Optional<Key> after, boolean exhausted) {}

  /**
   * The rows of {@code sql} (a {@code SELECT} of {@link #COLUMNS} whose {@code WHERE} the keyset condition can be
   * appended to) in key order, one page per query, each page read only when downstream asks for more.
   */
  private Source<EmbeddedChunk, NotUsed> pages(String what, String sql, Binder binder) {
    return Source.unfoldAsync(new Cursor(Optional.empty(), false), cursor -> {
      if (cursor.exhausted()) return CompletableFuture.completedFuture(Optional.empty());
      return tx(what, c -> page(c, sql, binder, cursor.after())).thenApply(rows -> {
        if (rows.isEmpty()) return Optional.<Pair<Cursor, List<EmbeddedChunk>>>empty();
        Chunk last = rows.get(rows.size() - 1).chunk();
        DocumentRef doc = last.document();
        Key key = new Key(doc.tenantId(), doc.collectionId(), doc.documentId(), last.version(), last.position(),
            last.chunkId());
        return Optional.of(Pair.create(new Cursor(Optional.of(key), rows.size() < pageSize), rows));
      });
    }).mapConcat(rows -> rows);
  }

  private List<EmbeddedChunk> page(Connection c, String sql, Binder binder, Optional<Key> after)
      throws SQLException {
    try (PreparedStatement select = c.prepareStatement(sql + (after.isPresent() ? AFTER : "") + ORDER)) {
      int i = binder.bind(select, 1);
      if (after.isPresent()) {
        Key key = after.get();
        select.setString(i++, key.tenantId());
        select.setString(i++, key.collectionId());
        select.setString(i++, key.documentId());
        select.setInt(i++, key.version());
        select.setInt(i++, key.position());
        select.setString(i++, key.chunkId());
      }
      select.setInt(i, pageSize);
      try (ResultSet rows = select.executeQuery()) {
        List<EmbeddedChunk> chunks = new ArrayList<>(pageSize);
        while (rows.next()) chunks.add(embeddedChunk(rows));
        return chunks;
      }
    }
  }

  private static EmbeddedChunk embeddedChunk(ResultSet rows) throws SQLException {
    DocumentRef document = new DocumentRef(rows.getString(1), rows.getString(2), rows.getString(3));
    Chunk chunk = new Chunk(rows.getString(6), document, rows.getInt(4), rows.getInt(5),
        fromJson(rows.getString(7), STRINGS), rows.getString(8), rows.getInt(9),
        fromJson(rows.getString(12), PAIRS));
    return new EmbeddedChunk(chunk, fromBytes(rows.getBytes(10), rows.getInt(11)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Encodings

  /** The vector as little-endian float32 bytes, the layout of the {@code embedding} column. */
  static byte[] toBytes(float[] vector) {
    ByteBuffer buffer = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(vector);
    return buffer.array();
  }

  static float[] fromBytes(byte[] bytes, int dimension) {
    if (bytes.length != dimension * Float.BYTES) {
      throw new IllegalStateException("an embedding of " + bytes.length + " bytes does not hold " + dimension
          + " floats");
    }
    float[] vector = new float[dimension];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
    return vector;
  }

  /** Headings (a list) or metadata (a map) of strings as JSON. */
  private static String toJson(Object strings) {
    try {
      return JSON.writeValueAsString(strings);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("strings are always JSON", e);
    }
  }

  private static <T> T fromJson(String json, TypeReference<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a chunk column does not hold " + type.getType() + " as JSON: " + json, e);
    }
  }
}
