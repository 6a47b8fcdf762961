package io.voicehelper.entities.knowledge;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Port to the search stores: a vector store and a keyword (BM25) store, written together. The embedded default is a
 * node-local Lucene index (BM25 through smartcn, HNSW vectors) rebuilt from the {@link ChunkStore}; Milvus and
 * Elasticsearch adapters are chosen by configuration. Only chunks of a document's published version are in the
 * index: unpublished and superseded versions are never retrievable.
 *
 * <p>Every write is idempotent (chunks are keyed by {@link Chunk#chunkId()}) and every search is scoped to one tenant.
 */
public interface KnowledgeIndex {

  /** Adds or replaces chunks (and their vectors). Visible to searches when the stage completes. */
  CompletionStage<Void> upsert(List<EmbeddedChunk> chunks);

  /** Removes every chunk of the document except those of {@code keepVersion} (0: removes all of them). */
  CompletionStage<Void> removeDocument(DocumentRef document, int keepVersion);

  /**
   * Removes the chunks of exactly {@code version} of the document, and nothing else: unlike {@link #removeDocument},
   * it cannot touch a version published concurrently.
   */
  CompletionStage<Void> removeVersion(DocumentRef document, int version);

  /** Removes every chunk of the tenant's collection. */
  CompletionStage<Void> removeCollection(String tenantId, String collectionId);

  /** Nearest chunks to {@code vector} by cosine similarity, best first, at most {@code limit}. */
  CompletionStage<List<SearchHit>> searchVector(SearchFilter filter, float[] vector, int limit);

  /** Best BM25 matches for {@code query} (analysed for Chinese and English), best first, at most {@code limit}. */
  CompletionStage<List<SearchHit>> searchKeyword(SearchFilter filter, String query, int limit);
}
