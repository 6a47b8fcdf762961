package io.voicehelper.streams.knowledge.bench;

import com.sun.management.OperatingSystemMXBean;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallzhv15q.BgeSmallZhV15QuantizedEmbeddingModel;
import io.voicehelper.entities.bench.BenchmarkReport;
import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentPipeline;
import io.voicehelper.entities.knowledge.DocumentPipeline.Job;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.ObjectStore;
import io.voicehelper.streams.knowledge.IndexingSettings;
import io.voicehelper.streams.knowledge.StreamsDocumentPipeline;
import io.voicehelper.streams.knowledge.index.DocumentLanes;
import io.voicehelper.streams.knowledge.chunking.ChunkDraft;
import io.voicehelper.streams.knowledge.chunking.ChunkingSettings;
import io.voicehelper.streams.knowledge.chunking.StructuredChunker;
import io.voicehelper.streams.knowledge.embedding.EmbeddingSettings;
import io.voicehelper.streams.knowledge.embedding.Embeddings;
import io.voicehelper.streams.knowledge.jdbc.JdbcChunkStore;
import io.voicehelper.streams.knowledge.lucene.LuceneKnowledgeIndex;
import io.voicehelper.streams.knowledge.parsing.TikaDocumentParser;
import io.voicehelper.streams.knowledge.storage.FileSystemObjectStore;
import io.voicehelper.streams.knowledge.storage.ObjectStoreSettings;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Indexing and embedding throughput on the sample knowledge base, each set against the raw embedding model called
 * directly in the same run: the LangChain4j model alone (one thread, and as many threads as our embedding dispatcher
 * has), our embedding port, the whole indexing pipeline (object store → Tika → chunker → embeddings → JDBC chunk table
 * → Lucene), and the same pipeline with the model's vectors precomputed, which leaves what is not embedding. Writes its
 * section of {@code docs/benchmarks.md}. Run:
 *
 * <pre>mvn -o -B -pl streams -am test -Dtest=IndexingThroughputBenchmark -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class IndexingThroughputBenchmark {

  private static final String COMMAND = "mvn -o -B -pl streams -am test -Dtest=IndexingThroughputBenchmark "
      + "-Dbench=true -Dsurefire.failIfNoSpecifiedTests=false";
  private static final int WARMUP_ROUNDS = 1;
  /** Further warm-up passes of the cheap pipeline pass: the JIT goes on compiling Tika, Lucene and H2 for a while. */
  private static final int EXTRA_PIPELINE_WARMUPS = 3;
  private static final int MIN_MEASURED_ROUNDS = 3;
  private static final int MAX_MEASURED_ROUNDS = 5;
  /** No measured round past the minimum begins this long after the test started (other programs may slow it). */
  private static final double BUDGET_SECONDS = 150;
  /** Surefire runs in the module's directory; the sample ships with the node. */
  private static final Path SAMPLE_KB = Path.of("..", "cluster", "src", "main", "resources", "sample-kb");
  private static final String EMBEDDING_DISPATCHER = EmbeddingSettings.CONFIG_PATH + ".dispatcher";
  /** The node's dispatchers for the Lucene index and JDBC, as cluster's {@code node.conf} sets them. */
  private static final String NODE_DISPATCHERS = """
      voicehelper.knowledge-blocking-dispatcher {
        type = Dispatcher
        executor = "thread-pool-executor"
        thread-pool-executor.fixed-pool-size = 4
        throughput = 1
      }
      voicehelper.blocking-jdbc-dispatcher {
        type = Dispatcher
        executor = "thread-pool-executor"
        thread-pool-executor.fixed-pool-size = 10
        throughput = 1
      }
      pekko.loglevel = WARNING
      """;

  /** The process's CPU time and the machine's load. */
  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  @TempDir Path objectsDir;
  @TempDir Path indexDir;

  /** The settings the measured code runs with: those of {@code reference.conf}. */
  private record Setup(ChunkingSettings chunking, EmbeddingSettings embedding, IndexingSettings indexing,
      int embeddingThreads) {}

  /** One file of the sample knowledge base. */
  private record SampleDocument(String fileName, byte[] bytes) {}

  /** One timed pass of a configuration over all the chunks; {@code cpuSeconds} is the whole process's CPU time. */
  private record Pass(double seconds, double cpuSeconds, int chunks, int documents) {
    double chunksPerSecond() {
      return chunks / seconds;
    }

    double cpuMillisPerChunk() {
      return 1000 * cpuSeconds / chunks;
    }
  }

  /** Wall-clock and process CPU time from its start. */
  private record Stopwatch(long startNanos, long startCpuNanos) {
    static Stopwatch start() {
      return new Stopwatch(System.nanoTime(), OS.getProcessCpuTime());
    }

    double seconds() {
      return (System.nanoTime() - startNanos) / 1e9;
    }

    Pass stop(int chunks, int documents) {
      return new Pass(seconds(), (OS.getProcessCpuTime() - startCpuNanos) / 1e9, chunks, documents);
    }
  }

  /** A configuration measured in every round; {@code round} keeps the ids of different rounds apart. */
  @FunctionalInterface
  private interface Measurement {
    Pass run(int round) throws Exception;
  }

  @Test
  void measure() throws Exception {
    Stopwatch run = Stopwatch.start();
    Config config = ConfigFactory.parseString(NODE_DISPATCHERS).withFallback(ConfigFactory.load());
    EmbeddingSettings embedding = EmbeddingSettings.fromConfig(config.getConfig(EmbeddingSettings.CONFIG_PATH));
    if (embedding.provider() != EmbeddingSettings.Provider.IN_PROCESS) {
      throw new IllegalStateException("the benchmark measures the in-process model; unset the provider override");
    }
    int embeddingThreads = config.getInt(EMBEDDING_DISPATCHER + ".thread-pool-executor.fixed-pool-size");
    ChunkingSettings chunking = ChunkingSettings.fromConfig(config.getConfig(ChunkingSettings.CONFIG_PATH));
    ActorTestKit testKit = ActorTestKit.create("indexing-bench", config);
    ExecutorService rawThreads = Executors.newFixedThreadPool(embeddingThreads);
    JdbcConnectionPool h2 = JdbcConnectionPool.create("jdbc:h2:mem:indexing-bench;DB_CLOSE_DELAY=-1", "sa", "");
    try {
      ActorSystem<Void> system = testKit.system();
      Materializer materializer = Materializer.matFromSystem(system);
      IndexingSettings indexing = IndexingSettings.fromSystem(system);

      // The corpus, cut once here exactly as the pipeline cuts it: the texts every configuration embeds.
      List<SampleDocument> documents = sampleDocuments();
      TikaDocumentParser parser = new TikaDocumentParser();
      StructuredChunker chunker = new StructuredChunker(chunking);
      List<ChunkDraft> drafts = new ArrayList<>();
      for (SampleDocument document : documents) {
        drafts.addAll(chunker.chunk(parser.parse(new ByteArrayInputStream(document.bytes()), document.fileName())));
      }
      List<String> texts = drafts.stream().map(ChunkDraft::text).toList();

      // The model as InProcessEmbedder builds it: LangChain4j's own parallel fan-out off.
      EmbeddingModel model = new BgeSmallZhV15QuantizedEmbeddingModel(Runnable::run);
      Embedder port = Embeddings.create(embedding, dispatcher(system, EMBEDDING_DISPATCHER));
      Embedder precomputed = PrecomputedEmbedder.of(port, texts);

      Flyway.configure().dataSource(h2).locations("filesystem:../cluster/src/main/resources/db/migration/h2").load()
          .migrate();
      JdbcChunkStore chunks = new JdbcChunkStore(h2, dispatcher(system, "voicehelper.blocking-jdbc-dispatcher"));
      ObjectStore objects =
          new FileSystemObjectStore(objectsDir, system, ObjectStoreSettings.CONFIG_PATH + ".blocking-dispatcher");
      try (LuceneKnowledgeIndex index = new LuceneKnowledgeIndex(indexDir, port.dimension(), port.modelId(),
          dispatcher(system, "voicehelper.knowledge-blocking-dispatcher"))) {
        DocumentPipeline withModel =
            StreamsDocumentPipeline.create(system, objects, parser, chunker, port, chunks, index, new DocumentLanes());
        DocumentPipeline withoutModel = StreamsDocumentPipeline.create(system, objects, parser, chunker, precomputed,
            chunks, index, new DocumentLanes());

        Map<String, Measurement> contenders = new LinkedHashMap<>();
        contenders.put("raw-1", round -> rawModel(model, texts, embedding.batchSize(), 1, rawThreads));
        contenders.put("raw-n", round -> rawModel(model, texts, embedding.batchSize(), embeddingThreads, rawThreads));
        contenders.put("port", round -> port(port, texts, indexing, materializer));
        contenders.put("pipeline", round -> index(withModel, objects, documents, "model-" + round, materializer));
        contenders.put("precomputed",
            round -> index(withoutModel, objects, documents, "precomputed-" + round, materializer));

        Map<String, List<Pass>> measured = new LinkedHashMap<>();
        contenders.keySet().forEach(name -> measured.put(name, new ArrayList<>()));
        List<String> order = new ArrayList<>(contenders.keySet());
        double[] loadAverage = new double[2]; // the machine's, when the measured rounds begin and end
        for (int round = 0; round < WARMUP_ROUNDS + MAX_MEASURED_ROUNDS; round++) {
          if (round == WARMUP_ROUNDS) {
            for (int pass = 1; pass <= EXTRA_PIPELINE_WARMUPS; pass++) {
              checked("precomputed", -pass, contenders.get("precomputed").run(-pass), texts.size());
            }
            loadAverage[0] = OS.getSystemLoadAverage();
          }
          if (round >= WARMUP_ROUNDS + MIN_MEASURED_ROUNDS && run.seconds() > BUDGET_SECONDS) break;
          for (String name : order) {
            Pass pass = checked(name, round, contenders.get(name).run(round), texts.size());
            if (round >= WARMUP_ROUNDS) measured.get(name).add(pass);
          }
          Collections.rotate(order, 1); // a different order each round, so that drift and noise hit all alike
        }
        loadAverage[1] = OS.getSystemLoadAverage();
        String section = section(documents, drafts, new Setup(chunking, embedding, indexing, embeddingThreads),
            measured, run.seconds(), loadAverage);
        BenchmarkReport.writeSection("indexing-throughput", section);
        System.out.println(section);
      }
    } finally {
      rawThreads.shutdownNow();
      h2.dispose();
      testKit.shutdownTestKit();
    }
  }

  /** Fails unless the pass handled every chunk; prints it, for whoever watches the run. */
  private static Pass checked(String name, int round, Pass pass, int chunks) {
    if (pass.chunks() != chunks) {
      throw new AssertionError(name + " handled " + pass.chunks() + " chunks, not " + chunks);
    }
    System.out.printf(Locale.ROOT, "round %2d %-12s %6.2f s %7.1f chunks/s %6.1f CPU ms/chunk%n", round, name,
        pass.seconds(), pass.chunksPerSecond(), pass.cpuMillisPerChunk());
    return pass;
  }

  /** The sample's files in the order of its {@code files.txt}, read as the edge would receive them. */
  private static List<SampleDocument> sampleDocuments() throws Exception {
    List<SampleDocument> documents = new ArrayList<>();
    for (String line : Files.readAllLines(SAMPLE_KB.resolve("files.txt"), StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      Path file = SAMPLE_KB.resolve(line.strip());
      documents.add(new SampleDocument(file.getFileName().toString(), Files.readAllBytes(file)));
    }
    return documents;
  }

  private static Executor dispatcher(ActorSystem<?> system, String path) {
    return system.dispatchers().lookup(DispatcherSelector.fromConfig(path));
  }

  /**
   * The LangChain4j model called directly, {@code embedAll} over batches of {@code batchSize} texts taken in turn by
   * {@code threads} threads of {@code pool}.
   */
  private static Pass rawModel(EmbeddingModel model, List<String> texts, int batchSize, int threads,
      ExecutorService pool) throws Exception {
    List<List<TextSegment>> batches = new ArrayList<>();
    for (int from = 0; from < texts.size(); from += batchSize) {
      batches.add(texts.subList(from, Math.min(from + batchSize, texts.size())).stream().map(TextSegment::from)
          .toList());
    }
    AtomicInteger next = new AtomicInteger();
    List<Callable<Integer>> workers = Collections.nCopies(threads, () -> {
      int embedded = 0;
      for (int batch = next.getAndIncrement(); batch < batches.size(); batch = next.getAndIncrement()) {
        embedded += model.embedAll(batches.get(batch)).content().size();
      }
      return embedded;
    });
    Stopwatch stopwatch = Stopwatch.start();
    int embedded = 0;
    for (Future<Integer> worker : pool.invokeAll(workers)) embedded += worker.get();
    return stopwatch.stop(embedded, 0);
  }

  /** Our port as one indexing job drives it: calls of the job's batch size, as many in flight as the job allows. */
  private static Pass port(Embedder port, List<String> texts, IndexingSettings indexing, Materializer materializer)
      throws Exception {
    Stopwatch stopwatch = Stopwatch.start();
    List<List<float[]>> vectors = Source.from(texts)
        .grouped(indexing.embeddingBatchSize())
        .mapAsync(indexing.embeddingParallelism(), port::embedAll)
        .runWith(Sink.seq(), materializer)
        .toCompletableFuture().get(5, TimeUnit.MINUTES);
    return stopwatch.stop(vectors.stream().mapToInt(List::size).sum(), 0);
  }

  /**
   * Every sample document uploaded (not timed), then indexed and published by {@code pipeline}, all jobs at once as
   * when the sample is loaded for a new tenant; timed until the last is published. Then purged (not timed), so that
   * every round starts from the same empty chunk table and index.
   */
  private static Pass index(DocumentPipeline pipeline, ObjectStore objects, List<SampleDocument> documents,
      String collection, Materializer materializer) throws Exception {
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < documents.size(); i++) {
      DocumentRef document = new DocumentRef("bench", collection, "doc-" + i);
      String key = DocumentEntity.objectKey(document, 1);
      Source.single(ByteString.fromArray(documents.get(i).bytes()))
          .runWith(objects.put(key, Long.MAX_VALUE), materializer)
          .toCompletableFuture().get(1, TimeUnit.MINUTES);
      jobs.add(new Job(document, 1, key, documents.get(i).fileName()));
    }
    Stopwatch stopwatch = Stopwatch.start();
    List<CompletableFuture<DocumentPipeline.Indexed>> runs = jobs.stream()
        .map(job -> pipeline.index(job, (done, total) -> {}).result()
            .thenCompose(indexed -> pipeline.publish(job.document(), job.version()).thenApply(published -> indexed))
            .toCompletableFuture())
        .toList();
    int chunks = 0;
    for (CompletableFuture<DocumentPipeline.Indexed> run : runs) chunks += run.get(5, TimeUnit.MINUTES).chunks();
    Pass pass = stopwatch.stop(chunks, jobs.size());
    for (Job job : jobs) pipeline.purgeDocument(job.document()).toCompletableFuture().get(1, TimeUnit.MINUTES);
    return pass;
  }

  /**
   * Answers with the vectors our port made for the same texts, at the cost of a map lookup: the pipeline then does
   * all its other work (the same chunk rows, the same HNSW graph) without the model.
   */
  private record PrecomputedEmbedder(Map<String, float[]> vectors, int dimension, String modelId)
      implements Embedder {

    static PrecomputedEmbedder of(Embedder model, List<String> texts) throws Exception {
      List<float[]> computed = model.embedAll(texts).toCompletableFuture().get(5, TimeUnit.MINUTES);
      Map<String, float[]> vectors = new HashMap<>();
      for (int i = 0; i < texts.size(); i++) vectors.put(texts.get(i), computed.get(i));
      return new PrecomputedEmbedder(Map.copyOf(vectors), model.dimension(), model.modelId());
    }

    @Override
    public CompletionStage<List<float[]>> embedAll(List<String> texts) {
      List<float[]> found = new ArrayList<>(texts.size());
      for (String text : texts) {
        float[] vector = vectors.get(text);
        if (vector == null) {
          return CompletableFuture.failedFuture(new IllegalStateException("not precomputed: " + text));
        }
        found.add(vector);
      }
      return CompletableFuture.completedFuture(found);
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int middle = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
  }

  /** The P50 over the measured rounds of {@code metric(a's pass) / metric(b's pass)} in the same round. */
  private static double ratio(Map<String, List<Pass>> measured, String a, String b, ToDoubleFunction<Pass> metric) {
    List<Double> ratios = new ArrayList<>();
    for (int round = 0; round < measured.get(a).size(); round++) {
      ratios.add(metric.applyAsDouble(measured.get(a).get(round)) / metric.applyAsDouble(measured.get(b).get(round)));
    }
    return median(ratios);
  }

  private static double p50(List<Pass> passes, ToDoubleFunction<Pass> metric) {
    return median(passes.stream().map(metric::applyAsDouble).toList());
  }

  private static String row(Map<String, List<Pass>> measured, String name, String label) {
    List<Pass> passes = measured.get(name);
    List<Double> rates = passes.stream().map(Pass::chunksPerSecond).toList();
    String documentsPerSecond = passes.get(0).documents() == 0 ? "—"
        : String.format(Locale.ROOT, "%.2f", p50(passes, pass -> pass.documents() / pass.seconds()));
    return String.format(Locale.ROOT, "| %s | %.1f | %.1f–%.1f | %s | %.2f× | %.2f× | %.1f | %.2f× |%n", label,
        median(rates), Collections.min(rates), Collections.max(rates), documentsPerSecond,
        ratio(measured, name, "raw-1", Pass::chunksPerSecond), ratio(measured, name, "raw-n", Pass::chunksPerSecond),
        p50(passes, Pass::cpuMillisPerChunk), ratio(measured, name, "raw-1", Pass::cpuMillisPerChunk));
  }

  private static String section(List<SampleDocument> documents, List<ChunkDraft> drafts, Setup setup,
      Map<String, List<Pass>> measured, double runSeconds, double[] loadAverage) {
    long characters = documents.stream()
        .mapToLong(document -> new String(document.bytes(), StandardCharsets.UTF_8).codePoints().count()).sum();
    double meanTokens = drafts.stream().mapToInt(ChunkDraft::tokens).average().orElse(0);
    int threads = setup.embeddingThreads();
    int batch = setup.embedding().batchSize();
    StringBuilder md = new StringBuilder();
    md.append("## Indexing and embedding throughput\n\n")
        .append("`streams/src/test/java/io/voicehelper/streams/knowledge/bench/IndexingThroughputBenchmark.java`, ")
        .append("run on ").append(LocalDate.now()).append(":\n\n")
        .append("```\n").append(COMMAND).append("\n```\n\n");
    md.append(String.format(Locale.ROOT, """
        The sample knowledge base (`cluster/src/main/resources/sample-kb`: %d Markdown files, Chinese and English, \
        %d characters), cut by the configured chunker (at most %d tokens, %d of overlap) into %d chunks of %.0f \
        tokens on average. Every configuration embeds or indexes all %d chunks once per round: %d warm-up round (and \
        %d more passes of the pipeline with precomputed vectors), then %d measured rounds, the configurations' order \
        rotated from round to round so that the machine's noise hits them alike; the whole test took %.0f s. \
        Chunks/s is the P50 of the measured rounds, with the slowest and the fastest round; CPU per chunk is the \
        whole process's CPU time over the pass (all threads), which the other programs on the machine inflate less; \
        a ratio is taken within each round, then its P50.

        """, documents.size(), characters, setup.chunking().maxTokens(), setup.chunking().overlapTokens(),
        drafts.size(), meanTokens, drafts.size(), WARMUP_ROUNDS, EXTRA_PIPELINE_WARMUPS, measured.get("raw-1").size(),
        runSeconds));
    md.append(String.format(Locale.ROOT, "| configuration | chunks/s P50 | slowest–fastest | documents/s P50 "
        + "| chunks/s vs raw model, 1 thread | vs raw model, %d threads | CPU ms per chunk P50 | CPU per chunk vs raw "
        + "model, 1 thread |%n|---|---|---|---|---|---|---|---|%n", threads));
    md.append(row(measured, "raw-1", String.format(Locale.ROOT,
        "*baseline:* raw model, `EmbeddingModel.embedAll` in batches of %d, 1 thread", batch)));
    md.append(row(measured, "raw-n", String.format(Locale.ROOT,
        "*baseline:* raw model, batches of %d, %d threads", batch, threads)));
    md.append(row(measured, "port", String.format(Locale.ROOT,
        "our embedding port: calls of %d texts, %d in flight, on the embedding dispatcher (%d threads)",
        setup.indexing().embeddingBatchSize(), setup.indexing().embeddingParallelism(), threads)));
    md.append(row(measured, "pipeline", String.format(Locale.ROOT,
        "whole pipeline: %d documents indexed and published at once", documents.size())));
    md.append(row(measured, "precomputed", "whole pipeline, vectors precomputed (no model)"));
    md.append(String.format(Locale.ROOT, """

        Share of the pipeline's time not spent embedding (parse, chunk, chunk table, Lucene): %.0f%% of its wall-clock \
        time and %.0f%% of its CPU time (P50 over the rounds of the pass with precomputed vectors against the pass \
        with the model in the same round).

        """, 100 * ratio(measured, "precomputed", "pipeline", Pass::seconds),
        100 * ratio(measured, "precomputed", "pipeline", Pass::cpuSeconds)));
    md.append(String.format(Locale.ROOT, """
        *Raw model*: `bge-small-zh-v1.5-q` as `InProcessEmbedder` builds it (`BgeSmallZhV15QuantizedEmbeddingModel` \
        with LangChain4j's own fan-out off), called directly by 1 thread, or by %d threads that take the batches in \
        turn (as many as the embedding dispatcher has). LangChain4j runs one ONNX inference per text, so a batch is a \
        call, not a tensor. *Our port*: `Embeddings.create` → `InProcessEmbedder` on `%s`, driven as one indexing job \
        drives it (`grouped` + `mapAsync`); it also L2-normalises each vector. *Whole pipeline*: \
        `StreamsDocumentPipeline` reading each original from the file-system object store, Tika on the indexing \
        blocking dispatcher, the structured chunker, our port, `JdbcChunkStore` on H2 in memory (the node's \
        migrations, H2's connection pool; the node runs PostgreSQL or H2 on disk, so the chunk table costs less here \
        than there), then publishing into `LuceneKnowledgeIndex` (BM25 + HNSW) in a temporary directory. Uploads \
        before and deletions after each pass are not timed. *Vectors precomputed*: the same pipeline with an \
        embedder that answers with the vectors our port made for the same texts, so that the chunk rows and the \
        HNSW graph are the same and only the model's time is gone.

        Machine: %d cores, Java %s, shared with other programs: the 1-minute load average was %.1f when the measured \
        rounds began and %.1f when they ended, so wall-clock rates vary from round to round far more than CPU per \
        chunk does.
        """, threads, EMBEDDING_DISPATCHER, Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"), loadAverage[0], loadAverage[1]));
    return md.toString();
  }
}
