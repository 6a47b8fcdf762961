package io.voicehelper.cluster.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.retrieval.Fusion;
import io.voicehelper.entities.retrieval.RetrievalQuery;
import io.voicehelper.entities.retrieval.RetrievalResult;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import io.voicehelper.streams.knowledge.chunking.ChunkDraft;
import io.voicehelper.streams.knowledge.chunking.ChunkingSettings;
import io.voicehelper.streams.knowledge.chunking.StructuredChunker;
import io.voicehelper.streams.knowledge.embedding.EmbeddingSettings;
import io.voicehelper.streams.knowledge.embedding.Embeddings;
import io.voicehelper.streams.knowledge.lucene.LuceneKnowledgeIndex;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument;
import io.voicehelper.streams.knowledge.parsing.TikaDocumentParser;
import io.voicehelper.streams.retrieval.HybridRetriever;
import io.voicehelper.streams.retrieval.Reranker;
import io.voicehelper.entities.retrieval.RetrievalSettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The labelled retrieval set ({@code sample-kb-eval/questions.jsonl}) against the bundled sample knowledge base,
 * indexed once in process the way a node indexes it: {@link TikaDocumentParser}, {@link StructuredChunker} with the
 * configured chunking, the configured embedder (in-process {@code bge-small-zh-v1.5}) and a {@link
 * LuceneKnowledgeIndex} in a temporary directory; questions go through {@link HybridRetriever}.
 *
 * <p>A retrieved chunk is relevant to a question iff it comes from the labelled document and the labelled heading is
 * one of its heading path's headings (exact text, as {@code validate.py} matches heading lines): a chunk of the
 * section that holds the answer, or of a subsection of it. Unanswerable questions (no document) are not scored.
 */
public final class SampleKbEvaluation implements AutoCloseable {

  static final String TENANT = "eval";
  static final String COLLECTION = "col-sample";
  /** Passages asked for per question: enough for MRR@10 and nDCG@10. */
  static final int TOP_K = 10;

  /** One labelled question; {@code document} and {@code heading} are null when the knowledge base has no answer. */
  public record Question(String id, String lang, String text, String document, String heading) {
    boolean answerable() {
      return document != null;
    }
  }

  /** Mean metrics over some questions. */
  record Scores(int questions, double recallAt5, double mrrAt10, double ndcgAt10) {}

  /** The three metrics, by the names {@code recorded.json} uses. */
  enum Metric {
    RECALL_AT_5("recall@5"), MRR_AT_10("mrr@10"), NDCG_AT_10("ndcg@10");

    final String key;

    Metric(String key) {
      this.key = key;
    }

    double of(Scores scores) {
      return switch (this) {
        case RECALL_AT_5 -> scores.recallAt5();
        case MRR_AT_10 -> scores.mrrAt10();
        case NDCG_AT_10 -> scores.ndcgAt10();
      };
    }
  }

  /** Scores per language and over all scored questions. */
  record Report(Scores zh, Scores en, Scores all) {}

  private final ExecutorService executor;
  private final LuceneKnowledgeIndex index;
  private final MemoizingEmbedder embedder;
  private final RetrievalSettings defaults;
  private final ChunkingSettings chunking;
  private final List<Chunk> chunks;
  /** The sample-relative path ({@code zh/退换货政策.md}) of each document id. */
  private final Map<String, String> paths;
  private final List<Question> questions;

  private SampleKbEvaluation(ExecutorService executor, LuceneKnowledgeIndex index, MemoizingEmbedder embedder,
      RetrievalSettings defaults, ChunkingSettings chunking, List<Chunk> chunks, Map<String, String> paths,
      List<Question> questions) {
    this.executor = executor;
    this.index = index;
    this.embedder = embedder;
    this.defaults = defaults;
    this.chunking = chunking;
    this.chunks = chunks;
    this.paths = paths;
    this.questions = questions;
  }

  /** What text of a chunk is embedded and searched. */
  public enum ChunkText {
    /** The chunk's text only, as the indexing pipeline does. */
    AS_CHUNKED,
    /** An experiment: the chunk's heading path (joined by " / ") on a line before its text. */
    WITH_HEADINGS
  }

