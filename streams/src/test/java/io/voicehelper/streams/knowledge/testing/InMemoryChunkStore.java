package io.voicehelper.streams.knowledge.testing;

import io.voicehelper.entities.knowledge.ChunkStore;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A {@link ChunkStore} in memory, keyed by chunk id like the real table, with its calls recorded and failures
 * injectable through {@link #log()} (operations: save, version, publishedVersion, count, publish, published,
 * deleteVersion, deleteDocument). Thread-safe.
 */
public final class InMemoryChunkStore implements ChunkStore {

  private static final Comparator<EmbeddedChunk> ORDER = Comparator
      .comparing((EmbeddedChunk c) -> c.chunk().document().entityId())
      .thenComparingInt(c -> c.chunk().version())
      .thenComparingInt(c -> c.chunk().position());

  private final Map<String, EmbeddedChunk> chunks = new ConcurrentHashMap<>();
  private final Map<DocumentRef, Integer> published = new ConcurrentHashMap<>();
  private final CallLog log = new CallLog();

  public CallLog log() {
    return log;
  }

  /** Every stored chunk, ordered by document, version and position. */
  public List<EmbeddedChunk> all() {
    return chunks.values().stream().sorted(ORDER).toList();
  }

  /** The stored chunks of one version, by position. */
  public List<EmbeddedChunk> chunksOf(DocumentRef document, int version) {
    return all().stream()
        .filter(c -> c.chunk().document().equals(document) && c.chunk().version() == version)
        .toList();
  }

  /** The document's published version, 0 for none (read directly, without recording a call). */
  public int markedVersion(DocumentRef document) {
    return published.getOrDefault(document, 0);
  }

  @Override
  public CompletionStage<Void> save(List<EmbeddedChunk> batch) {
    return log.call("save", String.valueOf(batch.size()), () -> {
      batch.forEach(chunk -> chunks.put(chunk.chunk().chunkId(), chunk));
      return null;
    });
  }

  @Override
  public Source<EmbeddedChunk, NotUsed> version(DocumentRef document, int version) {
    RuntimeException failure = log.record("version", document.entityId() + " v" + version);
    return failure != null ? Source.failed(failure) : Source.from(chunksOf(document, version));
  }

  @Override
  public CompletionStage<PublishedVersion> publishedVersion(DocumentRef document) {
    return log.call("publishedVersion", document.entityId(), () -> {
      int version = published.getOrDefault(document, 0);
      if (version == 0) return PublishedVersion.NONE;
      return new PublishedVersion(version, chunksOf(document, version).stream()
          .map(c -> c.chunk().chunkId())
          .collect(Collectors.toSet()));
    });
  }

  @Override
  public CompletionStage<Integer> count(DocumentRef document, int version) {
    return log.call("count", document.entityId() + " v" + version, () -> chunksOf(document, version).size());
  }

  @Override
  public CompletionStage<Void> publish(DocumentRef document, int version) {
    return log.call("publish", document.entityId() + " v" + version, () -> {
      if (version == 0) {
        published.remove(document);
      } else {
        published.put(document, version);
      }
      return null;
    });
  }

  @Override
  public Source<EmbeddedChunk, NotUsed> published() {
    RuntimeException failure = log.record("published", "");
    if (failure != null) return Source.failed(failure);
    return Source.from(all().stream()
        .filter(c -> published.getOrDefault(c.chunk().document(), 0) == c.chunk().version())
        .toList());
  }

  @Override
  public CompletionStage<Void> deleteVersion(DocumentRef document, int version) {
    return log.call("deleteVersion", document.entityId() + " v" + version, () -> {
      chunks.values().removeIf(c -> c.chunk().document().equals(document) && c.chunk().version() == version);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> deleteDocument(DocumentRef document) {
    return log.call("deleteDocument", document.entityId(), () -> {
      chunks.values().removeIf(c -> c.chunk().document().equals(document));
      published.remove(document);
      return null;
    });
  }
}
