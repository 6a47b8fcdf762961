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
import io.voicehelper.streams.knowledge.StreamsDocumentPipeline;
import io.voicehelper.streams.knowledge.chunking.ChunkingSettings;
import io.voicehelper.streams.knowledge.chunking.StructuredChunker;
import io.voicehelper.streams.knowledge.embedding.EmbeddingSettings;
import io.voicehelper.streams.knowledge.embedding.Embeddings;
import io.voicehelper.streams.knowledge.jdbc.JdbcChunkStore;
import io.voicehelper.streams.knowledge.jdbc.JdbcKnowledgeCatalog;
import io.voicehelper.streams.knowledge.lucene.LuceneKnowledgeIndex;
import io.voicehelper.streams.knowledge.parsing.TikaDocumentParser;
import io.voicehelper.streams.knowledge.storage.ObjectStores;
import io.voicehelper.streams.projection.DocumentSummaryProjection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
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

  private Knowledge(KnowledgeCatalog catalog, ObjectStore objects, SampleKnowledge sample) {
    this.catalog = catalog;
    this.objects = objects;
    this.sample = sample;
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
    KnowledgeIndex index = openIndex(system, Path.of(config.getString("voicehelper.knowledge.index-dir")), embedder,
        chunks, blocking);

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
    return new Knowledge(catalog, objects, sample);
  }

  private static LuceneKnowledgeIndex openIndex(ActorSystem<?> system, Path dir, Embedder embedder, ChunkStore chunks,
      Executor blocking) {
    LuceneKnowledgeIndex index;
    try {
      index = new LuceneKnowledgeIndex(dir, embedder.dimension(), embedder.modelId(), blocking);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the knowledge index in " + dir, e);
    }
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-knowledge-index",
        () -> CompletableFuture.supplyAsync(() -> {
          try {
            index.close();
          } catch (IOException e) {
            system.log().warn("Closing the knowledge index failed: {}", e.toString());
          }
          return Done.getInstance();
        }, blocking));
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

  /** Called once a tenant signed up: gives it the sample knowledge base when that is enabled. */
  void tenantCreated(String tenantId, String ownerId) {
    if (sample != null) sample.seed(tenantId, ownerId);
  }
}
