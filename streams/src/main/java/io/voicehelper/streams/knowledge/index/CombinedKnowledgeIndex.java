package io.voicehelper.streams.knowledge.index;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.KnowledgeIndex;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A knowledge index made of a vector store and a keyword store that are different systems (Milvus and
 * Elasticsearch, say): writes go to both, and complete when both have; each search goes to its half.
 */
public final class CombinedKnowledgeIndex implements KnowledgeIndex {

  private final VectorStore vectors;
  private final KeywordStore keywords;

  public CombinedKnowledgeIndex(VectorStore vectors, KeywordStore keywords) {
    this.vectors = vectors;
    this.keywords = keywords;
  }

  @Override
  public CompletionStage<Void> upsert(List<EmbeddedChunk> chunks) {
    return vectors.upsert(chunks).thenCombine(keywords.upsert(chunks), (a, b) -> null);
  }

  @Override
  public CompletionStage<Void> removeDocument(DocumentRef document, int keepVersion) {
    return vectors.removeDocument(document, keepVersion)
        .thenCombine(keywords.removeDocument(document, keepVersion), (a, b) -> null);
  }

  @Override
  public CompletionStage<Void> removeVersion(DocumentRef document, int version) {
    return vectors.removeVersion(document, version)
        .thenCombine(keywords.removeVersion(document, version), (a, b) -> null);
  }

  @Override
  public CompletionStage<Void> removeCollection(String tenantId, String collectionId) {
    return vectors.removeCollection(tenantId, collectionId)
        .thenCombine(keywords.removeCollection(tenantId, collectionId), (a, b) -> null);
  }

  @Override
  public CompletionStage<List<SearchHit>> searchVector(SearchFilter filter, float[] vector, int limit) {
    return vectors.searchVector(filter, vector, limit);
  }

  @Override
  public CompletionStage<List<SearchHit>> searchKeyword(SearchFilter filter, String query, int limit) {
    return keywords.searchKeyword(filter, query, limit);
  }
}
