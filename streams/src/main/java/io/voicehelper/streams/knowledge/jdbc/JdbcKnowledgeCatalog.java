package io.voicehelper.streams.knowledge.jdbc;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import io.voicehelper.streams.jdbc.Transactions;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * {@link KnowledgeCatalog} on the journal database (tables of Flyway's {@code V5__knowledge_catalog.sql}, the same
 * SQL on H2 and PostgreSQL). Every call runs on the given executor, a dispatcher for blocking work.
 */
public final class JdbcKnowledgeCatalog implements KnowledgeCatalog {

  private static final String UNIQUE_VIOLATION = "23505";
  /** Ids per IN query (document names, collection checks): bounded statements, whatever a request asked for. */
  private static final int NAME_BATCH = 100;
  private static final String COLLECTION_COLUMNS = "tenant_id, collection_id, name, created_by, created_at";
  private static final String DOCUMENT_COLUMNS = "tenant_id, collection_id, document_id, name, state, latest_version,"
      + " published_version, chunks, size_bytes, updated_at";

  private final Transactions transactions;

  public JdbcKnowledgeCatalog(DataSource dataSource, Executor blockingExecutor) {
    this.transactions = new Transactions(dataSource, blockingExecutor);
  }

  /** Runs {@code work} in one transaction on the blocking executor. */
  private <T> CompletionStage<T> tx(String what, Transactions.Work<T> work) {
    return transactions.run(what, work);
  }

  private static String nameKey(String name) {
    return name.strip().toLowerCase(Locale.ROOT);
  }

