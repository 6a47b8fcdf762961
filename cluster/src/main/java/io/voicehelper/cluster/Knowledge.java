package io.voicehelper.cluster;

import com.typesafe.config.Config;
import io.voicehelper.entities.knowledge.ChunkStore;
import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentPipeline;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import io.voicehelper.entities.knowledge.KnowledgeIndex;
import io.voicehelper.entities.knowledge.KnowledgeSettings;
import io.voicehelper.entities.knowledge.ObjectStore;
import io.voicehelper.entities.retrieval.RetrievalSettings;
import io.voicehelper.streams.knowledge.StreamsDocumentPipeline;
import io.voicehelper.streams.knowledge.chunking.ChunkingSettings;
import io.voicehelper.streams.knowledge.chunking.StructuredChunker;
import io.voicehelper.streams.knowledge.embedding.EmbeddingSettings;
import io.voicehelper.streams.knowledge.embedding.Embeddings;
import io.voicehelper.streams.knowledge.jdbc.JdbcChunkStore;
import io.voicehelper.streams.knowledge.jdbc.JdbcKnowledgeCatalog;
import io.voicehelper.streams.knowledge.elasticsearch.ElasticsearchKeywordStore;
import io.voicehelper.streams.knowledge.elasticsearch.ElasticsearchSettings;
import io.voicehelper.streams.knowledge.index.CombinedKnowledgeIndex;
import io.voicehelper.streams.knowledge.index.KeywordStore;
import io.voicehelper.streams.knowledge.index.VectorStore;
import io.voicehelper.streams.knowledge.lucene.LuceneKnowledgeIndex;
import io.voicehelper.streams.knowledge.milvus.MilvusSettings;
import io.voicehelper.streams.knowledge.milvus.MilvusVectorStore;
import io.voicehelper.streams.knowledge.parsing.TikaDocumentParser;
import io.voicehelper.streams.knowledge.storage.ObjectStores;
import io.voicehelper.streams.retrieval.HybridRetriever;
import io.voicehelper.streams.retrieval.Reranker;
import io.voicehelper.streams.projection.DocumentSummaryProjection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.Materializer;

/**
 * Wires the knowledge base of one node: the catalog and chunk table in the journal database, the object store for
 * originals, the embedding model, the node-local Lucene index (rebuilt from the chunk table when it is missing or was
 * written by another model), the indexing pipeline behind every {@link DocumentEntity}, the document list projection,
 * and the sample knowledge base for new tenants.
 */
final class Knowledge {

  private final KnowledgeCatalog catalog;
  private final ObjectStore objects;
  private final SampleKnowledge sample;
  private final HybridRetriever retriever;
  private final Embedder embedder;

  private Knowledge(KnowledgeCatalog catalog, ObjectStore objects, SampleKnowledge sample,
      HybridRetriever retriever, Embedder embedder) {
    this.embedder = embedder;
    this.catalog = catalog;
    this.objects = objects;
    this.sample = sample;
    this.retriever = retriever;
  }

