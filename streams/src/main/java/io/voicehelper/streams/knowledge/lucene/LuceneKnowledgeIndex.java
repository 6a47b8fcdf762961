package io.voicehelper.streams.knowledge.lucene;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.KnowledgeIndex;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.streams.knowledge.index.KeywordStore;
import io.voicehelper.streams.knowledge.index.VectorStore;
import io.voicehelper.streams.knowledge.lucene.internal.ChunkFields;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.IndexWriterConfig.OpenMode;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherFactory;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.QueryBuilder;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link KnowledgeIndex}: one node-local Lucene index holding both halves, BM25 keyword search over
 * the text analysed twice (smartcn words; CJK bigrams and English words) and HNSW vector search, so that a write is
 * one Lucene update of both.
 *
 * <p>Every write runs on the given executor (a dispatcher for blocking work), is committed (it survives a restart),
 * and is visible to searches when its stage completes. Searches are always filtered by tenant, and by collections and
 * document when the filter names them; vector searches filter inside the HNSW graph, so a tenant's {@code limit}
 * nearest chunks are found however small its share of the index.
 *
 * <p>Each commit records the embedding model, the vector dimension and the field layout. An index written by
 * another model, dimension or layout is discarded when opened, and {@link #needsRebuild()} says so, as it does for a
 * new index and one whose last {@link #rebuild} did not finish: the node then rebuilds it from the chunk table.
 */
public final class LuceneKnowledgeIndex implements KnowledgeIndex, VectorStore, KeywordStore, Closeable {

  private static final Logger log = LoggerFactory.getLogger(LuceneKnowledgeIndex.class);

  /** Chunks written per Lucene call during a rebuild; the stream is pulled one batch at a time. */
  static final int REBUILD_BATCH = 256;

  static final String MODEL = "voicehelper.model";
  static final String DIMENSION = "voicehelper.dimension";
  static final String SCHEMA = "voicehelper.schema";
  static final String COMPLETE = "voicehelper.complete";
  /** Followed by a journal tag: the journal offset up to which the index has applied that tag's events. */
  static final String JOURNAL_OFFSET = "voicehelper.journal-offset.";

  private final Path path;
  private final int dimension;
  private final String modelId;
  private final Executor executor;
  private final int searchBeam;
  private final Directory directory;
  private final Analyzer analyzer = ChunkFields.analyzer();
  private final IndexWriter writer;
  private final SearcherManager searchers;
  /** False while the index lacks chunks the chunk table has: new, discarded, or a rebuild that did not finish. */
  private volatile boolean complete;
  /** Per journal tag, the offset whose events the index reflects; committed with the index (see {@link #commit}). */
  private final Map<String, Long> journalOffsets = new ConcurrentHashMap<>();

  /** Opens (or creates) the index in {@code path} with {@link HnswSettings#DEFAULT}. */
  public LuceneKnowledgeIndex(Path path, int dimension, String modelId, Executor executor) throws IOException {
    this(path, dimension, modelId, executor, HnswSettings.DEFAULT);
  }

  /**
   * Opens the index in {@code path}, creating it if there is none, or recreating it empty if it was written for
   * another model, dimension or field layout.
   *
   * @param dimension the embedder's {@link io.voicehelper.entities.knowledge.Embedder#dimension()}
   * @param modelId the embedder's {@link io.voicehelper.entities.knowledge.Embedder#modelId()}
   * @param executor where Lucene's blocking work runs: a dispatcher for blocking work, never the default one
   */
  public LuceneKnowledgeIndex(Path path, int dimension, String modelId, Executor executor, HnswSettings hnsw)
      throws IOException {
    if (dimension < 1) throw new IllegalArgumentException("dimension must be >= 1");
    this.path = path;
    this.dimension = dimension;
    this.modelId = modelId;
    this.executor = executor;
    this.searchBeam = hnsw.searchBeam();
    this.directory = FSDirectory.open(path);
    String mismatch = mismatch(directory);
    this.complete = mismatch == null;
    if (mismatch == null) journalOffsets.putAll(journalOffsets(directory));
    if (mismatch != null) log.warn("Knowledge index at {}: {}; it starts empty and needs a rebuild", path, mismatch);
    IndexWriterConfig config = new IndexWriterConfig(analyzer)
        .setOpenMode(mismatch == null ? OpenMode.APPEND : OpenMode.CREATE)
        .setSimilarity(new BM25Similarity())
        .setCodec(codec(hnsw));
    IndexWriter opened = null;
    try {
      opened = new IndexWriter(directory, config);
      this.writer = opened;
      commit(); // records this model now, so that a crash before the first write cannot reopen a foreign index
      this.searchers = new SearcherManager(writer, new SearcherFactory() {
        @Override
        public IndexSearcher newSearcher(org.apache.lucene.index.IndexReader reader,
            org.apache.lucene.index.IndexReader previous) {
          IndexSearcher searcher = new IndexSearcher(reader);
          searcher.setSimilarity(new BM25Similarity());
          return searcher;
        }
      });
    } catch (IOException | RuntimeException e) {
      if (opened != null) opened.rollback();
      directory.close();
      throw e;
    }
  }

  /** Why the index in {@code directory} cannot be used as it is, or {@code null} when it can. */
  private String mismatch(Directory directory) throws IOException {
    if (!DirectoryReader.indexExists(directory)) return "there is no index yet";
    Map<String, String> data = SegmentInfos.readLatestCommit(directory).getUserData();
    String found = data.getOrDefault(MODEL, "?") + " (" + data.getOrDefault(DIMENSION, "?") + "-d, layout "
        + data.getOrDefault(SCHEMA, "?") + ")";
    String wanted = modelId + " (" + dimension + "-d, layout " + ChunkFields.SCHEMA + ")";
    if (!modelId.equals(data.get(MODEL)) || !String.valueOf(dimension).equals(data.get(DIMENSION))
        || !ChunkFields.SCHEMA.equals(data.get(SCHEMA))) {
      return "it was written for " + found + ", this node embeds with " + wanted;
    }
    return "true".equals(data.get(COMPLETE)) ? null : "its last rebuild did not finish";
  }

  private static Map<String, Long> journalOffsets(Directory directory) throws IOException {
    Map<String, Long> offsets = new HashMap<>();
    SegmentInfos.readLatestCommit(directory).getUserData().forEach((key, value) -> {
      if (key.startsWith(JOURNAL_OFFSET)) offsets.put(key.substring(JOURNAL_OFFSET.length()), Long.parseLong(value));
    });
    return offsets;
  }

  private static Lucene912Codec codec(HnswSettings hnsw) {
    KnnVectorsFormat vectors = new Lucene99HnswVectorsFormat(hnsw.maxConn(), hnsw.beamWidth());
    return new Lucene912Codec() {
      @Override
      public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return vectors;
      }
    };
  }

  /**
   * True when the index lacks chunks the chunk table may have: it is new, was written for another model, dimension
   * or layout (and was discarded), or its last rebuild did not finish. A node then rebuilds it at start; writes made
   * meanwhile wait for the rebuild and apply after it, in order.
   */
  public boolean needsRebuild() {
    return !complete;
  }

  /**
   * Per journal tag, the offset up to which the index reflects the journal's events (committed with the index, so
   * they survive a restart and vanish with the index); empty when unknown: a new or discarded index, or one rebuilt
   * without offsets.
   */
  public Map<String, Long> journalOffsets() {
    return Map.copyOf(journalOffsets);
  }

  /**
   * Records that the index reflects the journal up to {@code offsets} (per tag) and commits, after every write asked
   * for before. Call it only once those events' changes were written, so a committed offset never runs ahead of the
   * index.
   */
  public CompletionStage<Void> saveJournalOffsets(Map<String, Long> offsets) {
    if (offsets.isEmpty()) return CompletableFuture.completedFuture(null);
    return serially(() -> CompletableFuture.runAsync(() -> io(() -> {
      journalOffsets.putAll(offsets);
      commit();
    }), executor));
  }

  /** The directory the index lives in. */
  public Path path() {
    return path;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Writes

  @Override
  public CompletionStage<Void> upsert(List<EmbeddedChunk> chunks) {
    if (chunks.isEmpty()) return CompletableFuture.completedFuture(null);
    return write(() -> add(chunks));
  }

  @Override
  public CompletionStage<Void> removeDocument(DocumentRef document, int keepVersion) {
    return write(() -> writer.deleteDocuments(ChunkFields.documentExcept(document, keepVersion)));
  }

  @Override
  public CompletionStage<Void> removeVersion(DocumentRef document, int version) {
    return write(() -> writer.deleteDocuments(ChunkFields.documentVersion(document, version)));
  }

  @Override
  public CompletionStage<Void> removeCollection(String tenantId, String collectionId) {
    return write(() -> writer.deleteDocuments(ChunkFields.collection(tenantId, collectionId)));
  }

  /** Removes the document's chunks with these ids, of whatever version. */
  public CompletionStage<Void> removeChunks(DocumentRef document, Collection<String> chunkIds) {
    if (chunkIds.isEmpty()) return CompletableFuture.completedFuture(null);
    return write(() -> writer.deleteDocuments(chunkIds.stream()
        .map(id -> ChunkFields.keyTerm(document, id))
        .toArray(org.apache.lucene.index.Term[]::new)));
  }

  /** The ids of the document's chunks in the index, by version: what a follower compares with the chunk table. */
  public CompletionStage<Map<Integer, Set<String>>> chunkIdsByVersion(DocumentRef document) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        IndexSearcher searcher = searchers.acquire();
        try {
          Query query = ChunkFields.documentExcept(document, 0);
          TopDocs top = searcher.search(query, Math.max(1, searcher.count(query)));
          StoredFields stored = searcher.storedFields();
          Map<Integer, Set<String>> held = new HashMap<>();
          for (ScoreDoc hit : top.scoreDocs) {
            org.apache.lucene.document.Document doc = stored.document(hit.doc,
                Set.of(ChunkFields.VERSION, ChunkFields.CHUNK_ID));
            held.computeIfAbsent(doc.getField(ChunkFields.VERSION).numericValue().intValue(), v -> new HashSet<>())
                .add(doc.get(ChunkFields.CHUNK_ID));
          }
          return held;
        } finally {
          searchers.release(searcher);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("reading the knowledge index at " + path + " failed", e);
      }
    }, executor);
  }

  /**
   * Deletes everything, then writes {@code chunks} in batches of {@value #REBUILD_BATCH}, pulling the next batch
   * only when the previous one is written, and commits once at the end. Searches see the old content until the
   * rebuild completes. Writes are serial: one asked for during the rebuild runs after it, so a publish that happens
   * while the chunk table is being read is not undone by a later page of the rebuild. If the stream fails, the index
   * stays {@link #needsRebuild() in need of a rebuild}.
   */
  public CompletionStage<Void> rebuild(Source<EmbeddedChunk, ?> chunks, Materializer materializer) {
    return rebuild(Map.of(), chunks, materializer);
  }

  /**
   * As {@link #rebuild(Source, Materializer)}, and records {@code journalOffsets} with the commit that completes it:
   * read them from the journal before the chunk table is streamed, so that no change falls between the two.
   */
  public CompletionStage<Void> rebuild(Map<String, Long> journalOffsets, Source<EmbeddedChunk, ?> chunks,
      Materializer materializer) {
    return serially(() -> rebuildNow(Map.copyOf(journalOffsets), chunks, materializer));
  }

  private CompletionStage<Void> rebuildNow(Map<String, Long> offsets, Source<EmbeddedChunk, ?> chunks,
      Materializer materializer) {
    return CompletableFuture.runAsync(() -> {
      complete = false;
      journalOffsets.clear();
      io(writer::deleteAll);
    }, executor)
        .thenCompose(started -> chunks
            .grouped(REBUILD_BATCH)
            .mapAsync(1, batch -> CompletableFuture.runAsync(() -> io(() -> add(batch)), executor))
            .runWith(Sink.ignore(), materializer))
        .thenRunAsync(() -> {
          complete = true;
          journalOffsets.putAll(offsets);
          try {
            io(this::commit);
          } catch (RuntimeException e) {
            complete = false;
            journalOffsets.clear();
            throw e;
          }
          io(searchers::maybeRefreshBlocking);
          log.info("Knowledge index at {} rebuilt", path);
        }, executor)
        .whenComplete((done, failure) -> {
          if (failure != null) log.warn("Rebuilding the knowledge index at {} failed", path, failure);
        });
  }

  /** Writes the chunks; checks every vector first, so that a bad one leaves nothing half-written. */
  private void add(List<EmbeddedChunk> chunks) throws IOException {
    List<org.apache.lucene.document.Document> documents = new ArrayList<>(chunks.size());
    for (EmbeddedChunk embedded : chunks) {
      documents.add(ChunkFields.document(embedded.chunk(), normalised(embedded.vector())));
    }
    for (int i = 0; i < chunks.size(); i++) {
      writer.updateDocument(ChunkFields.keyTerm(chunks.get(i).chunk()), documents.get(i));
    }
  }

  /**
   * Runs {@code change}, commits and refreshes on the executor, after every write asked for before it: durable and
   * visible when the stage completes.
   */
  private CompletionStage<Void> write(IoAction change) {
    return serially(() -> CompletableFuture.runAsync(() -> io(() -> {
      change.run();
      commit();
      searchers.maybeRefreshBlocking();
    }), executor));
  }

  /** Starts {@code step} when every write asked for before it has finished, failed or not. */
  private synchronized CompletionStage<Void> serially(java.util.function.Supplier<CompletionStage<Void>> step) {
    CompletableFuture<Void> next = writes.handle((ignored, failure) -> null).thenCompose(ignored -> step.get());
    writes = next;
    return next;
  }

  /** The last write asked for; the next one starts after it. */
  private CompletableFuture<Void> writes = CompletableFuture.completedFuture(null);

  /** Commits with this index's model, dimension, layout, completeness and journal offsets. */
  private synchronized void commit() throws IOException {
    Map<String, String> data = new HashMap<>();
    data.put(MODEL, modelId);
    data.put(DIMENSION, String.valueOf(dimension));
    data.put(SCHEMA, ChunkFields.SCHEMA);
    data.put(COMPLETE, String.valueOf(complete));
    journalOffsets.forEach((tag, offset) -> data.put(JOURNAL_OFFSET + tag, String.valueOf(offset)));
    writer.setLiveCommitData(data.entrySet());
    writer.commit();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Searches

  /**
   * Scores are cosine similarities (Lucene's dot-product score {@code (1 + cos) / 2}, mapped back). The graph is
   * searched with a beam of at least {@link HnswSettings#searchBeam()}, and the best {@code limit} are kept.
   */
  @Override
  public CompletionStage<List<SearchHit>> searchVector(SearchFilter filter, float[] vector, int limit) {
    if (limit < 1) return CompletableFuture.completedFuture(List.of());
    return CompletableFuture.supplyAsync(() -> {
      Query query = new KnnFloatVectorQuery(ChunkFields.VECTOR, normalised(vector), Math.max(limit, searchBeam),
          ChunkFields.filter(filter));
      return search(query, limit, score -> 2.0 * score - 1.0);
    }, executor);
  }

  /**
   * The query is analysed like the text, by smartcn and into bigrams and English words, and a chunk scores the sum
   * of both fields' BM25 scores. A query without any searchable word finds nothing. Only the first
   * {@value #MAX_QUERY_CHARS} characters count, and a query that still makes more clauses than Lucene allows is cut
   * in half until it does not: a pasted page is searched by its beginning instead of failing.
   */
  @Override
  public CompletionStage<List<SearchHit>> searchKeyword(SearchFilter filter, String query, int limit) {
    if (limit < 1 || query == null || query.isBlank()) return CompletableFuture.completedFuture(List.of());
    return CompletableFuture.supplyAsync(() -> {
      String text = prefix(query, MAX_QUERY_CHARS);
      while (true) {
        try {
          return searchKeywordNow(filter, text, limit);
        } catch (IndexSearcher.TooManyClauses tooMany) {
          if (text.length() < 2) throw tooMany;
          text = prefix(text, text.length() / 2);
        }
      }
    }, executor);
  }

  /** Characters of a keyword query that are searched; Lucene allows 1024 clauses, and each word makes two. */
  static final int MAX_QUERY_CHARS = 2_000;

  private List<SearchHit> searchKeywordNow(SearchFilter filter, String query, int limit) {
    QueryBuilder builder = new QueryBuilder(analyzer);
    BooleanQuery.Builder words = new BooleanQuery.Builder();
    boolean any = false;
    for (String field : new String[] {ChunkFields.TEXT, ChunkFields.TEXT_BIGRAMS}) {
      Query q = builder.createBooleanQuery(field, query, Occur.SHOULD);
      if (q != null) {
        words.add(q, Occur.SHOULD);
        any = true;
      }
    }
    if (!any) return List.of();
    Query filtered = new BooleanQuery.Builder()
        .add(words.build(), Occur.MUST)
        .add(ChunkFields.filter(filter), Occur.FILTER)
        .build();
    return search(filtered, limit, score -> score);
  }

  /** At most the first {@code length} characters, never ending inside a surrogate pair. */
  private static String prefix(String text, int length) {
    if (text.length() <= length) return text;
    int end = Character.isHighSurrogate(text.charAt(length - 1)) ? length - 1 : length;
    return text.substring(0, end);
  }

  private List<SearchHit> search(Query query, int limit, java.util.function.DoubleUnaryOperator toScore) {
    try {
      IndexSearcher searcher = searchers.acquire();
      try {
        TopDocs top = searcher.search(query, limit);
        StoredFields stored = searcher.storedFields();
        List<SearchHit> hits = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc hit : top.scoreDocs) {
          hits.add(new SearchHit(ChunkFields.chunk(stored.document(hit.doc)), toScore.applyAsDouble(hit.score)));
        }
        return hits;
      } finally {
        searchers.release(searcher);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("searching the knowledge index at " + path + " failed", e);
    }
  }

  /** A unit-length copy; fails on a vector of the wrong dimension or without direction. */
  private float[] normalised(float[] vector) {
    if (vector.length != dimension) {
      throw new IllegalArgumentException("a vector of " + vector.length + " dimensions cannot go into an index of "
          + dimension + "-d vectors of " + modelId);
    }
    double sum = 0;
    for (float v : vector) sum += (double) v * v;
    if (sum == 0 || Double.isNaN(sum) || Double.isInfinite(sum)) {
      throw new IllegalArgumentException("a vector must be finite and not all zeros");
    }
    float norm = (float) Math.sqrt(sum);
    float[] unit = new float[vector.length];
    for (int i = 0; i < vector.length; i++) unit[i] = vector[i] / norm;
    return unit;
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** Commits what was written and releases the directory; the index must not be used afterwards. */
  @Override
  public void close() throws IOException {
    try {
      searchers.close();
      commit();
    } finally {
      try {
        writer.close();
      } finally {
        directory.close();
      }
    }
  }

  @FunctionalInterface
  private interface IoAction {
    void run() throws IOException;
  }

  private void io(IoAction action) {
    try {
      action.run();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the knowledge index at " + path + " failed", e);
    }
  }
}
