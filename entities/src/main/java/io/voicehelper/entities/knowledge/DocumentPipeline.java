package io.voicehelper.entities.knowledge;

import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Port through which a {@code DocumentEntity} runs its saga's steps; implemented in the streams module. Every step is
 * idempotent, so a step that a crash interrupted is simply run again.
 */
public interface DocumentPipeline {

  /**
   * One version of one document to index: its original file is under {@code objectKey} in the object store, and
   * every chunk cut from it carries the version's {@code metadata}.
   */
  record Job(DocumentRef document, int version, String objectKey, String fileName, Map<String, String> metadata) {

    public Job {
      metadata = DocumentMetadata.of(metadata);
    }

    /** A version without metadata. */
    public Job(DocumentRef document, int version, String objectKey, String fileName) {
      this(document, version, objectKey, fileName, Map.of());
    }
  }

  /** What indexing found. */
  record Indexed(String contentType, int chunks, long characters) {}

  /** Progress of a running job: chunks embedded and stored so far, of the total (known once chunking is done). */
  interface Progress {
    void report(int done, int total);
  }

  /** A running job. */
  interface Run {
    CompletionStage<Indexed> result();

    /** Stops the run; its result fails. Chunks already stored stay until the version is purged. */
    void cancel();
  }

  /** A step failed for a reason the user should see (unsupported or corrupt file, a store that refused). */
  final class Failed extends RuntimeException {
    public Failed(String reason) {
      super(reason, null, false, false);
    }

    public Failed(String reason, Throwable cause) {
      super(reason, cause, false, false);
    }
  }

  /**
   * Parses the original (type detected from the content), cleans and chunks the text, embeds in batches and writes
   * the chunks to the chunk table; nothing becomes retrievable. Fails with {@link Failed} for an unsupported or
   * corrupt file.
   */
  Run index(Job job, Progress progress);

  /**
   * Makes {@code version} the document's retrievable version: its chunks (from the chunk table) go into the search
   * index, every other version of the document leaves it, and the chunk table marks the version published.
   */
  CompletionStage<Void> publish(DocumentRef document, int version);

  /** Makes no version of the document retrievable (the chunks stay in the chunk table). */
  CompletionStage<Void> unpublish(DocumentRef document);

  /** Deletes one version's chunks from the chunk table and the index (its original stays). */
  CompletionStage<Void> purgeChunks(DocumentRef document, int version);

  /** Deletes one version's chunks and its original: the compensation of a failed version. */
  CompletionStage<Void> purgeVersion(DocumentRef document, int version, String objectKey);

  /** Deletes everything of the document: its chunks in every store and all its originals. */
  CompletionStage<Void> purgeDocument(DocumentRef document);
}
