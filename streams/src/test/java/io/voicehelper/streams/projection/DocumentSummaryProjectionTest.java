package io.voicehelper.streams.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The document list's handler on H2 with the real migrations: what a user sees in the listing after each event. */
class DocumentSummaryProjectionTest {

  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  private static final DocumentRef DOC = new DocumentRef("acme", "faq", "doc-1");

  private JdbcDataSource h2;
  private final DocumentSummaryProjection.Handler handler = new DocumentSummaryProjection.Handler();
  private long sequenceNr;

  /** What the listing shows for a document. */
  private record Listed(String state, int latestVersion, int publishedVersion) {}

  @BeforeEach
  void migrate() {
    h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:documents-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    Flyway.configure().dataSource(h2).locations("filesystem:../cluster/src/main/resources/db/migration/h2").load()
        .migrate();
  }

  private void apply(DocumentRef document, DocumentEntity.Event event) throws Exception {
    sequenceNr++;
    String persistenceId = DocumentEntity.ENTITY_KEY.name() + "|" + document.entityId();
    EventEnvelope<DocumentEntity.Event> envelope = EventEnvelope.create(Offset.sequence(sequenceNr), persistenceId,
        sequenceNr, event, NOW.plusSeconds(sequenceNr).toEpochMilli());
    DataSourceJdbcSession session = new DataSourceJdbcSession(h2);
    try {
      handler.process(session, envelope);
      session.commit();
    } finally {
      session.close();
    }
  }

  private Optional<Listed> listed(DocumentRef document) throws Exception {
    try (Connection connection = h2.getConnection();
        PreparedStatement select = connection.prepareStatement("SELECT state, latest_version, published_version"
            + " FROM kb_documents WHERE tenant_id = ? AND collection_id = ? AND document_id = ?")) {
      select.setString(1, document.tenantId());
      select.setString(2, document.collectionId());
      select.setString(3, document.documentId());
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() ? Optional.of(new Listed(rs.getString(1), rs.getInt(2), rs.getInt(3))) : Optional.empty();
      }
    }
  }

  private void uploadAndIndex(DocumentRef document, int version) throws Exception {
    apply(document, new DocumentEntity.UploadStarted(version, "Guide", "guide.pdf",
        DocumentEntity.objectKey(document, version), "u1", NOW, java.util.Map.of()));
    apply(document, new DocumentEntity.UploadCompleted(version, 1234, "ab".repeat(32), NOW));
    apply(document, new DocumentEntity.Indexed(version, "application/pdf", 7));
  }

  @Test
  void aFailedRunOfANewerOrOlderVersionLeavesAPublishedDocumentReady() throws Exception {
    uploadAndIndex(DOC, 1);
    assertEquals(new Listed("PROCESSING", 1, 0), listed(DOC).orElseThrow());
    apply(DOC, new DocumentEntity.Published(1, 0, NOW));
    assertEquals(new Listed("READY", 1, 1), listed(DOC).orElseThrow());

    uploadAndIndex(DOC, 2);
    assertEquals(new Listed("PROCESSING", 2, 1), listed(DOC).orElseThrow());
    apply(DOC, new DocumentEntity.VersionFailed(2, "corrupt file", NOW));
    assertEquals(new Listed("READY", 2, 1), listed(DOC).orElseThrow(), "v1 is still retrievable");

    apply(DOC, new DocumentEntity.RestoreStarted(1, true, NOW));
    assertEquals(new Listed("PROCESSING", 2, 1), listed(DOC).orElseThrow());
    apply(DOC, new DocumentEntity.VersionFailed(1, "embedding failed", NOW));
    assertEquals(new Listed("READY", 2, 1), listed(DOC).orElseThrow(), "a failed restore does not stay PROCESSING");

    apply(DOC, new DocumentEntity.DocumentDeleted(NOW));
    assertEquals(Optional.empty(), listed(DOC));
  }

  @Test
  void aFailedFirstVersionIsFailed() throws Exception {
    uploadAndIndex(DOC, 1);
    apply(DOC, new DocumentEntity.VersionFailed(1, "corrupt file", NOW));
    assertEquals(new Listed("FAILED", 1, 0), listed(DOC).orElseThrow());
  }

  @Test
  void idsOf128CharactersAreListed() throws Exception {
    DocumentRef longIds = new DocumentRef("t".repeat(128), "c".repeat(128), "d".repeat(128));
    uploadAndIndex(longIds, 1);
    assertEquals(new Listed("PROCESSING", 1, 0), listed(longIds).orElseThrow());
  }

  @Test
  void theDocumentComesFromThePersistenceId() {
    assertEquals(DOC, DocumentSummaryProjection.Handler.documentOf("Document|acme|faq|doc-1"));
    assertThrows(IllegalArgumentException.class,
        () -> DocumentSummaryProjection.Handler.documentOf("Conversation|acme|faq|doc-1"));
  }
}
