package io.voicehelper.cluster;

import io.voicehelper.edge.http.knowledge.DocumentUploads;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import io.voicehelper.entities.knowledge.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Gives a new tenant the bundled sample knowledge base ({@code sample-kb/} on the classpath: a fictional company's
 * customer-service documents in Chinese and English), so that the product answers something useful out of the box.
 * The files go through the same path as an upload ({@link DocumentUploads}): a collection in the catalog, a version
 * numbered by each document's entity, the original in the object store, then the entity's indexing saga.
 */
final class SampleKnowledge {

  static final String COLLECTION_NAME = "Lumen Home sample";
  static final String COLLECTION_ID = "col-sample";
  private static final String ROOT = "sample-kb/";

  private final ActorSystem<?> system;
  private final KnowledgeCatalog catalog;
  private final DocumentUploads uploads;
  private final Clock clock;
  private final List<String> files;

  SampleKnowledge(ActorSystem<?> system, KnowledgeCatalog catalog, ObjectStore objects, Clock clock,
      Duration askTimeout) {
    this.system = system;
    this.catalog = catalog;
    this.uploads = new DocumentUploads(system, ClusterSharding.get(system), objects, askTimeout);
    this.clock = clock;
    this.files = new String(resource("files.txt"), StandardCharsets.UTF_8).lines().map(String::strip)
        .filter(line -> !line.isEmpty()).toList();
  }

  /** Loads the sample into a new collection of the tenant, in the background; failures are logged. */
  void seed(String tenantId, String ownerId) {
    // Collection ids are per tenant: every tenant's sample has the same one.
    KnowledgeCatalog.Collection collection =
        new KnowledgeCatalog.Collection(tenantId, COLLECTION_ID, COLLECTION_NAME, ownerId, clock.instant());
    CompletionStage<Void> done = catalog.createCollection(collection);
    for (String file : files) done = done.thenCompose(ignored -> upload(collection, file, ownerId));
    done.whenComplete((ignored, failure) -> {
      if (failure != null) {
        system.log().warn("Loading the sample knowledge base for tenant {} failed: {}", tenantId, failure.toString());
      } else {
        system.log().info("Tenant {} got the sample knowledge base ({} documents)", tenantId, files.size());
      }
    });
  }

  private CompletionStage<Void> upload(KnowledgeCatalog.Collection collection, String file, String ownerId) {
    String name = file.substring(file.lastIndexOf('/') + 1);
    DocumentRef ref = new DocumentRef(collection.tenantId(), collection.collectionId(),
        DocumentRef.documentIdForName(collection.collectionId(), name));
    byte[] bytes = resource(file);
    return uploads.upload(ref, name, ownerId, Source.single(ByteString.fromArrayUnsafe(bytes)), bytes.length)
        .thenApply(uploaded -> (Void) null);
  }

  private static byte[] resource(String path) {
    try (InputStream in = SampleKnowledge.class.getClassLoader().getResourceAsStream(ROOT + path)) {
      if (in == null) throw new IllegalStateException("the sample knowledge base lacks " + ROOT + path);
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + ROOT + path, e);
    }
  }
}