  static Knowledge start(ActorSystem<?> system, DataSource dataSource, Executor jdbc) {
    Config config = system.settings().config();
    Executor blocking =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("voicehelper.knowledge-blocking-dispatcher"));
    Executor embedding =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("voicehelper.knowledge.embedding.dispatcher"));

    KnowledgeCatalog catalog = new JdbcKnowledgeCatalog(dataSource, jdbc);
    ObjectStore objects = ObjectStores.fromSystem(system);
    Embedder embedder =
        Embeddings.create(EmbeddingSettings.fromConfig(config.getConfig(EmbeddingSettings.CONFIG_PATH)), embedding);
    ChunkStore chunks = new JdbcChunkStore(dataSource, jdbc);
    KnowledgeIndex index = searchIndex(system, config, embedder, chunks, blocking);

    DocumentPipeline pipeline = StreamsDocumentPipeline.create(system, objects, new TikaDocumentParser(),
        new StructuredChunker(ChunkingSettings.fromConfig(config.getConfig("voicehelper.knowledge.chunking"))),
        embedder, chunks, index);
    DocumentEntity.init(system, pipeline,
        KnowledgeSettings.fromConfig(config.getConfig("voicehelper.knowledge.documents")));
    DocumentSummaryProjection.init(system, dataSource, "jdbc-read-journal");

    SampleKnowledge sample = config.getBoolean("voicehelper.knowledge.sample.enabled")
        ? new SampleKnowledge(system, catalog, objects, Clock.systemUTC(),
            config.getDuration("voicehelper.http.ask-timeout"))
        : null;
    HybridRetriever retriever = new HybridRetriever(index, embedder, Reranker.FUSION_ORDER,
        RetrievalSettings.fromConfig(config.getConfig(RetrievalSettings.CONFIG_PATH)));
    return new Knowledge(catalog, objects, sample, retriever, embedder);
  }

  /**
   * The configured search index: the node-local Lucene index for both halves by default, or Milvus for vectors
   * and/or Elasticsearch for keywords ({@code voicehelper.knowledge.vector-store}, {@code keyword-store}).
   */
  private static KnowledgeIndex searchIndex(ActorSystem<?> system, Config config, Embedder embedder,
      ChunkStore chunks, Executor blocking) {
    String vectors = config.getString("voicehelper.knowledge.vector-store").strip().toLowerCase(Locale.ROOT);
    String keywords = config.getString("voicehelper.knowledge.keyword-store").strip().toLowerCase(Locale.ROOT);
    if (!vectors.equals("lucene") && !vectors.equals("milvus")) {
      throw new IllegalArgumentException("voicehelper.knowledge.vector-store must be lucene or milvus, not " + vectors);
    }
    if (!keywords.equals("lucene") && !keywords.equals("elasticsearch")) {
      throw new IllegalArgumentException(
          "voicehelper.knowledge.keyword-store must be lucene or elasticsearch, not " + keywords);
    }
    LuceneKnowledgeIndex lucene = vectors.equals("lucene") || keywords.equals("lucene")
        ? openIndex(system, Path.of(config.getString("voicehelper.knowledge.index-dir")), embedder, chunks, blocking)
        : null;
    if (lucene != null && vectors.equals("lucene") && keywords.equals("lucene")) return lucene;

    VectorStore vectorStore = lucene;
    if (vectors.equals("milvus")) {
      MilvusSettings milvus = MilvusSettings.fromConfig(config.getConfig(MilvusSettings.CONFIG_PATH));
      if (milvus.dimension() != embedder.dimension()) {
        throw new IllegalArgumentException(MilvusSettings.CONFIG_PATH + ".dimension is " + milvus.dimension()
            + " but the embedding model " + embedder.modelId() + " makes vectors of " + embedder.dimension());
      }
      MilvusVectorStore store = new MilvusVectorStore(milvus, system.dispatchers().lookup(
          DispatcherSelector.fromConfig(MilvusSettings.CONFIG_PATH + ".blocking-dispatcher")));
      closeOnShutdown(system, "close-milvus", store, blocking);
      vectorStore = store;
    }
    KeywordStore keywordStore = lucene;
    if (keywords.equals("elasticsearch")) {
      ElasticsearchKeywordStore store = new ElasticsearchKeywordStore(
          ElasticsearchSettings.fromConfig(config.getConfig("voicehelper.knowledge.elasticsearch")), blocking);
      closeOnShutdown(system, "close-elasticsearch", store, blocking);
      keywordStore = store;
    }
    system.log().info("Knowledge index: vectors in {}, keywords in {}", vectors, keywords);
    return new CombinedKnowledgeIndex(vectorStore, keywordStore);
  }

  private static void closeOnShutdown(ActorSystem<?> system, String name, AutoCloseable store, Executor blocking) {
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), name,
        () -> CompletableFuture.supplyAsync(() -> {
          try {
            store.close();
          } catch (Exception e) {
            system.log().warn("{} failed: {}", name, e.toString());
          }
          return Done.getInstance();
        }, blocking));
  }

  private static LuceneKnowledgeIndex openIndex(ActorSystem<?> system, Path dir, Embedder embedder, ChunkStore chunks,
      Executor blocking) {
    LuceneKnowledgeIndex index;
    try {
      index = new LuceneKnowledgeIndex(dir, embedder.dimension(), embedder.modelId(), blocking);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the knowledge index in " + dir, e);
    }
    closeOnShutdown(system, "close-knowledge-index", index::close, blocking);
    if (index.needsRebuild()) {
      system.log().info("Rebuilding the knowledge index in {} from the chunk table", dir);
      index.rebuild(chunks.published(), Materializer.matFromSystem(system)).whenComplete((done, failure) -> {
        if (failure != null) system.log().error("Rebuilding the knowledge index failed: {}", failure.toString());
        else system.log().info("The knowledge index in {} is rebuilt", dir);
      });
    }
    return index;
  }

  KnowledgeCatalog catalog() {
    return catalog;
  }

  ObjectStore objects() {
    return objects;
  }

  HybridRetriever retriever() {
    return retriever;
  }

  /** The embedding model of the knowledge base (also used to route messages by similarity). */
  Embedder embedder() {
    return embedder;
  }

  /** Called once a tenant signed up: gives it the sample knowledge base when that is enabled. */
  void tenantCreated(String tenantId, String ownerId) {
    if (sample != null) sample.seed(tenantId, ownerId);
  }
}
