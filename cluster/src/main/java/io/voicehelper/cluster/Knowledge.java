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
import io.voicehelper.streams.knowledge.follow.IndexFollower;
import io.voicehelper.streams.knowledge.follow.IndexFollowerSettings;
import io.voicehelper.streams.knowledge.follow.IndexSync;
import io.voicehelper.streams.knowledge.follow.JournalHead;
import io.voicehelper.streams.knowledge.index.CombinedKnowledgeIndex;
import io.voicehelper.streams.knowledge.index.DocumentLanes;
import io.voicehelper.streams.knowledge.index.KeywordStore;
import io.voicehelper.streams.knowledge.index.VectorStore;
import io.voicehelper.streams.knowledge.lucene.LuceneKnowledgeIndex;
import io.voicehelper.streams.knowledge.milvus.MilvusSettings;
import io.voicehelper.streams.knowledge.milvus.MilvusVectorStore;
import io.voicehelper.streams.knowledge.parsing.TikaDocumentParser;
import io.voicehelper.streams.knowledge.storage.ObjectStores;
import io.voicehelper.entities.retrieval.Retriever;
import io.voicehelper.streams.retrieval.CachingEmbedder;
import io.voicehelper.streams.retrieval.CachingRetriever;
import io.voicehelper.streams.retrieval.HybridRetriever;
import io.voicehelper.streams.retrieval.KnowledgeGenerations;
import io.voicehelper.streams.retrieval.ObservedKnowledgeIndex;
import io.voicehelper.streams.retrieval.Reranker;
import io.voicehelper.streams.retrieval.RetrievalCacheSettings;
import io.voicehelper.streams.retrieval.Rerankers;
import io.voicehelper.streams.generation.GenerationSettings;
import io.voicehelper.streams.projection.DocumentSummaryProjection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.Materializer;

/**
 * Wires the knowledge base of one node: the catalog and chunk table in the journal database, the object store for
 * originals, the embedding model, the node-local Lucene index (rebuilt from the chunk table when it is missing or was
 * written by another model, and kept current with every node's changes by the index follower), the indexing pipeline
 * behind every {@link DocumentEntity}, the document list projection, and the sample knowledge base for new tenants.
 */
final class Knowledge {

  private final KnowledgeCatalog catalog;
  private final ObjectStore objects;
  private final SampleKnowledge sample;
  private final Retriever retriever;
  private final RetrievalSettings retrievalSettings;
  private final Embedder embedder;

  private Knowledge(KnowledgeCatalog catalog, ObjectStore objects, SampleKnowledge sample, Retriever retriever,
      RetrievalSettings retrievalSettings, Embedder embedder) {
    this.embedder = embedder;
    this.catalog = catalog;
    this.objects = objects;
    this.sample = sample;
    this.retriever = retriever;
    this.retrievalSettings = retrievalSettings;
  }