  /** The sample knowledge base as chunks of one collection, and the sample-relative path of each document id. */
  public record SampleKb(List<Chunk> chunks, Map<String, String> paths) {}

  /**
   * Parses and chunks every document of the sample knowledge base as the indexing pipeline does (Tika, {@link
   * StructuredChunker}), as version 1 of documents of {@code tenant}'s {@code collection}; nothing is embedded.
   */
  public static SampleKb chunk(String tenant, String collection, ChunkingSettings chunking, ChunkText text)
      throws IOException {
    TikaDocumentParser parser = new TikaDocumentParser();
    StructuredChunker chunker = new StructuredChunker(chunking);
    Map<String, String> paths = new HashMap<>();
    List<Chunk> chunks = new ArrayList<>();
    for (String file : resourceText("sample-kb/files.txt").lines().map(String::strip).filter(l -> !l.isEmpty())
        .toList()) {
      String name = file.substring(file.lastIndexOf('/') + 1);
      DocumentRef ref = new DocumentRef(tenant, collection, DocumentRef.documentIdForName(collection, name));
      paths.put(ref.documentId(), file);
      ParsedDocument parsed = parser.parse(new ByteArrayInputStream(resource("sample-kb/" + file)), name);
      for (ChunkDraft draft : chunker.chunk(parsed)) {
        String chunkText = text == ChunkText.AS_CHUNKED ? draft.text()
            : String.join(" / ", draft.headingPath()) + "\n" + draft.text();
        chunks.add(new Chunk(Chunk.idFor(ref, 1, draft.position(), chunkText), ref, 1, draft.position(),
            draft.headingPath(), chunkText, draft.tokens()));
      }
    }
    return new SampleKb(List.copyOf(chunks), Map.copyOf(paths));
  }

  /** Indexes the sample knowledge base into {@code dir} with the configuration a node would have. */
  static SampleKbEvaluation open(Path dir) throws Exception {
    return open(dir, ChunkText.AS_CHUNKED);
  }

  /** Indexes the sample knowledge base into {@code dir}, with {@code text} as the text of each chunk. */
  static SampleKbEvaluation open(Path dir, ChunkText text) throws Exception {
    Config config = ConfigFactory.load();
    ChunkingSettings chunking = ChunkingSettings.fromConfig(config.getConfig(ChunkingSettings.CONFIG_PATH));
    // Quality is measured here, not latency: a half that is slow on a busy machine must not count as a miss.
    RetrievalSettings configured = RetrievalSettings.fromConfig(config.getConfig(RetrievalSettings.CONFIG_PATH));
    RetrievalSettings defaults = withCandidates(configured, configured.candidates(), Duration.ofMinutes(1));
    ExecutorService executor = Executors.newFixedThreadPool(2);
    try {
      MemoizingEmbedder embedder = new MemoizingEmbedder(Embeddings.create(
          EmbeddingSettings.fromConfig(config.getConfig(EmbeddingSettings.CONFIG_PATH)), executor));
      SampleKb sample = chunk(TENANT, COLLECTION, chunking, text);
      List<Chunk> chunks = sample.chunks();
      List<float[]> vectors = await(embedder.embedAll(chunks.stream().map(Chunk::text).toList()));
      List<EmbeddedChunk> embedded = new ArrayList<>(chunks.size());
      for (int i = 0; i < chunks.size(); i++) embedded.add(new EmbeddedChunk(chunks.get(i), vectors.get(i)));
      LuceneKnowledgeIndex index = new LuceneKnowledgeIndex(dir, embedder.dimension(), embedder.modelId(), executor);
      SampleKbEvaluation evaluation = new SampleKbEvaluation(executor, index, embedder, defaults, chunking,
          chunks, sample.paths(), loadQuestions());
      try {
        evaluation.checkLabels();
        await(index.upsert(embedded));
      } catch (Exception | Error e) {
        index.close();
        throw e;
      }
      return evaluation;
    } catch (Exception | Error e) {
      executor.shutdownNow();
      throw e;
    }
  }

