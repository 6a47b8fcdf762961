package io.voicehelper.streams.knowledge.index;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** The vector half of a {@link io.voicehelper.entities.knowledge.KnowledgeIndex}: Lucene HNSW or Milvus. */
public interface VectorStore {

  CompletionStage<Void> upsert(List<EmbeddedChunk> chunks);

  CompletionStage<Void> removeDocument(DocumentRef document, int keepVersion);

  /** Removes the chunks of exactly that version of the document. */
  CompletionStage<Void> removeVersion(DocumentRef document, int version);

  CompletionStage<Void> removeCollection(String tenantId, String collectionId);

  CompletionStage<List<SearchHit>> searchVector(SearchFilter filter, float[] vector, int limit);
}
