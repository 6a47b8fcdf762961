package io.voicehelper.streams.knowledge;

import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.ChunkStore;
import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentPipeline;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.KnowledgeIndex;
import io.voicehelper.entities.knowledge.ObjectStore;
import io.voicehelper.streams.knowledge.chunking.ChunkDraft;
import io.voicehelper.streams.knowledge.chunking.Chunker;
import io.voicehelper.streams.knowledge.index.DocumentLanes;
import io.voicehelper.streams.knowledge.parsing.DocumentParser;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;

/**
 * The saga's steps as Pekko Streams: indexing streams the original from the object store into the parser (on the
 * blocking dispatcher, never loaded whole), cuts it into chunks, embeds them in batches with at most
 * {@code embedding-parallelism} calls in flight and writes each embedded batch to the chunk table with at most
 * {@code store-write-parallelism} writes in flight; every stage is demand-driven, so a slow model or database slows
 * the job down instead of filling memory. Chunk ids are derived from the version, the position and the text, so before
 * writing any chunk a job deletes what an earlier run of the same version wrote: after a crash, or with another
 * chunker, nothing stale is left behind. The original is opened only once the parse task has a blocking thread, so a
 * job waiting for one holds no open object-store response.
 *
 * <p>Publishing removes the version from the search index (a re-index may have changed its chunks), copies it from the
 * chunk table into the index, then removes every other version of the document from it, then marks the version
 * published: a crash in between leaves the old version retrievable (and possibly the new one too) until the step is
 * run again; never neither. Publishing the version that is already published, as after a re-index, makes that
 * document unretrievable for the seconds the publish takes.
 */
public final class StreamsDocumentPipeline implements DocumentPipeline {

  private final ObjectStore objects;
  private final DocumentParser parser;
  private final Chunker chunker;
  private final Embedder embedder;
  private final ChunkStore chunks;
  private final KnowledgeIndex index;
  private final IndexingSettings settings;
  private final Materializer materializer;
  private final Executor blocking;
  private final DocumentLanes lanes;

  /**
   * A pipeline whose index changes share no lanes with anything else (no index follower on this node).
   *
   * @param blocking runs parsing and chunking (blocking reads and CPU work), never the default dispatcher
   */
  public StreamsDocumentPipeline(
      ObjectStore objects, DocumentParser parser, Chunker chunker, Embedder embedder, ChunkStore chunks,
      KnowledgeIndex index, IndexingSettings settings, Materializer materializer, Executor blocking) {
    this(objects, parser, chunker, embedder, chunks, index, settings, materializer, blocking, new DocumentLanes());
  }

  /**
   * @param blocking runs parsing and chunking (blocking reads and CPU work), never the default dispatcher
   * @param lanes where each index change of a document waits for the previous one; shared with this node's index
   *     follower
   */
  public StreamsDocumentPipeline(
      ObjectStore objects, DocumentParser parser, Chunker chunker, Embedder embedder, ChunkStore chunks,
      KnowledgeIndex index, IndexingSettings settings, Materializer materializer, Executor blocking,
      DocumentLanes lanes) {
    this.lanes = lanes;
    this.objects = objects;
    this.parser = parser;
    this.chunker = chunker;
    this.embedder = embedder;
    this.chunks = chunks;
    this.index = index;
    this.settings = settings;
    this.materializer = materializer;
    this.blocking = blocking;
  }

  /**
   * A pipeline with the system's {@code voicehelper.knowledge.indexing} settings and blocking dispatcher, whose index
   * changes take turns with the index follower's through {@code lanes}.
   */
  public static StreamsDocumentPipeline create(
      ActorSystem<?> system, ObjectStore objects, DocumentParser parser, Chunker chunker, Embedder embedder,
      ChunkStore chunks, KnowledgeIndex index, DocumentLanes lanes) {
    IndexingSettings settings = IndexingSettings.fromSystem(system);
    return new StreamsDocumentPipeline(objects, parser, chunker, embedder, chunks, index, settings,
        Materializer.matFromSystem(system),
        system.dispatchers().lookup(DispatcherSelector.fromConfig(settings.blockingDispatcher())), lanes);
  }

  /** A parsed and chunked version, before embedding. */
  private record Cut(String contentType, long characters, List<ChunkDraft> drafts) {}