  static Knowledge start(ActorSystem<?> system, DataSource dataSource, Executor jdbc) {
    Config config = system.settings().config();
    Executor blocking =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("voicehelper.knowledge-blocking-dispatcher"));
    Executor embedding =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("voicehelper.knowledge.embedding.dispatcher"));

    KnowledgeCatalog catalog = new EntityNamedCatalog(new JdbcKnowledgeCatalog(dataSource, jdbc),
        ClusterSharding.get(system), config.getDuration("voicehelper.http.ask-timeout"));
    ObjectStore objects = ObjectStores.fromSystem(system);
    Embedder embedder =
        Embeddings.create(EmbeddingSettings.fromConfig(config.getConfig(EmbeddingSettings.CONFIG_PATH)), embedding);
    ChunkStore chunks = new JdbcChunkStore(dataSource, jdbc);
    DocumentLanes lanes = new DocumentLanes();
    KnowledgeGenerations generations = new KnowledgeGenerations();
    KnowledgeChanges changes = KnowledgeChanges.start(system, generations);
    // Writes through the port (the sagas on this node) are told to every node; the follower's own writes move this
    // node's generations when it applies another node's change.
    KnowledgeIndex index = new ObservedKnowledgeIndex(searchIndex(system, config, embedder, blocking,
        lucene -> keepCurrent(system, lucene, chunks, lanes, new JournalHead(dataSource, jdbc), generations)),
        changes::changed);

    DocumentPipeline pipeline = StreamsDocumentPipeline.create(system, objects, new TikaDocumentParser(),
        new StructuredChunker(ChunkingSettings.fromConfig(config.getConfig("voicehelper.knowledge.chunking"))),
        embedder, chunks, index, lanes);
    DocumentEntity.init(system, pipeline,
        KnowledgeSettings.fromConfig(config.getConfig("voicehelper.knowledge.documents")));
    DocumentSummaryProjection.init(system, dataSource, "jdbc-read-journal");

    SampleKnowledge sample = config.getBoolean("voicehelper.knowledge.sample.enabled")
        ? new SampleKnowledge(system, catalog, objects, Clock.systemUTC(),
            config.getDuration("voicehelper.http.ask-timeout"))
        : null;
    RetrievalSettings retrieval = RetrievalSettings.fromConfig(config.getConfig(RetrievalSettings.CONFIG_PATH));
    RetrievalCacheSettings caches =
        RetrievalCacheSettings.fromConfig(config.getConfig(RetrievalCacheSettings.CONFIG_PATH));
    Embedder queries = caches.queryEmbeddings() > 0 ? new CachingEmbedder(embedder, caches.queryEmbeddings()) : embedder;
    Reranker reranker = Rerankers.fromConfig(config.getConfig(Rerankers.CONFIG_PATH), GenerationSettings.fromSystem(system),
        system, embedding);
    Retriever hybrid = new HybridRetriever(index, queries, reranker, retrieval);
    Retriever retriever = caches.results() > 0
        ? new CachingRetriever(hybrid, generations, caches.results(), caches.ttl()) : hybrid;
    return new Knowledge(catalog, objects, sample, retriever, retrieval, embedder);
  }

  /**
   * The configured search index: the node-local Lucene index for both halves by default, or Milvus for vectors
   * and/or Elasticsearch for keywords ({@code voicehelper.knowledge.vector-store}, {@code keyword-store}). When a
   * half is Lucene, {@code local} is given the Lucene index to keep current; Milvus and Elasticsearch are shared by
   * every node and written by the sagas alone.
   */
  private static KnowledgeIndex searchIndex(ActorSystem<?> system, Config config, Embedder embedder,
      Executor blocking, Consumer<LuceneKnowledgeIndex> local) {
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
        ? openIndex(system, Path.of(config.getString("voicehelper.knowledge.index-dir")), embedder, blocking)
        : null;
    if (lucene != null) local.accept(lucene);
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

  private static LuceneKnowledgeIndex openIndex(ActorSystem<?> system, Path dir, Embedder embedder,
      Executor blocking) {
    LuceneKnowledgeIndex index;
    try {
      index = new LuceneKnowledgeIndex(dir, embedder.dimension(), embedder.modelId(), blocking);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the knowledge index in " + dir, e);
    }
    closeOnShutdown(system, "close-knowledge-index", index::close, blocking);
    return index;
  }

  /**
   * Keeps the node-local index on the published state of every document: the index follower (which also rebuilds
   * it when needed), stopped at coordinated shutdown before the index is closed; or, with the follower off, only a
   * rebuild at start.
   */
  private static void keepCurrent(ActorSystem<?> system, LuceneKnowledgeIndex index, ChunkStore chunks,
      DocumentLanes lanes, JournalHead head, KnowledgeGenerations generations) {
    Config config = system.settings().config();
    IndexFollowerSettings settings =
        IndexFollowerSettings.fromConfig(config.getConfig(IndexFollowerSettings.CONFIG_PATH));
    if (settings.enabled()) {
      IndexSync sync = new IndexSync(index, chunks, lanes, settings.copyBatchSize(), Materializer.matFromSystem(system),
          document -> generations.changed(document.tenantId(), document.collectionId()));
      IndexFollower follower = IndexFollower.start(system, index, chunks, head, sync, settings);
      // Results cached while a rebuild filled the index are incomplete.
      follower.started().whenComplete((offsets, failure) -> generations.changedEverything());
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "stop-knowledge-index-follower",
          follower::stop);
      return;
    }
    if (index.needsRebuild()) {
      system.log().info("Rebuilding the knowledge index in {} from the chunk table", index.path());
      index.rebuild(chunks.published(), Materializer.matFromSystem(system)).whenComplete((done, failure) -> {
        // Results cached while the index filled are incomplete.
        generations.changedEverything();
        if (failure != null) system.log().error("Rebuilding the knowledge index failed: {}", failure.toString());
        else system.log().info("The knowledge index in {} is rebuilt", index.path());
      });
    }
  }

  KnowledgeCatalog catalog() {
    return catalog;
  }

  ObjectStore objects() {
    return objects;
  }

  Retriever retriever() {
    return retriever;
  }

  RetrievalSettings retrievalSettings() {
    return retrievalSettings;
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
