package io.voicehelper.edge.http.knowledge;

import io.voicehelper.edge.http.internal.ProblemHandling;
import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentEntity.DocumentView;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.ObjectStore;
import java.time.Duration;
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
   * Uploads {@code bytes} (at most {@code maxBytes}) as a new version of {@code document} named {@code name}. Fails
   * with the entity's rejection, {@link ObjectStore.TooLarge}, {@link EmptyFile}, or whatever stopped the bytes.
   */
  public CompletionStage<Uploaded> upload(DocumentRef document, String name, String uploadedBy,
      Source<ByteString, ?> bytes, long maxBytes) {
    EntityRef<DocumentEntity.Command> entity = sharding.entityRefFor(DocumentEntity.ENTITY_KEY, document.entityId());
    return entity.<DocumentEntity.UploadTicket>askWithStatus(
            replyTo -> new DocumentEntity.BeginUpload(name, name, uploadedBy, replyTo), askTimeout)
        .thenCompose(ticket -> bytes.runWith(objects.put(ticket.objectKey(), maxBytes), system)
            .<CompletionStage<ObjectStore.Stored>>handle((stored, failure) -> {
              if (failure == null && stored.size() > 0) return CompletableFuture.completedFuture(stored);
              Throwable cause = failure == null ? new EmptyFile() : ProblemHandling.unwrap(failure);
              String reason = cause instanceof EmptyFile || cause instanceof ObjectStore.TooLarge
                  ? cause.getMessage() : "the upload did not complete";
              return entity.<DocumentView>askWithStatus(
                      replyTo -> new DocumentEntity.FailUpload(ticket.version(), reason, replyTo), askTimeout)
                  .handle((view, ignored) -> {
                    throw new CompletionException(cause);
                  });
            })
            .thenCompose(Function.identity())
            .thenCompose(stored -> entity.<DocumentView>askWithStatus(replyTo ->
                new DocumentEntity.CompleteUpload(ticket.version(), stored.size(), stored.sha256(), replyTo),
                askTimeout))
            .thenApply(view -> new Uploaded(document, ticket.version(), view)));
  }
}
