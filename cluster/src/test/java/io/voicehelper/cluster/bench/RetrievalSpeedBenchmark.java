package io.voicehelper.cluster.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.cluster.eval.SampleKbEvaluation;
import io.voicehelper.entities.bench.BenchmarkReport;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.knowledge.SearchHit;
import io.voicehelper.entities.retrieval.RetrievalQuery;
import io.voicehelper.entities.retrieval.RetrievalResult;
import io.voicehelper.entities.retrieval.RetrievalSettings;
import io.voicehelper.streams.knowledge.chunking.ChunkingSettings;
import io.voicehelper.streams.knowledge.chunking.SentenceSplitter;
import io.voicehelper.streams.knowledge.embedding.EmbeddingSettings;
import io.voicehelper.streams.knowledge.embedding.Embeddings;
import io.voicehelper.streams.knowledge.embedding.Vectors;
import io.voicehelper.streams.knowledge.lucene.HnswSettings;
import io.voicehelper.streams.knowledge.lucene.LuceneKnowledgeIndex;
import io.voicehelper.streams.knowledge.lucene.internal.ChunkFields;
import io.voicehelper.streams.retrieval.HybridRetriever;
import io.voicehelper.streams.retrieval.Reranker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.QueryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retrieval speed at 100,000 chunks: BM25, vector and hybrid search through {@link LuceneKnowledgeIndex} and {@link
 * HybridRetriever}, against raw Lucene queries on the same index directory in the same run, interleaved; and the HNSW
 * graph's recall@10 against exact search. Writes its section of {@code docs/benchmarks.md} (its {@code retrieval-speed}
 * section). Run:
 *
 * <pre>mvn -o -B -pl cluster -am test -Dtest=RetrievalSpeedBenchmark -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class RetrievalSpeedBenchmark {

  static final String COMMAND = "mvn -o -B -pl cluster -am test -Dtest=RetrievalSpeedBenchmark -Dbench=true "
      + "-Dsurefire.failIfNoSpecifiedTests=false";

  private static final long SEED = 20261202L;
  private static final int CHUNKS = 100_000;
  /** The searched tenant's share; the rest is spread over {@link #OTHER_TENANTS} tenants the filter must exclude. */
  private static final int TENANT_CHUNKS = 90_000;
  private static final int OTHER_TENANTS = 4;
  private static final String TENANT = "bench";
  private static final int MIN_SENTENCES = 3;
  private static final int MAX_SENTENCES = 6;
  private static final int MIN_DOC_CHUNKS = 20;
  private static final int MAX_DOC_CHUNKS = 180;
  /** Chunks per {@code upsert} call (each is one Lucene commit). */
  private static final int UPSERT_BATCH = 2_000;
  /** A sentence shorter than this (headings' leftovers, "OK.") is not used. */
  private static final int MIN_SENTENCE_CHARS = 8;
  /** Questions of the latency warm-up pass. */
  private static final int WARMUP_QUESTIONS = 100;
  private static final int MEASURED_PASSES = 2;
  /** Short slices in many rounds: a burst of the machine's other work then falls on every operation alike. */
  private static final long SLICE_MS = 250;
  private static final int SLICE_ROUNDS = 12;
  private static final int RECALL_K = 10;
  /** The k (beam) of the raw {@code KnnFloatVectorQuery} in the recall table. */
  private static final int[] BEAMS = {10, 20, 50, 100, 200};
  /** A found chunk within this much cosine of the exact 10th counts for the tolerant recall. */
  private static final double EPSILON = 0.001;

  @TempDir Path dir;

  /** One query operation, given the question's index. */
  @FunctionalInterface
  private interface Op {
    void run(int question) throws Exception;
  }

  private record Named(String name, Op op) {}

  /** The synthetic corpus: the chunks, and the searched tenant's vectors in one array for exact search. */
  private record Corpus(List<EmbeddedChunk> chunks, String[] tenantIds, float[] tenantVectors, int sentences,
      int zhSentences, int documents, double embedSeconds) {}

  @Test
  void benchmark() throws Exception {
    Config config = ConfigFactory.load();
    RetrievalSettings configured = RetrievalSettings.fromConfig(config.getConfig(RetrievalSettings.CONFIG_PATH));
    // No stage may time out on a busy machine: a degraded answer would be faster, not comparable.
    RetrievalSettings settings = new RetrievalSettings(configured.candidates(), configured.topK(),
        configured.maxCandidates(), configured.maxTopK(), configured.fusion(), configured.rerankWindow(),
        java.time.Duration.ofMinutes(1), configured.maxQueryLength());
    ExecutorService blocking = Executors.newFixedThreadPool(8); // as the node's blocking dispatcher
    ExecutorService modelThreads = Executors.newFixedThreadPool(2); // as the embedding dispatcher
    try {
      Embedder model = Embeddings.create(
          EmbeddingSettings.fromConfig(config.getConfig(EmbeddingSettings.CONFIG_PATH)), modelThreads);
      Corpus corpus = corpus(model, config);
      List<SampleKbEvaluation.Question> questions = SampleKbEvaluation.loadQuestions();
      List<String> texts = questions.stream().map(SampleKbEvaluation.Question::text).toList();
      long embedStart = System.nanoTime();
      List<float[]> queryVectors = embedAll(model, texts);
      double queryEmbedSeconds = seconds(embedStart);

      Path indexDir = dir.resolve("index");
      try (LuceneKnowledgeIndex index =
          new LuceneKnowledgeIndex(indexDir, model.dimension(), model.modelId(), blocking)) {
        long indexStart = System.nanoTime();
        for (int from = 0; from < corpus.chunks().size(); from += UPSERT_BATCH) {
          await(index.upsert(corpus.chunks().subList(from, Math.min(from + UPSERT_BATCH, corpus.chunks().size()))));
        }
        double indexSeconds = seconds(indexStart);
        corpus = new Corpus(List.of(), corpus.tenantIds(), corpus.tenantVectors(), corpus.sentences(),
            corpus.zhSentences(), corpus.documents(), corpus.embedSeconds()); // let the chunks go
        try (FSDirectory raw = FSDirectory.open(indexDir); DirectoryReader reader = DirectoryReader.open(raw)) {
          IndexSearcher searcher = new IndexSearcher(reader);
          searcher.setSimilarity(new BM25Similarity());
          Findings found = measure(index, searcher, model, settings, texts, queryVectors, corpus);
          String section = section(found, corpus, settings, questions.size(), indexSeconds, queryEmbedSeconds,
              reader, indexDir);
          System.out.println(section);
          BenchmarkReport.writeSection("retrieval-speed", section);
        }
      }
    } finally {
      blocking.shutdownNow();
      modelThreads.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The corpus

  /**
   * Every distinct sentence of the sample knowledge base (chunked as the pipeline does, then each line split into
   * sentences) embedded once; each synthetic chunk is 3 to 6 random sentences of its document's language, its vector
   * the normalised mean of theirs.
   */
  private static Corpus corpus(Embedder model, Config config) throws Exception {
    ChunkingSettings chunking = ChunkingSettings.fromConfig(config.getConfig(ChunkingSettings.CONFIG_PATH));
    Set<String> distinct = new LinkedHashSet<>();
    for (Chunk chunk : SampleKbEvaluation.chunk("sample", "sample", chunking,
        SampleKbEvaluation.ChunkText.AS_CHUNKED).chunks()) {
      for (String line : chunk.text().split("\n")) {
        for (String sentence : SentenceSplitter.split(line)) {
          String s = sentence.strip().replaceFirst("^([-*+]|\\d+[.)]|\\|)\\s*", "").strip();
          if (s.length() >= MIN_SENTENCE_CHARS) distinct.add(s);
        }
      }
    }
    List<String> sentences = List.copyOf(distinct);
    long start = System.nanoTime();
    List<float[]> vectors = embedAll(model, sentences);
    double embedSeconds = seconds(start);
    List<Integer> zh = new ArrayList<>();
    List<Integer> en = new ArrayList<>();
    for (int i = 0; i < sentences.size(); i++) (isChinese(sentences.get(i)) ? zh : en).add(i);

    Random random = new Random(SEED);
    List<EmbeddedChunk> chunks = new ArrayList<>(CHUNKS);
    String[] tenantIds = new String[TENANT_CHUNKS];
    float[] tenantVectors = new float[TENANT_CHUNKS * model.dimension()];
    int documents = 0;
    while (chunks.size() < CHUNKS) {
      int n = chunks.size();
      String tenant = n < TENANT_CHUNKS ? TENANT : "other-" + (1 + (n - TENANT_CHUNKS) * OTHER_TENANTS
          / (CHUNKS - TENANT_CHUNKS));
      int limit = n < TENANT_CHUNKS ? TENANT_CHUNKS : CHUNKS;
      boolean chinese = random.nextBoolean();
      List<Integer> pool = chinese ? zh : en;
      DocumentRef ref = new DocumentRef(tenant, "col-" + tenant, "doc-" + documents);
      documents++;
      int size = Math.min(limit - n, MIN_DOC_CHUNKS + random.nextInt(MAX_DOC_CHUNKS - MIN_DOC_CHUNKS + 1));
      for (int position = 0; position < size; position++) {
        int count = MIN_SENTENCES + random.nextInt(MAX_SENTENCES - MIN_SENTENCES + 1);
        StringBuilder text = new StringBuilder();
        float[] sum = new float[model.dimension()];
        for (int s = 0; s < count; s++) {
          int sentence = pool.get(random.nextInt(pool.size()));
          if (s > 0 && !chinese) text.append(' ');
          text.append(sentences.get(sentence));
          float[] v = vectors.get(sentence);
          for (int d = 0; d < sum.length; d++) sum[d] += v[d];
        }
        float[] vector = Vectors.normalise(sum);
        String body = text.toString();
        Chunk chunk = new Chunk(Chunk.idFor(ref, 1, position, body), ref, 1, position,
            List.of("document " + ref.documentId()), body, body.length() / (chinese ? 1 : 4));
        if (tenant.equals(TENANT)) {
          int at = chunks.size();
          tenantIds[at] = chunk.chunkId();
          System.arraycopy(vector, 0, tenantVectors, at * vector.length, vector.length);
        }
        chunks.add(new EmbeddedChunk(chunk, vector));
      }
    }
    return new Corpus(chunks, tenantIds, tenantVectors, sentences.size(), zh.size(), documents, embedSeconds);
  }

  private static boolean isChinese(String text) {
    return text.codePoints().anyMatch(cp -> Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN);
  }

  /** Embeds {@code texts} in batches of 64, two at a time (the embedding dispatcher's two threads). */
  private static List<float[]> embedAll(Embedder model, List<String> texts) throws Exception {
    List<CompletableFuture<List<float[]>>> batches = new ArrayList<>();
    for (int from = 0; from < texts.size(); from += 64) {
      batches.add(model.embedAll(texts.subList(from, Math.min(from + 64, texts.size()))).toCompletableFuture());
    }
    List<float[]> vectors = new ArrayList<>(texts.size());
    for (CompletableFuture<List<float[]>> batch : batches) vectors.addAll(await(batch));
    return vectors;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Measuring

  /** Latencies (ms) and throughput (queries/s at 1 and 2 clients) per operation, and recall@10 per beam. */
  private record Findings(Map<String, double[]> latencies, Map<String, double[]> qps,
      Map<String, double[]> recall) {}

  private static final String OURS_BM25 = "BM25: `searchKeyword`";
  private static final String RAW_BM25 = "BM25: raw `IndexSearcher`";
  private static final String OURS_VECTOR = "vector: `searchVector`";
  private static final String RAW_VECTOR = "vector: raw `KnnFloatVectorQuery`, same beam";
  private static final String RAW_VECTOR_LUCENE_BEAM = "vector: raw `KnnFloatVectorQuery`, k = N (beam N)";
  private static final String OURS_HYBRID = "hybrid: `HybridRetriever.retrieve`";
  private static final String RAW_BOTH = "hybrid's raw queries: BM25 then kNN";
  private static final String EMBED = "query embedding alone";
  private static final String OURS_VECTOR_EMBEDDED = "vector with query embedding";
  private static final String OURS_HYBRID_EMBEDDED = "hybrid with query embedding";

  private static Findings measure(LuceneKnowledgeIndex index, IndexSearcher searcher, Embedder model,
      RetrievalSettings settings, List<String> texts, List<float[]> queryVectors, Corpus corpus) throws Exception {
    SearchFilter filter = SearchFilter.tenant(TENANT);
    int n = settings.candidates();
    Embedder precomputed = new SampleKbEvaluation.MemoizingEmbedder(model);
    await(precomputed.embedAll(texts)); // from now on a lookup
    HybridRetriever searchOnly = new HybridRetriever(index, precomputed, Reranker.FUSION_ORDER, settings);
    HybridRetriever embedding = new HybridRetriever(index, model, Reranker.FUSION_ORDER, settings);
    RawQueries raw = new RawQueries(searcher, filter, n);
    int beam = Math.max(n, HnswSettings.DEFAULT.searchBeam()); // as searchVector searches
    List<Named> ops = List.of(
        new Named(OURS_BM25, q -> await(index.searchKeyword(filter, texts.get(q), n))),
        new Named(RAW_BM25, q -> raw.keyword(texts.get(q))),
        new Named(OURS_VECTOR, q -> await(index.searchVector(filter, queryVectors.get(q), n))),
        new Named(RAW_VECTOR, q -> raw.vector(queryVectors.get(q), beam)),
        new Named(RAW_VECTOR_LUCENE_BEAM, q -> raw.vector(queryVectors.get(q), n)),
        new Named(OURS_HYBRID, q -> retrieve(searchOnly, filter, texts.get(q), settings)),
        new Named(RAW_BOTH, q -> {
          raw.keyword(texts.get(q));
          raw.vector(queryVectors.get(q), beam);
        }),
        new Named(EMBED, q -> await(model.embedAll(List.of(texts.get(q))))),
        new Named(OURS_VECTOR_EMBEDDED, q -> await(model.embedAll(List.of(texts.get(q)))
            .thenCompose(v -> index.searchVector(filter, v.get(0), n)))),
        new Named(OURS_HYBRID_EMBEDDED, q -> retrieve(embedding, filter, texts.get(q), settings)));

    // Latency, one client: every operation on every question in turn, its order rotating from question to question.
    Map<String, List<Double>> samples = new LinkedHashMap<>();
    for (Named op : ops) samples.put(op.name(), new ArrayList<>());
    for (int pass = 0; pass <= MEASURED_PASSES; pass++) { // pass 0 warms up
      for (int q = 0; q < (pass == 0 ? WARMUP_QUESTIONS : texts.size()); q++) {
        for (int i = 0; i < ops.size(); i++) {
          Named op = ops.get((i + q + pass) % ops.size());
          long start = System.nanoTime();
          op.op().run(q);
          double ms = (System.nanoTime() - start) / 1e6;
          if (pass > 0) samples.get(op.name()).add(ms);
        }
      }
    }
    Map<String, double[]> latencies = new LinkedHashMap<>();
    samples.forEach((name, values) -> latencies.put(name, new double[] {percentile(values, 50),
        percentile(values, 95), percentile(values, 99)}));

    // Throughput: each operation for a slice with 1, then 2 clients; the slices of all operations interleaved.
    Map<String, long[]> completed = new LinkedHashMap<>();
    for (Named op : ops) completed.put(op.name(), new long[2]);
    Random order = new Random(SEED);
    for (int round = 0; round < SLICE_ROUNDS; round++) {
      List<Named> shuffled = new ArrayList<>(ops);
      java.util.Collections.shuffle(shuffled, order);
      for (Named op : shuffled) {
        for (int clients = 1; clients <= 2; clients++) {
          completed.get(op.name())[clients - 1] += slice(op.op(), clients, texts.size());
        }
      }
    }
    Map<String, double[]> qps = new LinkedHashMap<>();
    double sliceSeconds = SLICE_ROUNDS * SLICE_MS / 1000.0;
    completed.forEach((name, counts) -> qps.put(name,
        new double[] {counts[0] / sliceSeconds, counts[1] / sliceSeconds}));

    // Recall@10 of the HNSW search against exact search over the tenant's vectors.
    List<Exact> exact = IntStream.range(0, queryVectors.size()).parallel()
        .mapToObj(q -> exactTop(queryVectors.get(q), corpus, RECALL_K)).toList();
    Map<String, double[]> recall = new LinkedHashMap<>();
    for (int limit : new int[] {RECALL_K, n}) {
      recall.put("`searchVector`, limit " + limit + " (beam " + Math.max(limit, HnswSettings.DEFAULT.searchBeam())
          + ")", recall(exact, q -> await(index.searchVector(filter, queryVectors.get(q), limit))));
    }
    for (int k : BEAMS) {
      recall.put("raw `KnnFloatVectorQuery`, k = " + k, recall(exact, q -> raw.vectorTop(queryVectors.get(q), k)));
    }
    return new Findings(latencies, qps, recall);
  }

  @FunctionalInterface
  private interface Search {
    List<SearchHit> top(int question) throws Exception;
  }

  /** Mean recall@10 of {@code search}'s top 10: strict (by id), and tolerant (within {@link #EPSILON} of the 10th). */
  private static double[] recall(List<Exact> exact, Search search) throws Exception {
    double strict = 0;
    double tolerant = 0;
    for (int q = 0; q < exact.size(); q++) {
      List<SearchHit> hits = search.top(q);
      hits = hits.subList(0, Math.min(RECALL_K, hits.size()));
      Exact truth = exact.get(q);
      strict += hits.stream().filter(hit -> truth.ids().contains(hit.chunk().chunkId())).count() / (double) RECALL_K;
      tolerant += hits.stream().filter(hit -> hit.score() >= truth.last() - EPSILON).count() / (double) RECALL_K;
    }
    return new double[] {strict / exact.size(), tolerant / exact.size()};
  }

  private static void retrieve(HybridRetriever retriever, SearchFilter filter, String text,
      RetrievalSettings settings) throws Exception {
    RetrievalResult result = await(retriever.retrieve(
        new RetrievalQuery(filter, text, settings.candidates(), settings.topK(), Optional.empty())));
    if (!result.degraded().isEmpty()) throw new IllegalStateException("degraded: " + result.degraded());
  }

  /** Operations completed by {@code clients} threads in one slice, each thread going through the questions. */
  private static long slice(Op op, int clients, int questions) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong done = new AtomicLong();
    CountDownLatch finished = new CountDownLatch(clients);
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int c = 0; c < clients; c++) {
      int first = c * questions / clients;
      Thread thread = new Thread(() -> {
        try {
          for (int q = first; !stop.get(); q = (q + 1) % questions) {
            op.run(q);
            if (!stop.get()) done.incrementAndGet();
          }
        } catch (Throwable e) {
          failures.add(e);
        } finally {
          finished.countDown();
        }
      }, "bench-client-" + c);
      thread.start();
    }
    Thread.sleep(SLICE_MS);
    stop.set(true);
    finished.await(1, TimeUnit.MINUTES);
    if (!failures.isEmpty()) throw new IllegalStateException("a client failed", failures.get(0));
    return done.get();
  }

  /** The exact nearest chunks' ids, and the cosine of the last of them. */
  private record Exact(Set<String> ids, double last) {}

  /** The {@code k} chunks of the tenant whose vectors have the largest dot product with {@code query}. */
  private static Exact exactTop(float[] query, Corpus corpus, int k) {
    int dimension = query.length;
    int count = corpus.tenantIds().length;
    int[] best = new int[k];
    double[] scores = new double[k];
    Arrays.fill(scores, Double.NEGATIVE_INFINITY);
    float[] all = corpus.tenantVectors();
    for (int i = 0; i < count; i++) {
      double dot = 0;
      int base = i * dimension;
      for (int d = 0; d < dimension; d++) dot += query[d] * all[base + d];
      if (dot <= scores[k - 1]) continue;
      int at = k - 1;
      while (at > 0 && scores[at - 1] < dot) {
        scores[at] = scores[at - 1];
        best[at] = best[at - 1];
        at--;
      }
      scores[at] = dot;
      best[at] = i;
    }
    Set<String> ids = new HashSet<>();
    for (int i : best) ids.add(corpus.tenantIds()[i]);
    return new Exact(ids, scores[k - 1]);
  }

  /**
   * The baseline: the queries the index builds, run on an {@link IndexSearcher} over the same directory, and the
   * hits' stored documents read (what any caller needs to return the text).
   */
  private static final class RawQueries {
    private final IndexSearcher searcher;
    private final Query filter;
    private final int n;
    private final QueryBuilder builder = new QueryBuilder(ChunkFields.analyzer());

    RawQueries(IndexSearcher searcher, SearchFilter filter, int n) {
      this.searcher = searcher;
      this.filter = ChunkFields.filter(filter);
      this.n = n;
    }

    void keyword(String text) throws IOException {
      BooleanQuery.Builder words = new BooleanQuery.Builder();
      for (String field : new String[] {ChunkFields.TEXT, ChunkFields.TEXT_BIGRAMS}) {
        Query query = builder.createBooleanQuery(field, text, Occur.SHOULD);
        if (query != null) words.add(query, Occur.SHOULD);
      }
      fetch(searcher.search(new BooleanQuery.Builder().add(words.build(), Occur.MUST).add(filter, Occur.FILTER)
          .build(), n));
    }

    /** The best N of a search with beam {@code k}. */
    void vector(float[] vector, int k) throws IOException {
      fetch(searcher.search(new KnnFloatVectorQuery(ChunkFields.VECTOR, vector, k, filter), n));
    }

    /** The best {@value #RECALL_K} of a search with beam {@code k}, as hits. */
    List<SearchHit> vectorTop(float[] vector, int k) throws IOException {
      List<SearchHit> hits = new ArrayList<>();
      var stored = searcher.storedFields();
      for (ScoreDoc hit : searcher.search(new KnnFloatVectorQuery(ChunkFields.VECTOR, vector, k, filter), RECALL_K)
          .scoreDocs) {
        hits.add(new SearchHit(ChunkFields.chunk(stored.document(hit.doc)), 2.0 * hit.score - 1.0));
      }
      return hits;
    }

    private void fetch(TopDocs top) throws IOException {
      var stored = searcher.storedFields();
      for (ScoreDoc hit : top.scoreDocs) stored.document(hit.doc);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reporting

  private static String section(Findings found, Corpus corpus, RetrievalSettings settings, int questions,
      double indexSeconds, double queryEmbedSeconds, DirectoryReader reader, Path indexDir) throws IOException {
    long bytes;
    try (var files = Files.walk(indexDir)) {
      bytes = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
    StringBuilder md = new StringBuilder()
        .append("## Retrieval speed at 100,000 chunks\n\n")
        .append("`cluster/src/test/java/io/voicehelper/cluster/bench/RetrievalSpeedBenchmark.java`, run on ")
        .append(LocalDate.now(ZoneOffset.UTC))
        .append(" (2 cores, shared with other work, noisy: compare the ratios in a row, not runs):\n\n```\n")
        .append(COMMAND).append("\n```\n\n")
        .append("**Corpus.** Every distinct sentence of the sample knowledge base (its 14 documents chunked as the ")
        .append("pipeline chunks them, each line of a chunk split by the chunker's `SentenceSplitter`, list markers ")
        .append("dropped, sentences under ").append(MIN_SENTENCE_CHARS).append(" characters left out): ")
        .append(corpus.sentences()).append(" sentences (").append(corpus.zhSentences()).append(" Chinese, ")
        .append(corpus.sentences() - corpus.zhSentences()).append(" English), each embedded once by the configured ")
        .append("in-process model in ").append(String.format(Locale.ROOT, "%.1f", corpus.embedSeconds()))
        .append(" s. ").append(String.format(Locale.ROOT, "%,d", CHUNKS)).append(" synthetic chunks in ")
        .append(corpus.documents()).append(" documents of ").append(MIN_DOC_CHUNKS).append("–")
        .append(MAX_DOC_CHUNKS).append(" chunks (seeded RNG, seed ").append(SEED).append("): each document is ")
        .append("Chinese or English at random, each chunk ").append(MIN_SENTENCES).append("–").append(MAX_SENTENCES)
        .append(" random sentences of its document's language, its vector the L2-normalised mean of its ")
        .append("sentences' vectors. ").append(String.format(Locale.ROOT, "%,d", TENANT_CHUNKS))
        .append(" chunks belong to the searched tenant, the other ")
        .append(String.format(Locale.ROOT, "%,d", CHUNKS - TENANT_CHUNKS)).append(" to ").append(OTHER_TENANTS)
        .append(" other tenants, which every search must filter out. Written through `LuceneKnowledgeIndex.upsert` ")
        .append("(the production path; `HnswSettings.DEFAULT`: M = ").append(HnswSettings.DEFAULT.maxConn())
        .append(", construction beam ").append(HnswSettings.DEFAULT.beamWidth()).append(") in calls of ").append(String.format(Locale.ROOT,
            "%,d", UPSERT_BATCH)).append(" chunks (each a commit) into a temporary directory: ")
        .append(String.format(Locale.ROOT, "**%.0f s** (%.0f chunks/s)", indexSeconds, CHUNKS / indexSeconds))
        .append(", ").append(reader.leaves().size()).append(" segments, ")
        .append(String.format(Locale.ROOT, "%.0f MB", bytes / 1e6)).append(" on disk.\n\n")
        .append("**Queries.** The ").append(questions).append(" labelled questions of ")
        .append("`sample-kb-eval/questions.jsonl` (Chinese and English), over the searched tenant, N = ")
        .append(settings.candidates()).append(" hits per search, hybrid with the default fusion (")
        .append(describe(settings)).append(", K = ").append(settings.topK())
        .append("), no reranker and no cache. Their vectors were computed once up front (")
        .append(String.format(Locale.ROOT, "%.1f s", queryEmbedSeconds)).append(") for the *search only* rows; ")
        .append("the *with query embedding* rows embed each question through the model as a node does, uncached. ")
        .append("*Ours* goes through `LuceneKnowledgeIndex` (an 8-thread pool as the blocking dispatcher; the ")
        .append("model on 2 threads) and returns `Chunk`s. *Raw* is the same Lucene queries on an `IndexSearcher` ")
        .append("opened directly on the same directory, on the calling thread: the BM25 query built as the index ")
        .append("builds it (`QueryBuilder` over the smartcn and bigram fields with the same analyzer, the tenant ")
        .append("filter as a `FILTER` clause), and `KnnFloatVectorQuery` with the same k (beam) and filter, keeping ")
        .append("the best N; it reads each hit's stored document, as any caller must to return text. The row *k = N* ")
        .append("is the vector search as it was before the search beam (below): Lucene's own beam, N.\n\n")
        .append("**Latency**, one client: a warm-up pass over ").append(WARMUP_QUESTIONS)
        .append(" questions, then ").append(MEASURED_PASSES)
        .append(" passes over the questions, each question going through every operation in turn (the order ")
        .append("rotating), so ours and raw ran side by side; ").append(MEASURED_PASSES * questions)
        .append(" samples per row. **Throughput**: each operation run back to back by 1 and by 2 client threads ")
        .append("for ").append(SLICE_ROUNDS).append(" slices of ").append(SLICE_MS)
        .append(" ms each, the operations' slices interleaved in a new random order every round.\n\n")
        .append("| search only | P50 ms | P95 ms | P99 ms | QPS, 1 client | QPS, 2 clients | P50 ours/raw | ")
        .append("P95 ours/raw | QPS ours/raw (1 / 2) |\n|---|---|---|---|---|---|---|---|---|\n");
    pair(md, found, OURS_BM25, RAW_BM25);
    pair(md, found, OURS_VECTOR, RAW_VECTOR);
    rawRow(md, found, RAW_VECTOR_LUCENE_BEAM);
    pair(md, found, OURS_HYBRID, RAW_BOTH);
    md.append("\n| with query embedding | P50 ms | P95 ms | P99 ms | QPS, 1 client | QPS, 2 clients |\n")
        .append("|---|---|---|---|---|---|\n");
    for (String name : List.of(EMBED, OURS_VECTOR_EMBEDDED, OURS_HYBRID_EMBEDDED)) row(md, found, name);
    md.append("\n**HNSW recall@10** against exact search (brute-force dot product over the searched tenant's ")
        .append(String.format(Locale.ROOT, "%,d", TENANT_CHUNKS))
        .append(" vectors), mean over the questions: *strict* counts the found chunks that are among the exact top ")
        .append("10; *within ").append(EPSILON).append("* counts those whose cosine is within ").append(EPSILON)
        .append(" of the exact 10th (near-ties: the corpus reuses ").append(corpus.sentences())
        .append(" sentences, so many chunks lie close together, likely closer than in real text). Lucene searches ")
        .append("the graph with a beam (efSearch) of k, the number of hits asked for; `searchVector` now asks for ")
        .append("at least `HnswSettings.searchBeam` = ").append(HnswSettings.DEFAULT.searchBeam())
        .append(" and keeps its `limit` best (before, the beam was the limit: hybrid's vector half searched with ")
        .append("N = ").append(settings.candidates()).append("; the raw rows give that recall at each k).\n\n")
        .append("| search | recall@10 strict | recall@10 within ").append(EPSILON).append(" |\n|---|---|---|\n");
    found.recall().forEach((what, value) -> md.append(
        String.format(Locale.ROOT, "| %s | %.3f | %.3f |%n", what, value[0], value[1])));
    return md.toString();
  }

  private static String describe(RetrievalSettings settings) {
    return settings.fusion() instanceof io.voicehelper.entities.retrieval.Fusion.Weighted weighted
        ? String.format(Locale.ROOT, "weighted, vector weight %.1f", weighted.vectorWeight())
        : settings.fusion().toString();
  }

  private static void pair(StringBuilder md, Findings found, String ours, String raw) {
    double[] o = found.latencies().get(ours);
    double[] r = found.latencies().get(raw);
    double[] oq = found.qps().get(ours);
    double[] rq = found.qps().get(raw);
    md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f× | %.2f× | %.2f / %.2f |%n",
        ours, o[0], o[1], o[2], oq[0], oq[1], o[0] / r[0], o[1] / r[1], oq[0] / rq[0], oq[1] / rq[1]));
    rawRow(md, found, raw);
  }

  private static void rawRow(StringBuilder md, Findings found, String raw) {
    double[] r = found.latencies().get(raw);
    double[] rq = found.qps().get(raw);
    md.append(String.format(Locale.ROOT, "| *%s* | %.2f | %.2f | %.2f | %.0f | %.0f | | | |%n",
        raw, r[0], r[1], r[2], rq[0], rq[1]));
  }

  private static void row(StringBuilder md, Findings found, String name) {
    double[] l = found.latencies().get(name);
    double[] q = found.qps().get(name);
    md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.0f | %.0f |%n", name, l[0], l[1], l[2],
        q[0], q[1]));
  }

  private static double percentile(List<Double> values, double p) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(5, TimeUnit.MINUTES);
  }
}