  @Override
  public CompletionStage<Void> createCollection(Collection c) {
    return tx("creating a collection", connection -> {
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO kb_collections (" + COLLECTION_COLUMNS
          + ", name_key) VALUES (?, ?, ?, ?, ?, ?)")) {
        insert.setString(1, c.tenantId());
        insert.setString(2, c.collectionId());
        insert.setString(3, c.name());
        insert.setString(4, c.createdBy());
        insert.setObject(5, OffsetDateTime.ofInstant(c.createdAt(), ZoneOffset.UTC));
        insert.setString(6, nameKey(c.name()));
        insert.executeUpdate();
        return null;
      } catch (SQLException e) {
        if (UNIQUE_VIOLATION.equals(e.getSQLState())) throw new NameTaken(c.name());
        throw e;
      }
    });
  }

  @Override
  public CompletionStage<Optional<Collection>> collection(String tenantId, String collectionId) {
    return tx("reading a collection", connection -> {
      try (PreparedStatement query = connection.prepareStatement("SELECT " + COLLECTION_COLUMNS
          + " FROM kb_collections WHERE tenant_id = ? AND collection_id = ?")) {
        query.setString(1, tenantId);
        query.setString(2, collectionId);
        return first(query);
      }
    });
  }

  @Override
  public CompletionStage<Optional<Collection>> collectionNamed(String tenantId, String name) {
    return tx("reading a collection", connection -> {
      try (PreparedStatement query = connection.prepareStatement("SELECT " + COLLECTION_COLUMNS
          + " FROM kb_collections WHERE tenant_id = ? AND name_key = ?")) {
        query.setString(1, tenantId);
        query.setString(2, nameKey(name));
        return first(query);
      }
    });
  }

  @Override
  public CompletionStage<List<Collection>> collections(String tenantId, int limit) {
    return tx("listing collections", connection -> {
      try (PreparedStatement query = connection.prepareStatement("SELECT " + COLLECTION_COLUMNS
          + " FROM kb_collections WHERE tenant_id = ? ORDER BY name_key, collection_id LIMIT ?")) {
        query.setString(1, tenantId);
        query.setInt(2, limit);
        List<Collection> result = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) result.add(collection(rows));
        }
        return result;
      }
    });
  }

  @Override
  public CompletionStage<Boolean> renameCollection(String tenantId, String collectionId, String name) {
    return tx("renaming a collection", connection -> {
      try (PreparedStatement update = connection.prepareStatement(
          "UPDATE kb_collections SET name = ?, name_key = ? WHERE tenant_id = ? AND collection_id = ?")) {
        update.setString(1, name);
        update.setString(2, nameKey(name));
        update.setString(3, tenantId);
        update.setString(4, collectionId);
        return update.executeUpdate() == 1;
      } catch (SQLException e) {
        if (UNIQUE_VIOLATION.equals(e.getSQLState())) throw new NameTaken(name);
        throw e;
      }
    });
  }

  @Override
  public CompletionStage<Boolean> deleteCollection(String tenantId, String collectionId) {
    return tx("deleting a collection", connection -> {
      try (PreparedStatement documents = connection.prepareStatement(
              "DELETE FROM kb_documents WHERE tenant_id = ? AND collection_id = ?");
          PreparedStatement collection = connection.prepareStatement(
              "DELETE FROM kb_collections WHERE tenant_id = ? AND collection_id = ?")) {
        documents.setString(1, tenantId);
        documents.setString(2, collectionId);
        documents.executeUpdate();
        collection.setString(1, tenantId);
        collection.setString(2, collectionId);
        return collection.executeUpdate() == 1;
      }
    });
  }

  @Override
  public CompletionStage<List<DocumentSummary>> documents(String tenantId, String collectionId, int limit) {
    return tx("listing documents", connection -> {
      try (PreparedStatement query = connection.prepareStatement("SELECT " + DOCUMENT_COLUMNS + " FROM kb_documents"
          + " WHERE tenant_id = ? AND collection_id = ? ORDER BY updated_at DESC, document_id LIMIT ?")) {
        query.setString(1, tenantId);
        query.setString(2, collectionId);
        query.setInt(3, limit);
        List<DocumentSummary> result = new ArrayList<>();
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) {
            result.add(new DocumentSummary(
                new DocumentRef(rows.getString(1), rows.getString(2), rows.getString(3)), rows.getString(4),
                rows.getString(5), rows.getInt(6), rows.getInt(7), rows.getInt(8), rows.getLong(9),
                rows.getObject(10, OffsetDateTime.class).toInstant()));
          }
        }
        return result;
      }
    });
  }

  @Override
  public CompletionStage<List<String>> unknownCollections(String tenantId, java.util.Collection<String> collectionIds) {
    List<String> asked = collectionIds.stream().distinct().toList();
    if (asked.isEmpty()) return CompletableFuture.completedFuture(List.of());
    return tx("checking collections", connection -> {
      java.util.Set<String> known = new java.util.HashSet<>();
      forEachRow(connection, "SELECT collection_id FROM kb_collections WHERE tenant_id = ? AND collection_id IN (%s)",
          tenantId, asked, rows -> known.add(rows.getString(1)));
      return asked.stream().filter(id -> !known.contains(id)).toList();
    });
  }

  @Override
  public CompletionStage<Map<DocumentRef, String>> documentNames(String tenantId,
      java.util.Collection<DocumentRef> documents) {
    java.util.Set<DocumentRef> own = new java.util.HashSet<>();
    for (DocumentRef d : documents) if (d.tenantId().equals(tenantId)) own.add(d);
    if (own.isEmpty()) return CompletableFuture.completedFuture(Map.of());
    List<String> ids = own.stream().map(DocumentRef::documentId).distinct().toList();
    return tx("reading document names", connection -> {
      Map<DocumentRef, String> names = new HashMap<>();
      forEachRow(connection, "SELECT collection_id, document_id, name FROM kb_documents WHERE tenant_id = ?"
          + " AND document_id IN (%s)", tenantId, ids, rows -> {
            DocumentRef ref = new DocumentRef(tenantId, rows.getString(1), rows.getString(2));
            // Document ids may repeat across collections: keep only the documents asked for.
            if (own.contains(ref)) names.put(ref, rows.getString(3));
          });
      return names;
    });
  }

  /** A row of a result set, read. */
  private interface RowReader {
    void read(ResultSet rows) throws SQLException;
  }

  /**
   * Runs {@code select} (its {@code %s} the IN list, its first parameter the tenant) for the ids, {@value #NAME_BATCH}
   * at a time, and hands every row to {@code reader}.
   */
  private static void forEachRow(java.sql.Connection connection, String select, String tenantId, List<String> ids,
      RowReader reader) throws SQLException {
    for (int from = 0; from < ids.size(); from += NAME_BATCH) {
      List<String> batch = ids.subList(from, Math.min(ids.size(), from + NAME_BATCH));
      String marks = String.join(", ", java.util.Collections.nCopies(batch.size(), "?"));
      try (PreparedStatement query = connection.prepareStatement(String.format(java.util.Locale.ROOT, select, marks))) {
        query.setString(1, tenantId);
        for (int i = 0; i < batch.size(); i++) query.setString(i + 2, batch.get(i));
        try (ResultSet rows = query.executeQuery()) {
          while (rows.next()) reader.read(rows);
        }
      }
    }
  }

  private static Optional<Collection> first(PreparedStatement query) throws SQLException {
    try (ResultSet rows = query.executeQuery()) {
      return rows.next() ? Optional.of(collection(rows)) : Optional.empty();
    }
  }

  private static Collection collection(ResultSet rows) throws SQLException {
    return new Collection(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4),
        rows.getObject(5, OffsetDateTime.class).toInstant());
  }
}