  /** The configured retrieval settings (with a generous stage timeout). */
  RetrievalSettings defaults() {
    return defaults;
  }

  ChunkingSettings chunking() {
    return chunking;
  }

  int chunkCount() {
    return chunks.size();
  }

  String modelId() {
    return embedder.modelId();
  }

  List<Question> questions() {
    return questions;
  }

  /** The embedder the index was built with (memoized: a question embedded once is not embedded again). */
  Embedder embedder() {
    return embedder;
  }

  /** The same embedder, rewriting each text (a query) before it is embedded. */
  Embedder rewritingEmbedder(UnaryOperator<String> rewrite) {
    return embedder.rewriting(rewrite);
  }

  /** A retriever over the index with the given settings and query embedder, in fusion order. */
  HybridRetriever retriever(RetrievalSettings settings, Embedder queryEmbedder) {
    return new HybridRetriever(index, queryEmbedder, Reranker.FUSION_ORDER, settings);
  }

  /**
   * One answerable question's scores, and the share of its top {@value #TOP_K} that came from documents in the other
   * language (a diagnosis, not a metric).
   */
  record Scored(Question question, double recallAt5, double mrrAt10, double ndcgAt10, double otherLanguage) {}

  /** Every answerable question through {@code retriever} with {@code fusion}, in file order. */
  List<Scored> score(HybridRetriever retriever, Fusion fusion) throws Exception {
    List<Scored> scored = new ArrayList<>();
    for (Question question : questions) {
      if (!question.answerable()) continue;
      RetrievalResult result = await(retriever.retrieve(new RetrievalQuery(SearchFilter.tenant(TENANT),
          question.text(), retriever.settings().candidates(), TOP_K, Optional.of(fusion))));
      if (!result.degraded().isEmpty()) {
        throw new IllegalStateException(question.id() + " was answered degraded: " + result.degraded());
      }
      List<Boolean> relevant = result.passages().stream().map(RetrievedPassage::chunk)
          .map(chunk -> relevant(question, chunk)).toList();
      long otherLanguage = result.passages().stream()
          .filter(p -> !paths.get(p.chunk().document().documentId()).startsWith(question.lang() + "/")).count();
      scored.add(new Scored(question, RankingMetrics.recallAt(5, relevant),
          RankingMetrics.reciprocalRankAt(10, relevant), RankingMetrics.ndcgAt(10, relevant, relevantInIndex(question)),
          result.passages().isEmpty() ? 0 : (double) otherLanguage / result.passages().size()));
    }
    return scored;
  }

  /** The means per language and over all. */
  static Report report(List<Scored> scored) {
    return new Report(mean(scored.stream().filter(s -> s.question().lang().equals("zh")).toList()),
        mean(scored.stream().filter(s -> s.question().lang().equals("en")).toList()), mean(scored));
  }

  static Scores mean(List<Scored> scored) {
    int n = Math.max(1, scored.size());
    return new Scores(scored.size(), scored.stream().mapToDouble(Scored::recallAt5).sum() / n,
        scored.stream().mapToDouble(Scored::mrrAt10).sum() / n,
        scored.stream().mapToDouble(Scored::ndcgAt10).sum() / n);
  }

  /** How the docs and {@code recorded.json} name a fusion. */
  static String describe(Fusion fusion) {
    if (fusion instanceof Fusion.ReciprocalRank rrf) return "RRF k = " + rrf.k();
    if (fusion instanceof Fusion.Weighted weighted) {
      return String.format(java.util.Locale.ROOT, "weighted, vector weight %.1f", weighted.vectorWeight());
    }
    return fusion instanceof Fusion.VectorOnly ? "vector only" : "BM25 only";
  }

  /** {@code base} with another N and stage timeout. */
  static RetrievalSettings withCandidates(RetrievalSettings base, int candidates, Duration stageTimeout) {
    return new RetrievalSettings(candidates, base.topK(), base.maxCandidates(), base.maxTopK(), base.fusion(),
        base.rerankWindow(), stageTimeout, base.maxQueryLength());
  }

