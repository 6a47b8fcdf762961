package io.voicehelper.edge.http.knowledge;

import io.voicehelper.edge.http.internal.ProblemHandling;
import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentEntity.DocumentView;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.ObjectStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The one way a file becomes a new version of a document, for the upload route and for the bundled sample: the
 * document's entity numbers the version ({@code BeginUpload}), the bytes stream into the object store under the key
 * it names (counted, hashed, never held whole), and {@code CompleteUpload} starts indexing. When the bytes cannot be
 * stored (too large, empty, the client went away, the store failed), the version is failed first ({@code FailUpload}:
 * its entity removes whatever was stored), then the returned stage fails with the cause.
 */
public final class DocumentUploads {

  /** A stored version: indexing has started. */
  public record Uploaded(DocumentRef document, int version, DocumentView view) {}

  /** A version whose file is stored, not completed yet: {@link #complete} starts indexing, {@link #fail} ends it. */
  public record Stored(DocumentRef document, int version, ObjectStore.Stored file) {}

  /** The file had no bytes. */
  public static final class EmptyFile extends RuntimeException {
    EmptyFile() {
      super("the file is empty", null, false, false);
    }
  }

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final ObjectStore objects;
  private final Duration askTimeout;

  public DocumentUploads(ActorSystem<?> system, ClusterSharding sharding, ObjectStore objects, Duration askTimeout) {
    this.system = system;
    this.sharding = sharding;
    this.objects = objects;
    this.askTimeout = askTimeout;
  }

  /**
   * Uploads {@code bytes} (at most {@code maxBytes}) as a new version of {@code document} named {@code name}, without
   * metadata. Fails with the entity's rejection, {@link ObjectStore.TooLarge}, {@link EmptyFile}, or whatever stopped
   * the bytes.
   */
  public CompletionStage<Uploaded> upload(DocumentRef document, String name, String uploadedBy,
      Source<ByteString, ?> bytes, long maxBytes) {
    return store(document, name, uploadedBy, Map.of(), bytes, maxBytes).thenCompose(this::complete);
  }

  /**
   * Numbers a new version with {@code metadata} and stores {@code bytes} as its original, leaving it open: the caller
   * then completes or fails it. Fails as {@link #upload} does (having failed the version).
   */
  public CompletionStage<Stored> store(DocumentRef document, String name, String uploadedBy,
      Map<String, String> metadata, Source<ByteString, ?> bytes, long maxBytes) {
    EntityRef<DocumentEntity.Command> entity = entity(document);
    return entity.<DocumentEntity.UploadTicket>askWithStatus(
            replyTo -> new DocumentEntity.BeginUpload(name, name, uploadedBy, metadata, replyTo), askTimeout)
        .thenCompose(ticket -> bytes.runWith(objects.put(ticket.objectKey(), maxBytes), system)
            .<CompletionStage<ObjectStore.Stored>>handle((stored, failure) -> {
              if (failure == null && stored.size() > 0) return CompletableFuture.completedFuture(stored);
              Throwable cause = failure == null ? new EmptyFile() : ProblemHandling.unwrap(failure);
              String reason = cause instanceof EmptyFile || cause instanceof ObjectStore.TooLarge
                  ? cause.getMessage() : "the upload did not complete";
              return fail(document, ticket.version(), reason).handle((view, ignored) -> {
                throw new CompletionException(cause);
              });
            })
            .thenCompose(Function.identity())
            .thenApply(stored -> new Stored(document, ticket.version(), stored)));
  }

  /** Starts indexing a stored version. */
  public CompletionStage<Uploaded> complete(Stored stored) {
    return entity(stored.document()).<DocumentView>askWithStatus(replyTo -> new DocumentEntity.CompleteUpload(
            stored.version(), stored.file().size(), stored.file().sha256(), replyTo), askTimeout)
        .thenApply(view -> new Uploaded(stored.document(), stored.version(), view));
  }

  /** Fails an open version: its entity removes what was stored and keeps {@code reason} on it. */
  public CompletionStage<DocumentView> fail(DocumentRef document, int version, String reason) {
    return entity(document).askWithStatus(replyTo -> new DocumentEntity.FailUpload(version, reason, replyTo),
        askTimeout);
  }

  private EntityRef<DocumentEntity.Command> entity(DocumentRef document) {
    return sharding.entityRefFor(DocumentEntity.ENTITY_KEY, document.entityId());
  }
}
