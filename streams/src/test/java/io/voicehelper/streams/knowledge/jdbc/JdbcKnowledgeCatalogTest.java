package io.voicehelper.streams.knowledge.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import io.voicehelper.entities.knowledge.KnowledgeCatalog.Collection;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JdbcKnowledgeCatalogTest {

  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

  private JdbcDataSource h2;
  private ExecutorService executor;
  private JdbcKnowledgeCatalog catalog;

  @BeforeEach
  void migrate() {
    h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:catalog-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    Flyway.configure().dataSource(h2).locations("filesystem:../cluster/src/main/resources/db/migration/h2").load()
        .migrate();
    executor = Executors.newFixedThreadPool(2);
    catalog = new JdbcKnowledgeCatalog(h2, executor);
  }

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private static Collection collection(String tenant, String id, String name) {
    return new Collection(tenant, id, name, "u1", NOW);
  }

  @Test
  void collectionNamesAreUniquePerTenantIgnoringCase() throws Exception {
    catalog.createCollection(collection("t1", "c1", "FAQ")).toCompletableFuture().get();
    ExecutionException taken = assertThrows(ExecutionException.class,
        () -> catalog.createCollection(collection("t1", "c2", " faq ")).toCompletableFuture().get());
    assertInstanceOf(KnowledgeCatalog.NameTaken.class, taken.getCause());
    catalog.createCollection(collection("t2", "c3", "FAQ")).toCompletableFuture().get();

    assertEquals("c1", catalog.collectionNamed("t1", "faq").toCompletableFuture().get().orElseThrow().collectionId());
    assertEquals("c3", catalog.collectionNamed("t2", "Faq").toCompletableFuture().get().orElseThrow().collectionId());
  }

  @Test
  void aTenantSeesOnlyItsOwnCollections() throws Exception {
    catalog.createCollection(collection("t1", "c1", "Policies")).toCompletableFuture().get();
    catalog.createCollection(collection("t1", "c2", "FAQ")).toCompletableFuture().get();
    catalog.createCollection(collection("t2", "c3", "Other")).toCompletableFuture().get();

    List<Collection> mine = catalog.collections("t1", 10).toCompletableFuture().get();
    assertEquals(List.of("FAQ", "Policies"), mine.stream().map(Collection::name).toList());
    assertTrue(catalog.collection("t2", "c1").toCompletableFuture().get().isEmpty());
    assertFalse(catalog.renameCollection("t2", "c1", "Stolen").toCompletableFuture().get());
    assertFalse(catalog.deleteCollection("t2", "c1").toCompletableFuture().get());
    assertEquals(1, catalog.collections("t1", 1).toCompletableFuture().get().size());
  }

  @Test
  void renameKeepsNamesUnique() throws Exception {
    catalog.createCollection(collection("t1", "c1", "A")).toCompletableFuture().get();
    catalog.createCollection(collection("t1", "c2", "B")).toCompletableFuture().get();
    assertTrue(catalog.renameCollection("t1", "c1", "C").toCompletableFuture().get());
    assertEquals("C", catalog.collection("t1", "c1").toCompletableFuture().get().orElseThrow().name());
    ExecutionException taken = assertThrows(ExecutionException.class,
        () -> catalog.renameCollection("t1", "c1", "b").toCompletableFuture().get());
    assertInstanceOf(KnowledgeCatalog.NameTaken.class, taken.getCause());
  }

  @Test
  void documentsAreListedNewestFirstAndGoWithTheirCollection() throws Exception {
    catalog.createCollection(collection("t1", "c1", "A")).toCompletableFuture().get();
    insertDocument("t1", "c1", "d1", NOW);
    insertDocument("t1", "c1", "d2", NOW.plusSeconds(5));
    insertDocument("t2", "c1", "d3", NOW);

    List<KnowledgeCatalog.DocumentSummary> documents = catalog.documents("t1", "c1", 10).toCompletableFuture().get();
    assertEquals(List.of("d2", "d1"), documents.stream().map(d -> d.document().documentId()).toList());
    assertEquals("READY", documents.get(0).state());

    assertTrue(catalog.deleteCollection("t1", "c1").toCompletableFuture().get());
    assertTrue(catalog.documents("t1", "c1", 10).toCompletableFuture().get().isEmpty());
    assertEquals(1, catalog.documents("t2", "c1", 10).toCompletableFuture().get().size());
  }

  @Test
  void unknownCollectionsAreThoseTheTenantDoesNotHave() throws Exception {
    catalog.createCollection(collection("t1", "c1", "A")).toCompletableFuture().get();
    catalog.createCollection(collection("t2", "c2", "B")).toCompletableFuture().get();

    assertEquals(List.of("c2", "c9"),
        catalog.unknownCollections("t1", List.of("c2", "c1", "c9", "c1")).toCompletableFuture().get());
    assertEquals(List.of(), catalog.unknownCollections("t2", List.of("c2")).toCompletableFuture().get());
    assertEquals(List.of(), catalog.unknownCollections("t1", List.of()).toCompletableFuture().get());
  }

  @Test
  void documentNamesAreReadInBatchesAndOnlyForTheTenantsOwnDocuments() throws Exception {
    List<DocumentRef> asked = new java.util.ArrayList<>();
    for (int i = 0; i < 150; i++) {
      insertDocument("t1", "c1", "d" + i, NOW);
      asked.add(new DocumentRef("t1", "c1", "d" + i));
    }
    insertDocument("t1", "c2", "d0", NOW); // the same document id in another collection: not asked for
    insertDocument("t2", "c9", "x1", NOW);
    asked.add(new DocumentRef("t2", "c9", "x1")); // another tenant's
    asked.add(new DocumentRef("t1", "c1", "gone"));

    java.util.Map<DocumentRef, String> names = catalog.documentNames("t1", asked).toCompletableFuture().get();

    assertEquals(150, names.size());
    assertEquals("d149.md", names.get(new DocumentRef("t1", "c1", "d149")));
    assertFalse(names.containsKey(new DocumentRef("t1", "c2", "d0")));
    assertFalse(names.containsKey(new DocumentRef("t2", "c9", "x1")));
    assertTrue(catalog.documentNames("t1", List.of()).toCompletableFuture().get().isEmpty());
  }

  private void insertDocument(String tenant, String collection, String document, Instant updated) throws Exception {
    try (Connection connection = h2.getConnection();
        PreparedStatement insert = connection.prepareStatement("INSERT INTO kb_documents (tenant_id, collection_id,"
            + " document_id, name, state, latest_version, published_version, chunks, size_bytes, updated_at)"
            + " VALUES (?, ?, ?, ?, 'READY', 1, 1, 3, 100, ?)")) {
      insert.setString(1, tenant);
      insert.setString(2, collection);
      insert.setString(3, document);
      insert.setString(4, document + ".md");
      insert.setObject(5, OffsetDateTime.ofInstant(updated, ZoneOffset.UTC));
      insert.executeUpdate();
    }
  }
}