  /** Whether a reply's citation is of a chunk of the question's labelled section. */
  boolean cites(Question question, io.voicehelper.entities.conversation.Citation citation) {
    return question.document().equals(paths.get(citation.documentId()))
        && citation.headingPath().contains(question.heading());
  }

  /** The sample-relative path of each document id ({@code zh/退换货政策.md}), to name the documents. */
  Map<String, String> paths() {
    return paths;
  }

  private boolean relevant(Question question, Chunk chunk) {
    return question.document().equals(paths.get(chunk.document().documentId()))
        && chunk.headingPath().contains(question.heading());
  }

  private int relevantInIndex(Question question) {
    return (int) chunks.stream().filter(chunk -> relevant(question, chunk)).count();
  }

  /** Every label must name a section the index has a chunk of: a renamed heading would otherwise score as a miss. */
  private void checkLabels() {
    List<String> unmatched = questions.stream().filter(Question::answerable)
        .filter(q -> relevantInIndex(q) == 0).map(q -> q.id() + " " + q.document() + " # " + q.heading()).toList();
    if (!unmatched.isEmpty()) throw new IllegalStateException("labels without an indexed section: " + unmatched);
  }

  /** The labelled questions of {@code sample-kb-eval/questions.jsonl}, in file order. */
  public static List<Question> loadQuestions() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Question> questions = new ArrayList<>();
    for (String line : resourceText("sample-kb-eval/questions.jsonl").lines().filter(l -> !l.isBlank()).toList()) {
      JsonNode q = json.readTree(line);
      questions.add(new Question(q.get("id").asText(), q.get("lang").asText(), q.get("question").asText(),
          q.get("document").isNull() ? null : q.get("document").asText(),
          q.get("heading").isNull() ? null : q.get("heading").asText()));
    }
    return List.copyOf(questions);
  }

  private static String resourceText(String path) {
    return new String(resource(path), StandardCharsets.UTF_8);
  }

  private static byte[] resource(String path) {
    try (InputStream in = SampleKbEvaluation.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) throw new IllegalStateException("no resource " + path);
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(5, TimeUnit.MINUTES);
  }

  @Override
  public void close() throws IOException {
    try {
      index.close();
    } finally {
      executor.shutdownNow();
    }
  }

  /**
   * Embeds each distinct text once per run (the model is deterministic, and the evaluation asks again and again),
   * optionally rewriting every text first.
   */
  public static final class MemoizingEmbedder implements Embedder {
    private final Embedder model;
    private final UnaryOperator<String> rewrite;
    private final Map<String, float[]> vectors;

    /** Embeds with {@code model}, each distinct text once. */
    public MemoizingEmbedder(Embedder model) {
      this(model, UnaryOperator.identity(), new ConcurrentHashMap<>());
    }

    private MemoizingEmbedder(Embedder model, UnaryOperator<String> rewrite, Map<String, float[]> vectors) {
      this.model = model;
      this.rewrite = rewrite;
      this.vectors = vectors;
    }

    /** The same model and memory, rewriting each text with {@code other} instead. */
    MemoizingEmbedder rewriting(UnaryOperator<String> other) {
      return new MemoizingEmbedder(model, other, vectors);
    }

    @Override
    public CompletionStage<List<float[]>> embedAll(List<String> texts) {
      List<String> rewritten = texts.stream().map(rewrite).toList();
      List<String> missing = rewritten.stream().filter(text -> !vectors.containsKey(text)).distinct().toList();
      CompletionStage<List<float[]>> embedded =
          missing.isEmpty() ? CompletableFuture.completedFuture(List.of()) : model.embedAll(missing);
      return embedded.thenApply(found -> {
        for (int i = 0; i < missing.size(); i++) vectors.put(missing.get(i), found.get(i));
        return rewritten.stream().map(vectors::get).toList();
      });
    }

    @Override
    public int dimension() {
      return model.dimension();
    }

    @Override
    public String modelId() {
      return model.modelId();
    }
  }
}
