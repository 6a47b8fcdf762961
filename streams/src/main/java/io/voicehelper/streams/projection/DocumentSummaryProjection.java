package io.voicehelper.streams.projection;

import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Projects {@link DocumentEntity} events into the {@code kb_documents} table that lists a collection's documents. One
 * instance per event tag runs somewhere in the cluster (sharded daemon process); each updates the table and its
 * offset in one transaction, so every event is applied exactly once.
 *
 * <p>The row follows the entity's own view: the state is the newest version's, except that a document with a
 * published version shows {@code READY} when a later run failed, or a restore or re-index of an older version failed
 * (the failure is on the version, in the document's detail); {@code chunks} and {@code size_bytes} are the newest
 * version's.
 */
public final class DocumentSummaryProjection {

  public static final String NAME = "document-summary";

  private DocumentSummaryProjection() {}

  /** Starts the projection instances on this cluster; {@code readJournal} is the query plugin's id. */
  public static void init(ActorSystem<?> system, DataSource dataSource, String readJournal) {
    TaggedJdbcProjection.<DocumentEntity.Event>init(system, dataSource, readJournal, NAME, DocumentEntity.TAGS, Handler::new);
  }

  static final class Handler extends JdbcHandler<EventEnvelope<DocumentEntity.Event>, DataSourceJdbcSession> {

    @Override
    public void process(DataSourceJdbcSession session, EventEnvelope<DocumentEntity.Event> envelope)
        throws Exception {
      DocumentRef ref = documentOf(envelope.persistenceId());
      Row row = new Row(ref.tenantId(), ref.collectionId(), ref.documentId(),
          Instant.ofEpochMilli(envelope.timestamp()));
      DocumentEntity.Event event = envelope.event();
      session.withConnection(connection -> {
        apply(connection, row, event);
        return null;
      });
    }

    static DocumentRef documentOf(String persistenceId) {
      return DocumentEntity.documentOf(persistenceId);
    }

    private record Row(String tenant, String collection, String document, Instant at) {}

    private static void apply(Connection connection, Row row, DocumentEntity.Event event) throws Exception {
      if (event instanceof DocumentEntity.UploadStarted started) {
        int updated = update(connection, row, "name = ?, state = 'UPLOADING', latest_version = ?, chunks = 0,"
            + " size_bytes = 0", started.name(), started.version());
        if (updated == 0) {
          try (PreparedStatement insert = connection.prepareStatement("INSERT INTO kb_documents (tenant_id,"
              + " collection_id, document_id, name, state, latest_version, published_version, chunks, size_bytes,"
              + " updated_at) VALUES (?, ?, ?, ?, 'UPLOADING', ?, 0, 0, 0, ?)")) {
            insert.setString(1, row.tenant());
            insert.setString(2, row.collection());
            insert.setString(3, row.document());
            insert.setString(4, started.name());
            insert.setInt(5, started.version());
            insert.setObject(6, utc(row.at()));
            insert.executeUpdate();
          }
        }
      } else if (event instanceof DocumentEntity.UploadCompleted completed) {
        updateLatest(connection, row, completed.version(), "state = 'PROCESSING', size_bytes = ?", completed.size());
      } else if (event instanceof DocumentEntity.Indexed indexed) {
        updateLatest(connection, row, indexed.version(), "chunks = ?", indexed.chunks());
      } else if (event instanceof DocumentEntity.Published published) {
        update(connection, row, "state = 'READY', published_version = ?", published.version());
      } else if (event instanceof DocumentEntity.VersionFailed failed) {
        // A failed restore or re-index of an older version must not leave the row PROCESSING.
        update(connection, row, "state = CASE WHEN latest_version = ?"
            + " THEN CASE WHEN published_version > 0 THEN 'READY' ELSE 'FAILED' END"
            + " WHEN state = 'PROCESSING' AND published_version > 0 THEN 'READY' ELSE state END", failed.version());
      } else if (event instanceof DocumentEntity.RestoreStarted || event instanceof DocumentEntity.ReindexStarted) {
        update(connection, row, "state = 'PROCESSING'");
      } else if (event instanceof DocumentEntity.DocumentDeleted) {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM kb_documents"
            + " WHERE tenant_id = ? AND collection_id = ? AND document_id = ?")) {
          delete.setString(1, row.tenant());
          delete.setString(2, row.collection());
          delete.setString(3, row.document());
          delete.executeUpdate();
        }
      }
      // Other events (compensation done, chunks purged, purge done) do not change the listing.
    }

    /** Sets {@code assignments} and the time; {@code values} are the assignments' parameters. Rows changed. */
    private static int update(Connection connection, Row row, String assignments, Object... values)
        throws Exception {
      return run(connection, row, assignments, "", values);
    }

    /** As {@link #update}, only while {@code version} is the newest version. */
    private static void updateLatest(Connection connection, Row row, int version, String assignments,
        Object... values) throws Exception {
      Object[] all = java.util.Arrays.copyOf(values, values.length + 1);
      all[values.length] = version;
      run(connection, row, assignments, "latest_version = ? AND ", all);
    }

    /** {@code values}: the parameters of {@code assignments}, then those of {@code condition}, in order. */
    private static int run(Connection connection, Row row, String assignments, String condition, Object[] values)
        throws Exception {
      try (PreparedStatement update = connection.prepareStatement("UPDATE kb_documents SET updated_at = ?, "
          + assignments + " WHERE " + condition + "tenant_id = ? AND collection_id = ? AND document_id = ?")) {
        int i = 1;
        update.setObject(i++, utc(row.at()));
        for (Object value : values) update.setObject(i++, value);
        update.setString(i++, row.tenant());
        update.setString(i++, row.collection());
        update.setString(i, row.document());
        return update.executeUpdate();
      }
    }
  }

  static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
