package io.voicehelper.entities.knowledge;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Port to the durable chunk table in the journal database: every chunk of every indexed version with its embedding.
 * The search indexes are derived from it; a node-local index is rebuilt from it.
 */
public interface ChunkStore {

  /** Writes chunks of one version; idempotent by chunk id. */
  CompletionStage<Void> save(List<EmbeddedChunk> chunks);

  /** The chunks of one version, in position order. */
  Source<EmbeddedChunk, NotUsed> version(DocumentRef document, int version);

  /** Number of chunks stored for one version. */
  CompletionStage<Integer> count(DocumentRef document, int version);

  /**
   * Marks {@code version} as the document's published version (0: none), which {@link #published()} streams. Does not
   * touch the search index.
   */
  CompletionStage<Void> publish(DocumentRef document, int version);

  /**
   * The document's published version and the ids of its chunks, read together: what a node-local index must hold of
   * the document. {@link PublishedVersion#NONE} when no version is published.
   */
  CompletionStage<PublishedVersion> publishedVersion(DocumentRef document);

  /**
   * Which version of a document is published (0: none) and the ids of its chunks in the table.
   *
   * @param version the published version, 0 when none
   * @param chunkIds ids of the version's chunks (empty when none, or when its chunks were deleted)
   */
  record PublishedVersion(int version, Set<String> chunkIds) {

    public static final PublishedVersion NONE = new PublishedVersion(0, Set.of());

    public PublishedVersion {
      chunkIds = Set.copyOf(chunkIds);
    }
  }

  /** Every chunk of every published version: what a rebuilt index must hold. */
  Source<EmbeddedChunk, NotUsed> published();

  /** Deletes the chunks of one version. */
  CompletionStage<Void> deleteVersion(DocumentRef document, int version);

  /** Deletes every chunk of the document and its published mark. */
  CompletionStage<Void> deleteDocument(DocumentRef document);
}
