package io.voicehelper.entities.knowledge;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Port to a tenant's collections and the list of their documents (the journal database). Collections are plain
 * records; the document list is a read model kept by a projection of the documents' events, so it lags the
 * {@code DocumentEntity}s slightly. Every call takes the tenant id and never answers across tenants.
 */
public interface KnowledgeCatalog {

  /** A named set of documents within one tenant. */
  record Collection(String tenantId, String collectionId, String name, String createdBy, Instant createdAt) {}

  /**
   * One document as the list shows it.
   *
   * @param state the document's state (UPLOADING, PROCESSING, READY, FAILED)
   * @param latestVersion the newest version's number
   * @param publishedVersion the retrievable version, 0 if none
   */
  record DocumentSummary(
      DocumentRef document, String name, String state, int latestVersion, int publishedVersion, int chunks,
      long sizeBytes, Instant updatedAt) {}

  /** A collection with that name exists already in the tenant. */
  final class NameTaken extends RuntimeException {
    public NameTaken(String name) {
      super("a collection named '" + name + "' exists", null, false, false);
    }
  }

  /** Creates the collection; fails with {@link NameTaken} when the tenant has one of that name. */
  CompletionStage<Void> createCollection(Collection collection);

  CompletionStage<Optional<Collection>> collection(String tenantId, String collectionId);

  /** The tenant's collection of that name (names compare ignoring case). */
  CompletionStage<Optional<Collection>> collectionNamed(String tenantId, String name);

  /** The tenant's collections by name, at most {@code limit}. */
  CompletionStage<List<Collection>> collections(String tenantId, int limit);

  /** False when there is no such collection; fails with {@link NameTaken}. */
  CompletionStage<Boolean> renameCollection(String tenantId, String collectionId, String name);

  /** Removes the collection and its document list; false when there was none. Documents are purged separately. */
  CompletionStage<Boolean> deleteCollection(String tenantId, String collectionId);

  /** The collection's documents, most recently changed first, at most {@code limit}. */
  CompletionStage<List<DocumentSummary>> documents(String tenantId, String collectionId, int limit);

  /** Those of {@code collectionIds} that are not collections of the tenant, in the order given (one read). */
  CompletionStage<List<String>> unknownCollections(String tenantId, java.util.Collection<String> collectionIds);

  /** The names of those of {@code documents} the tenant's document list knows (others are left out). */
  CompletionStage<java.util.Map<DocumentRef, String>> documentNames(String tenantId,
      java.util.Collection<DocumentRef> documents);
}
