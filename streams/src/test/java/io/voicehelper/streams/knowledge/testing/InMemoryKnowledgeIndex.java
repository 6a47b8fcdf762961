package io.voicehelper.streams.knowledge.testing;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.KnowledgeIndex;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link KnowledgeIndex} in memory: vectors by cosine similarity, keywords by the number of query words a chunk
 * contains (a stand-in for BM25). Calls are recorded and failures injectable through {@link #log()} (operations:
 * upsert, removeDocument, removeVersion, removeCollection, searchVector, searchKeyword). Thread-safe.
 */
public final class InMemoryKnowledgeIndex implements KnowledgeIndex {

  private final Map<String, EmbeddedChunk> chunks = new ConcurrentHashMap<>();
  private final CallLog log = new CallLog();

  public CallLog log() {
    return log;
  }

  /** Every indexed chunk, ordered by chunk id. */
  public List<EmbeddedChunk> all() {
    return chunks.values().stream().sorted(Comparator.comparing(c -> c.chunk().chunkId())).toList();
  }

  /** The versions of a document that are in the index, ascending. */
  public List<Integer> versionsOf(DocumentRef document) {
    return chunks.values().stream()
        .filter(c -> c.chunk().document().equals(document))
        .map(c -> c.chunk().version())
        .distinct()
        .sorted()
        .toList();
  }

  @Override
  public CompletionStage<Void> upsert(List<EmbeddedChunk> batch) {
    return log.call("upsert", String.valueOf(batch.size()), () -> {
      batch.forEach(chunk -> chunks.put(chunk.chunk().chunkId(), chunk));
      return null;
    });
  }

  @Override
  public CompletionStage<Void> removeDocument(DocumentRef document, int keepVersion) {
    return log.call("removeDocument", document.entityId() + " keep " + keepVersion, () -> {
      chunks.values().removeIf(c -> c.chunk().document().equals(document) && c.chunk().version() != keepVersion);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> removeVersion(DocumentRef document, int version) {
    return log.call("removeVersion", document.entityId() + " v" + version, () -> {
      chunks.values().removeIf(c -> c.chunk().document().equals(document) && c.chunk().version() == version);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> removeCollection(String tenantId, String collectionId) {
    return log.call("removeCollection", tenantId + "|" + collectionId, () -> {
      chunks.values().removeIf(c -> c.chunk().document().tenantId().equals(tenantId)
          && c.chunk().document().collectionId().equals(collectionId));
      return null;
    });
  }

  @Override
  public CompletionStage<List<SearchHit>> searchVector(SearchFilter filter, float[] vector, int limit) {
    return log.call("searchVector", filter.tenantId() + " " + limit, () -> chunks.values().stream()
        .filter(c -> filter.matches(c.chunk()))
        .map(c -> new SearchHit(c.chunk(), cosine(vector, c.vector())))
        .sorted(Comparator.comparingDouble(SearchHit::score).reversed())
        .limit(limit)
        .toList());
  }

  @Override
  public CompletionStage<List<SearchHit>> searchKeyword(SearchFilter filter, String query, int limit) {
    List<String> words = List.of(query.toLowerCase(Locale.ROOT).split("\\s+"));
    return log.call("searchKeyword", filter.tenantId() + " " + query + " " + limit, () -> chunks.values().stream()
        .filter(c -> filter.matches(c.chunk()))
        .map(c -> new SearchHit(c.chunk(), words.stream()
            .filter(word -> !word.isEmpty() && c.chunk().text().toLowerCase(Locale.ROOT).contains(word))
            .count()))
        .filter(hit -> hit.score() > 0)
        .sorted(Comparator.comparingDouble(SearchHit::score).reversed())
        .limit(limit)
        .toList());
  }

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    double normA = 0;
    double normB = 0;
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      dot += a[i] * b[i];
      normA += a[i] * a[i];
      normB += b[i] * b[i];
    }
    return normA == 0 || normB == 0 ? 0 : dot / Math.sqrt(normA * normB);
  }
}