  @Override
  public Run index(Job job, Progress progress) {
    AtomicReference<InputStream> reading = new AtomicReference<>();
    AtomicBoolean cancelled = new AtomicBoolean();
    Pair<UniqueKillSwitch, CompletionStage<Indexed>> running =
        Source.lazyCompletionStage(() -> parseAndCut(job, reading, cancelled))
            .mapAsync(1, cut -> clearVersion(job).thenApply(cleared -> cut))
            .flatMapConcat(cut -> embedAndStore(job, cut, progress))
            .viaMat(KillSwitches.single(), Keep.right())
            .toMat(Sink.head(), Keep.both())
            .run(materializer);
    CompletionStage<Indexed> result = running.second()
        .exceptionallyCompose(error -> CompletableFuture.failedFuture(asFailed("Indexing failed", error)));
    return new Run() {
      @Override
      public CompletionStage<Indexed> result() {
        return result;
      }

      @Override
      public void cancel() {
        cancelled.set(true);
        running.first().abort(new Failed("Indexing was cancelled"));
        closeQuietly(reading.get()); // a parser blocked in read() gets an IOException and returns
      }
    };
  }

  /**
   * Opens the original, streams it into the parser and chunks the result, all on the blocking dispatcher: a job that
   * waits there for a thread holds no open object-store response.
   */
  private CompletionStage<Cut> parseAndCut(Job job, AtomicReference<InputStream> reading, AtomicBoolean cancelled) {
    return CompletableFuture.supplyAsync(() -> {
      if (cancelled.get()) throw new Failed("Indexing was cancelled");
      Pair<CompletionStage<Done>, InputStream> read = objects.get(job.objectKey())
          .watchTermination((notUsed, done) -> done)
          .toMat(StreamConverters.asInputStream(settings.readTimeout()), Keep.both())
          .run(materializer);
      reading.set(read.second());
      if (cancelled.get()) closeQuietly(read.second()); // cancelled while opening: cancel() may have missed it
      CompletableFuture<Done> readDone = read.first().toCompletableFuture();
      ParsedDocument parsed;
      try (InputStream in = read.second()) {
        parsed = parser.parse(in, job.fileName());
      } catch (IOException | RuntimeException e) {
        throw readFailure(job, readDone).orElseGet(() -> asFailed("Could not read " + job.fileName(), e));
      }
      List<ChunkDraft> drafts;
      try {
        drafts = chunker.chunk(parsed);
      } catch (RuntimeException e) {
        throw asFailed("Could not cut " + job.fileName() + " into chunks", e);
      }
      long characters = parsed.blocks().stream().mapToLong(block -> block.text().codePointCount(0,
          block.text().length())).sum();
      return new Cut(parsed.contentType(), characters, List.copyOf(drafts));
    }, blocking);
  }

  /** If reading the original failed, that is the reason, whatever the parser made of the broken stream. */
  private static Optional<Failed> readFailure(Job job, CompletableFuture<Done> readDone) {
    if (!readDone.isCompletedExceptionally()) return Optional.empty();
    try {
      readDone.join();
      return Optional.empty();
    } catch (CompletionException e) {
      return Optional.of(new Failed(
          "The original of " + job.fileName() + " could not be read from the object store: " + reason(e)));
    }
  }

  /** Deletes what an earlier run of this version stored: with another chunker its chunk ids would differ. */
  private CompletionStage<Void> clearVersion(Job job) {
    return attempt("Removing earlier chunks of version " + job.version() + " failed",
        () -> chunks.deleteVersion(job.document(), job.version()));
  }

  private Source<Indexed, ?> embedAndStore(Job job, Cut cut, Progress progress) {
    int total = cut.drafts().size();
    progress.report(0, total);
    AtomicInteger done = new AtomicInteger();
    return Source.from(cut.drafts())
        .map(draft -> new Chunk(Chunk.idFor(job.document(), job.version(), draft.position(), draft.text()),
            job.document(), job.version(), draft.position(), draft.headingPath(), draft.text(), draft.tokens(),
            job.metadata()))
        .grouped(settings.embeddingBatchSize())
        .mapAsync(settings.embeddingParallelism(), this::embed)
        .mapAsync(settings.storeWriteParallelism(), this::store)
        .map(stored -> {
          progress.report(done.addAndGet(stored), total);
          return stored;
        })
        .fold(0, Integer::sum)
        .map(stored -> new Indexed(cut.contentType(), stored, cut.characters()));
  }

