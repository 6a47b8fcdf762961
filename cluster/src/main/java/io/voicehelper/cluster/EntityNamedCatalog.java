package io.voicehelper.cluster;

import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The catalog, with document names that never lag: the document list is a read model that follows the documents'
 * events a moment later, so a document that has just become searchable may not be in it yet. Names it lacks are
 * asked of the documents' entities (at most one ask per document a search returned, and only right after a change).
 */
final class EntityNamedCatalog implements KnowledgeCatalog {

  private final KnowledgeCatalog catalog;
  private final ClusterSharding sharding;
  private final Duration askTimeout;

  EntityNamedCatalog(KnowledgeCatalog catalog, ClusterSharding sharding, Duration askTimeout) {
    this.catalog = catalog;
    this.sharding = sharding;
    this.askTimeout = askTimeout;
  }

  @Override
  public CompletionStage<Map<DocumentRef, String>> documentNames(String tenantId,
      java.util.Collection<DocumentRef> documents) {
    return catalog.documentNames(tenantId, documents).thenCompose(listed -> {
      List<DocumentRef> missing = documents.stream()
          .filter(d -> d.tenantId().equals(tenantId) && !listed.containsKey(d)).distinct().toList();
      if (missing.isEmpty()) return CompletableFuture.completedFuture(listed);
      Map<DocumentRef, String> names = new ConcurrentHashMap<>(listed);
      List<CompletableFuture<Void>> asks = new ArrayList<>();
      for (DocumentRef document : missing) {
        asks.add(sharding.entityRefFor(DocumentEntity.ENTITY_KEY, document.entityId())
            .<DocumentEntity.DocumentView>askWithStatus(DocumentEntity.Get::new, askTimeout)
            .toCompletableFuture()
            .handle((view, failure) -> {
              // A document deleted meanwhile (or an entity that does not answer) keeps no name.
              if (failure == null && view.name() != null) names.put(document, view.name());
              return null;
            }));
      }
      return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(done -> Map.copyOf(names));
    });
  }

  @Override
  public CompletionStage<List<String>> unknownCollections(String tenantId,
      java.util.Collection<String> collectionIds) {
    return catalog.unknownCollections(tenantId, collectionIds);
  }

  @Override
  public CompletionStage<Void> createCollection(KnowledgeCatalog.Collection collection) {
    return catalog.createCollection(collection);
  }

  @Override
  public CompletionStage<Optional<KnowledgeCatalog.Collection>> collection(String tenantId, String collectionId) {
    return catalog.collection(tenantId, collectionId);
  }

  @Override
  public CompletionStage<Optional<KnowledgeCatalog.Collection>> collectionNamed(String tenantId, String name) {
    return catalog.collectionNamed(tenantId, name);
  }

  @Override
  public CompletionStage<List<KnowledgeCatalog.Collection>> collections(String tenantId, int limit) {
    return catalog.collections(tenantId, limit);
  }

  @Override
  public CompletionStage<Boolean> renameCollection(String tenantId, String collectionId, String name) {
    return catalog.renameCollection(tenantId, collectionId, name);
  }

  @Override
  public CompletionStage<Boolean> deleteCollection(String tenantId, String collectionId) {
    return catalog.deleteCollection(tenantId, collectionId);
  }

  @Override
  public CompletionStage<List<DocumentSummary>> documents(String tenantId, String collectionId, int limit) {
    return catalog.documents(tenantId, collectionId, limit);
  }
}
