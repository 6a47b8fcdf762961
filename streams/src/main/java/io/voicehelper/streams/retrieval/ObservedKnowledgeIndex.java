package io.voicehelper.streams.retrieval;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.KnowledgeIndex;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * A {@link KnowledgeIndex} that reports every collection a completed write changed, so that cached retrieval results
 * of it are dropped ({@link KnowledgeGenerations}) and other nodes can be told.
 */
public final class ObservedKnowledgeIndex implements KnowledgeIndex {

  private final KnowledgeIndex index;
  private final BiConsumer<String, String> changed;

  /** {@code changed} receives the tenant and collection of each write, after it completed (failed writes too). */
  public ObservedKnowledgeIndex(KnowledgeIndex index, BiConsumer<String, String> changed) {
    this.index = index;
    this.changed = changed;
  }

  @Override
  public CompletionStage<Void> upsert(List<EmbeddedChunk> chunks) {
    Set<DocumentRef> documents = new LinkedHashSet<>();
    for (EmbeddedChunk chunk : chunks) documents.add(chunk.chunk().document());
    return index.upsert(chunks).whenComplete((done, failure) -> documents.forEach(this::report));
  }

  @Override
  public CompletionStage<Void> removeDocument(DocumentRef document, int keepVersion) {
    return index.removeDocument(document, keepVersion).whenComplete((done, failure) -> report(document));
  }

  @Override
  public CompletionStage<Void> removeVersion(DocumentRef document, int version) {
    return index.removeVersion(document, version).whenComplete((done, failure) -> report(document));
  }

  @Override
  public CompletionStage<Void> removeCollection(String tenantId, String collectionId) {
    return index.removeCollection(tenantId, collectionId)
        .whenComplete((done, failure) -> changed.accept(tenantId, collectionId));
  }

  @Override
  public CompletionStage<List<SearchHit>> searchVector(SearchFilter filter, float[] vector, int limit) {
    return index.searchVector(filter, vector, limit);
  }

  @Override
  public CompletionStage<List<SearchHit>> searchKeyword(SearchFilter filter, String query, int limit) {
    return index.searchKeyword(filter, query, limit);
  }

  // A failed write may still have changed part of the index: it is reported too.
  private void report(DocumentRef document) {
    changed.accept(document.tenantId(), document.collectionId());
  }
}