  private CompletionStage<List<EmbeddedChunk>> embed(List<Chunk> batch) {
    List<String> texts = batch.stream().map(Chunk::text).toList();
    return attempt("Embedding failed", () -> embedder.embedAll(texts)).thenApply(vectors -> {
      if (vectors.size() != batch.size()) {
        throw new Failed("Embedding failed: the model returned " + vectors.size() + " vectors for " + batch.size()
            + " texts");
      }
      List<EmbeddedChunk> embedded = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) embedded.add(new EmbeddedChunk(batch.get(i), vectors.get(i)));
      return embedded;
    });
  }

  private CompletionStage<Integer> store(List<EmbeddedChunk> batch) {
    return attempt("Storing chunks failed", () -> chunks.save(batch)).thenApply(saved -> batch.size());
  }

  /**
   * Removes the version from the index first, so that chunks a re-index replaced do not stay retrievable; when the
   * version is the published one (after a re-index), the document is unretrievable until the copy completes.
   */
  @Override
  public CompletionStage<Void> publish(DocumentRef document, int version) {
    return attempt("Publishing version " + version + " failed", () -> lanes.run(document, () ->
        index.removeVersion(document, version)
            .thenCompose(cleared -> chunks.version(document, version)
                .grouped(settings.publishBatchSize())
                .mapAsync(1, index::upsert)
                .runWith(Sink.ignore(), materializer))
            .thenCompose(upserted -> index.removeDocument(document, version))
            .thenCompose(removed -> chunks.publish(document, version))));
  }

  @Override
  public CompletionStage<Void> unpublish(DocumentRef document) {
    return attempt("Unpublishing failed", () -> lanes.run(document, () ->
        index.removeDocument(document, 0).thenCompose(removed -> chunks.publish(document, 0))));
  }

  /**
   * Removes exactly {@code version} from the index, then its rows from the chunk table. Nothing is read first, so a
   * version published meanwhile is never touched.
   */
  @Override
  public CompletionStage<Void> purgeChunks(DocumentRef document, int version) {
    return attempt("Purging version " + version + " failed", () -> lanes.run(document, () ->
        index.removeVersion(document, version)
            .thenCompose(removed -> chunks.deleteVersion(document, version))));
  }

  @Override
  public CompletionStage<Void> purgeVersion(DocumentRef document, int version, String objectKey) {
    return purgeChunks(document, version).thenCompose(purged ->
        attempt("Deleting the original of version " + version + " failed", () -> objects.delete(objectKey)));
  }

  @Override
  public CompletionStage<Void> purgeDocument(DocumentRef document) {
    String prefix = DocumentEntity.objectPrefix(document);
    return attempt("Deleting the document failed", () -> lanes.run(document, () ->
        index.removeDocument(document, 0)
            .thenCompose(removed -> chunks.deleteDocument(document)))
        .thenCompose(deleted -> objects.deletePrefix(prefix)));
  }

  /** Runs a port call; whatever fails, synchronously or in its stage, fails with {@link Failed} and a reason. */
  private static <T> CompletionStage<T> attempt(String what, Supplier<CompletionStage<T>> call) {
    CompletionStage<T> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(asFailed(what, e));
    }
    return stage.exceptionallyCompose(error -> CompletableFuture.failedFuture(asFailed(what, error)));
  }

  /** A {@link Failed} passes as is; anything else becomes one saying what failed and why, without a stack trace. */
  static Failed asFailed(String what, Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof Failed failed) return failed;
    return new Failed(what + ": " + reason(cause), cause);
  }

  private static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** The error's own message (its first line), or its type when it has none. */
  private static String reason(Throwable error) {
    Throwable cause = unwrap(error);
    String message = cause.getMessage();
    if (message == null || message.isBlank()) return cause.getClass().getSimpleName();
    String line = message.strip().lines().findFirst().orElse(message);
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }

  private static void closeQuietly(InputStream in) {
    if (in == null) return;
    try {
      in.close();
    } catch (IOException ignored) {
      // already failed or closed
    }
  }
}
