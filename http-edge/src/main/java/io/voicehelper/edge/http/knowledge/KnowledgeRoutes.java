package io.voicehelper.edge.http.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.edge.http.EdgeSettings;
import io.voicehelper.edge.http.auth.Authentication;
import io.voicehelper.edge.http.auth.Principal;
import io.voicehelper.edge.http.internal.Json;
import io.voicehelper.edge.http.internal.JsonBody;
import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.edge.http.internal.ProblemHandling;
import io.voicehelper.edge.http.internal.Requests;
import io.voicehelper.edge.http.limits.LimitDirectives;
import io.voicehelper.entities.identity.Permission;
import io.voicehelper.entities.knowledge.DocumentEntity;
import io.voicehelper.entities.knowledge.DocumentEntity.DocumentView;
import io.voicehelper.entities.knowledge.DocumentEntity.VersionView;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.DocumentRejection;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import io.voicehelper.entities.knowledge.ObjectStore;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.Multipart;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The knowledge API under {@code /api/v1/collections} (docs/knowledge-api.md): collections, document uploads
 * streamed to the object store, documents with their versions, state and progress, downloads, restores, re-indexing.
 *
 * <p>Reading needs {@code knowledge:read}, changing {@code knowledge:write}. The tenant comes from the credential only:
 * it scopes every catalog query and every document's entity id, so another tenant's ids are simply unknown (404).
 *
 * <p>An upload never holds the file in memory: the multipart part's bytes go straight into the object store's sink,
 * which counts them and stops at {@link KnowledgeEdgeSettings#maxUploadBytes()}. The document's entity numbers the
 * version first, so a failed or abandoned upload leaves a FAILED version with its reason, not a stray file.
 */
public final class KnowledgeRoutes extends AllDirectives {

  static final String BASE_PATH = "/api/v1/collections";
  private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");
  /** Room for the multipart boundaries and part headers around the file. */
  private static final long MULTIPART_OVERHEAD = 64 * 1024;
  private static final int MAX_LIST = 1000;
  /** Documents asked at once when a request acts on a whole collection. */
  private static final int FAN_OUT = 4;
  /** Largest {@code metadata} part: room for every pair at its limits, JSON-escaped. */
  private static final long MAX_METADATA_BYTES = 64 * 1024;

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final KnowledgeCatalog catalog;
  private final ObjectStore objects;
  private final KnowledgeEdgeSettings settings;
  private final EdgeSettings edge;
  private final Authentication authentication;
  private final LimitDirectives limits;
  private final Json json;
  private final JsonBody body;
  private final Clock clock;
  private final DocumentUploads uploads;

  public KnowledgeRoutes(
      ActorSystem<?> system, ClusterSharding sharding, KnowledgeCatalog catalog, ObjectStore objects,
      KnowledgeEdgeSettings settings, EdgeSettings edge, Authentication authentication, LimitDirectives limits,
      Clock clock) {
    this.system = system;
    this.sharding = sharding;
    this.catalog = catalog;
    this.objects = objects;
    this.settings = settings;
    this.edge = edge;
    this.authentication = authentication;
    this.limits = limits;
    this.clock = clock;
    this.json = new Json(edge.maxJsonDepth(), (int) Math.min(Integer.MAX_VALUE, edge.maxBodyBytes()));
    this.body = new JsonBody(system, json, edge.maxBodyBytes(), edge.bodyReadTimeout());
    this.uploads = new DocumentUploads(system, sharding, objects, edge.askTimeout());
  }

  public Route route() {
    return ProblemHandling.handleFailures(
        pathPrefix(PathMatchers.segment("api").slash("v1").slash("collections"), () ->
            authentication.authenticate(principal -> rateLimited(principal, () -> routes(principal)))));
  }

  private Route rateLimited(Principal principal, Supplier<Route> inner) {
    return limits == null ? inner.get() : limits.rateLimited(principal.tenantId(), principal.subject(), inner);
  }

  private Route routes(Principal principal) {
    String tenant = principal.tenantId();
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> read(principal, () -> listCollections(tenant))),
            post(() -> write(principal, () -> createCollection(principal))))),
        pathPrefix(PathMatchers.segment(), collectionId -> {
          Requests.requireId("collection", collectionId);
          return concat(
              pathEndOrSingleSlash(() -> concat(
                  get(() -> read(principal, () -> withCollection(tenant, collectionId, c ->
                      complete(json.response(200, item(c)))))),
                  patch(() -> write(principal, () -> renameCollection(tenant, collectionId))),
                  delete(() -> write(principal, () -> deleteCollection(tenant, collectionId))))),
              path("reindex", () -> post(() -> write(principal, () -> reindexCollection(tenant, collectionId)))),
              pathPrefix("documents", () -> documentRoutes(principal, collectionId)));
        }));
  }

  private Route documentRoutes(Principal principal, String collectionId) {
    String tenant = principal.tenantId();
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> read(principal, () -> withCollection(tenant, collectionId, c -> listDocuments(c)))),
            post(() -> write(principal, () -> withCollection(tenant, collectionId, c ->
                upload(principal, c, Optional.empty())))))),
        pathPrefix(PathMatchers.segment(), documentId -> {
          Requests.requireId("document", documentId);
          return documentRoute(principal, new DocumentRef(tenant, collectionId, documentId));
        }));
  }

  private Route documentRoute(Principal principal, DocumentRef ref) {
    String tenant = ref.tenantId();
    String collectionId = ref.collectionId();
    Route document = pathEndOrSingleSlash(() -> concat(
        get(() -> read(principal, () -> withCollection(tenant, collectionId, c ->
            onSuccess(ask(ref, DocumentEntity.Get::new), view -> complete(json.response(200, detail(view))))))),
        delete(() -> write(principal, () -> withCollection(tenant, collectionId, c ->
            onSuccess(ask(ref, DocumentEntity.Delete::new), done ->
                complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT))))))));
    Route newVersion = path("versions", () -> post(() -> write(principal, () ->
        withCollection(tenant, collectionId, c -> upload(principal, c, Optional.of(ref.documentId()))))));
    Route version = pathPrefix(PathMatchers.segment("versions").slash(PathMatchers.integerSegment()), number ->
        concat(
            path("content", () -> get(() -> read(principal, () ->
                withCollection(tenant, collectionId, c -> download(ref, number))))),
            path("restore", () -> post(() -> write(principal, () -> withCollection(tenant, collectionId, c ->
                onSuccess(this.<DocumentView>ask(ref, replyTo -> new DocumentEntity.RestoreVersion(number, replyTo)), view ->
                    complete(json.response(202, detail(view))))))))));
    return concat(document, newVersion, version);
  }

  private static Route read(Principal principal, Supplier<Route> inner) {
    return Authentication.authorize(principal, Permission.KNOWLEDGE_READ, inner);
  }

  private static Route write(Principal principal, Supplier<Route> inner) {
    return Authentication.authorize(principal, Permission.KNOWLEDGE_WRITE, inner);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Collections

  private Route listCollections(String tenant) {
    return onSuccess(withTimeout(() -> catalog.collections(tenant, MAX_LIST)), list ->
        complete(json.response(200, new KnowledgeJson.CollectionList(list.stream().map(KnowledgeRoutes::item).toList()))));
  }

  private Route createCollection(Principal principal) {
    return body.object(request -> {
      String name = collectionName(request);
      KnowledgeCatalog.Collection collection = new KnowledgeCatalog.Collection(principal.tenantId(),
          "col-" + UUID.randomUUID().toString().replace("-", "").substring(0, 20), name, principal.subject(),
          clock.instant());
      CompletionStage<Void> created = withTimeout(() -> catalog.createCollection(collection))
          .exceptionally(failure -> {
            throw nameTaken(ProblemHandling.unwrap(failure), name);
          });
      return onSuccess(created, ignored -> complete(json.response(201, item(collection))
          .addHeader(Location.create(BASE_PATH + "/" + collection.collectionId()))));
    });
  }

  private Route renameCollection(String tenant, String collectionId) {
    return body.object(request -> {
      String name = collectionName(request);
      CompletionStage<Optional<KnowledgeCatalog.Collection>> renamed =
          withTimeout(() -> catalog.renameCollection(tenant, collectionId, name))
              .exceptionally(failure -> {
                throw nameTaken(ProblemHandling.unwrap(failure), name);
              })
              .thenCompose(found -> found
                  ? catalog.collection(tenant, collectionId)
                  : CompletableFuture.completedFuture(Optional.empty()));
      return onSuccess(renamed, c -> complete(json.response(200,
          item(c.orElseThrow(() -> ProblemException.notFound("collection", collectionId))))));
    });
  }

  /**
   * Deletes each document of the collection through its entity (which purges its chunks from every store and its
   * originals, in the background, retried until done), {@value #FAN_OUT} at a time, then removes the collection from
   * the catalog. If a document does not answer, the request fails (503) and the collection stays, so the client can
   * simply retry. The list is the read model's: a document whose upload began in the last moment may be missed.
   */
  private Route deleteCollection(String tenant, String collectionId) {
    return withCollection(tenant, collectionId, c -> {
      CompletionStage<Boolean> deleted = eachDocument(tenant, collectionId, d -> true,
              d -> this.<Done>ask(d.document(), DocumentEntity.Delete::new).exceptionally(failure -> {
                // Already deleted (the read model lags): nothing left to do for it.
                if (ProblemHandling.unwrap(failure) instanceof ProblemException p && p.status() == 404) {
                  return Done.getInstance();
                }
                throw new CompletionException(failure);
              }))
          .thenCompose(count -> withTimeout(() -> catalog.deleteCollection(tenant, collectionId)));
      return onSuccess(deleted, found -> complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)));
    });
  }

  /** Starts re-indexing every published document of the collection, {@value #FAN_OUT} at a time. */
  private Route reindexCollection(String tenant, String collectionId) {
    return withCollection(tenant, collectionId, c -> {
      CompletionStage<Integer> started = eachDocument(tenant, collectionId, d -> d.publishedVersion() > 0,
          d -> this.<DocumentView>ask(d.document(), DocumentEntity.Reindex::new).exceptionally(failure -> {
            // BUSY (another version is being processed) or gone meanwhile: that document keeps what it has.
            system.log().info("Re-indexing document {} was not started: {}", d.document().documentId(),
                ProblemHandling.unwrap(failure).getMessage());
            return null;
          }));
      return onSuccess(started, count -> complete(json.response(202, new KnowledgeJson.Reindexing(count))));
    });
  }

  /** Asks {@code each} for every listed document that passes {@code which}, at most {@value #FAN_OUT} at a time. */
  private <T> CompletionStage<Integer> eachDocument(String tenant, String collectionId,
      java.util.function.Predicate<KnowledgeCatalog.DocumentSummary> which,
      Function<KnowledgeCatalog.DocumentSummary, CompletionStage<T>> each) {
    return withTimeout(() -> catalog.documents(tenant, collectionId, Integer.MAX_VALUE))
        .thenCompose(documents -> Source.from(documents)
            .filter(which::test)
            .mapAsync(FAN_OUT, each::apply)
            .runFold(0, (count, ignored) -> count + 1, system));
  }

  private Route withCollection(String tenant, String collectionId,
      Function<KnowledgeCatalog.Collection, Route> inner) {
    return onSuccess(withTimeout(() -> catalog.collection(tenant, collectionId)), found ->
        inner.apply(found.orElseThrow(() -> ProblemException.notFound("collection", collectionId))));
  }

  private static KnowledgeJson.CollectionItem item(KnowledgeCatalog.Collection c) {
    return new KnowledgeJson.CollectionItem(c.collectionId(), c.name(), c.createdAt());
  }

  private String collectionName(JsonNode request) {
    String name = JsonBody.string(request, "name");
    if (name == null) throw ProblemException.badRequest("name-required", "'name' is required.");
    String clean = CONTROL.matcher(name).replaceAll(" ").strip();
    int length = clean.codePointCount(0, clean.length());
    if (length == 0 || length > settings.maxCollectionNameLength()) {
      throw ProblemException.badRequest("invalid-name",
          "'name' must be 1 to " + settings.maxCollectionNameLength() + " characters long.");
    }
    return clean;
  }

  private static RuntimeException nameTaken(Throwable cause, String name) {
    if (cause instanceof KnowledgeCatalog.NameTaken) {
      return ProblemException.of(409, "collection-name-taken", "Collection name taken",
          "The tenant has a collection named '" + name + "' already.");
    }
    return cause instanceof RuntimeException r ? r : new CompletionException(cause);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Documents

  private Route listDocuments(KnowledgeCatalog.Collection c) {
    return onSuccess(withTimeout(() -> catalog.documents(c.tenantId(), c.collectionId(), MAX_LIST)), list -> {
      List<KnowledgeJson.DocumentItem> items = new ArrayList<>(list.size());
      for (KnowledgeCatalog.DocumentSummary d : list) {
        items.add(new KnowledgeJson.DocumentItem(d.document().documentId(), d.name(), d.state(), d.latestVersion(),
            d.publishedVersion(), d.chunks(), d.sizeBytes(), d.updatedAt()));
      }
      return complete(json.response(200, new KnowledgeJson.DocumentList(items)));
    });
  }

  private static KnowledgeJson.DocumentDetail detail(DocumentView view) {
    List<KnowledgeJson.VersionItem> versions = new ArrayList<>(view.versions().size());
    for (VersionView v : view.versions()) {
      versions.add(new KnowledgeJson.VersionItem(v.version(), v.fileName(), v.state().name(), v.contentType(),
          v.size(), v.sha256(), v.chunks(), v.createdAt(), v.supersededAt(), v.failure(), v.uploadedBy(),
          v.metadata()));
    }
    KnowledgeJson.Progress progress = view.progress()
        .map(p -> new KnowledgeJson.Progress(p.done(), p.total())).orElse(null);
    return new KnowledgeJson.DocumentDetail(view.document().documentId(), view.document().collectionId(),
        view.name(), view.state().name(), view.publishedVersion(), progress, versions);
  }

  /** The original file of one version, streamed from the object store. */
  private Route download(DocumentRef ref, int version) {
    return onSuccess(ask(ref, DocumentEntity.Get::new), view -> {
      VersionView v = view.versions().stream().filter(x -> x.version() == version).findFirst()
          .orElseThrow(() -> ProblemException.notFound("version", Integer.toString(version)));
      if (v.sha256() == null || v.state() == DocumentEntity.VersionState.FAILED) {
        throw ProblemException.of(409, "version-without-content", "No content",
            "Version " + version + " has no stored file (its upload did not complete or it failed).");
      }
      ContentType type = v.contentType() == null
          ? ContentTypes.APPLICATION_OCTET_STREAM
          : ContentTypes.parse(v.contentType().contains("text/") && !v.contentType().contains("charset")
              ? v.contentType() + "; charset=UTF-8" : v.contentType());
      Source<ByteString, ?> bytes = objects.get(v.objectKey());
      String encoded = URLEncoder.encode(v.fileName(), StandardCharsets.UTF_8).replace("+", "%20");
      return complete(HttpResponse.create()
          .withEntity(HttpEntities.create(type, v.size(), bytes))
          .addHeader(RawHeader.create("Content-Disposition", "attachment; filename*=UTF-8''" + encoded)));
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Uploads

  /**
   * Stores the request's first part named {@code file} as a new version: of the document named like the file in the
   * collection, or of {@code documentId}, with the user metadata of a {@code metadata} part (a JSON object of
   * strings) before it. Other parts, and further {@code file} parts, are read and ignored. The file streams on as it
   * arrives, so metadata after it comes too late: the stored version is failed and the request refused (400).
   */
  private Route upload(Principal principal, KnowledgeCatalog.Collection collection, Optional<String> documentId) {
    long maxRequest = settings.maxUploadBytes() + MULTIPART_OVERHEAD;
    return withSizeLimit(maxRequest, () -> withRequestTimeout(settings.uploadTimeout(), () ->
        extractRequest(request -> {
          RequestEntity entity = request.entity();
          OptionalLong length = entity.getContentLengthOption();
          if (length.isPresent() && length.getAsLong() > maxRequest) {
            throw ProblemException.payloadTooLarge(settings.maxUploadBytes());
          }
          org.apache.pekko.http.javadsl.model.MediaType type = entity.getContentType().mediaType();
          if (!"multipart".equals(type.mainType()) || !"form-data".equals(type.subType())) {
            throw ProblemException.plain(415, "Unsupported Media Type", "An upload must be multipart/form-data"
                + " with the file in a part named 'file', not " + type.mainType() + "/" + type.subType() + ".");
          }
          return entity(Unmarshaller.entityToMultipartFormData(), form -> {
            UploadForm upload = new UploadForm();
            CompletionStage<List<DocumentUploads.Uploaded>> stored = form.getParts()
                .mapAsync(1, part -> upload.take(part, () -> store(principal, collection, documentId, part,
                    upload.metadata)))
                .runWith(Sink.ignore(), system)
                .thenCompose(done -> upload.finish())
                .exceptionally(failure -> {
                  upload.abandon();
                  throw uploadFailure(ProblemHandling.unwrap(failure), documentId.orElse(null));
                });
            return onSuccess(stored, files -> {
              if (files.isEmpty()) {
                throw ProblemException.badRequest("file-required",
                    "The request must have a multipart part named 'file' with a file name.");
              }
              DocumentUploads.Uploaded first = files.get(0);
              VersionView version = first.view().versions().stream()
                  .filter(v -> v.version() == first.version()).findFirst().orElseThrow();
              return complete(json.response(202, new KnowledgeJson.UploadAccepted(first.document().documentId(),
                      version.fileName(), first.version(), version.state().name(), version.metadata()))
                  .addHeader(Location.create(BASE_PATH + "/" + collection.collectionId() + "/documents/"
                      + first.document().documentId())));
            });
          });
        })));
  }

  private static boolean isFile(Multipart.FormData.BodyPart part) {
    return "file".equals(part.getName()) && part.getFilename().isPresent();
  }

  /**
   * The parts of one upload request as they stream past, one at a time: the {@code metadata} part read and checked,
   * the first {@code file} part stored (not completed), everything else discarded.
   */
  private final class UploadForm {
    private Map<String, String> metadata = Map.of();
    private boolean metadataSeen;
    private boolean metadataLate;
    private DocumentUploads.Stored stored;
    private boolean fileTaken;

    CompletionStage<Done> take(Multipart.FormData.BodyPart part,
        Supplier<CompletionStage<DocumentUploads.Stored>> storeFile) {
      if (isFile(part) && !fileTaken) {
        fileTaken = true;
        return storeFile.get().thenApply(file -> {
          stored = file;
          return Done.getInstance();
        });
      }
      if ("metadata".equals(part.getName())) { // a field, or a JSON file (curl -F metadata=@meta.json)
        if (metadataSeen) throw ProblemException.badRequest("invalid-metadata", "Send one 'metadata' part only.");
        metadataSeen = true;
        metadataLate = fileTaken;
        return part.getEntity().toStrict(edge.bodyReadTimeout().toMillis(), MAX_METADATA_BYTES, system)
            .handle((strict, failure) -> {
              if (failure != null) {
                throw ProblemException.badRequest("invalid-metadata", "The 'metadata' part is longer than "
                    + MAX_METADATA_BYTES + " bytes or did not arrive.");
              }
              if (!metadataLate) metadata = JsonBody.metadata(json.parse(strict.getData()));
              return Done.getInstance();
            });
      }
      return part.getEntity().discardBytes(system).completionStage();
    }

    /** Completes the stored version; none when the request had no file. */
    CompletionStage<List<DocumentUploads.Uploaded>> finish() {
      if (stored == null) return CompletableFuture.completedFuture(List.of());
      if (metadataLate) {
        return uploads.fail(stored.document(), stored.version(), "the metadata part came after the file")
            .handle((view, ignored) -> {
              throw ProblemException.badRequest("metadata-after-file", "The 'metadata' part must come before the"
                  + " 'file' part: the file is stored as it arrives. Version " + stored.version() + " was failed.");
            });
      }
      return uploads.complete(stored).thenApply(List::of);
    }

    /** The request failed after its file was stored: the version must not wait for its upload timeout. */
    void abandon() {
      if (stored != null && !metadataLate) uploads.fail(stored.document(), stored.version(), "the upload failed");
    }
  }

  private CompletionStage<DocumentUploads.Stored> store(Principal principal, KnowledgeCatalog.Collection collection,
      Optional<String> documentId, Multipart.FormData.BodyPart part, Map<String, String> metadata) {
    String fileName = fileName(part.getFilename().orElse(""));
    DocumentRef ref = new DocumentRef(collection.tenantId(), collection.collectionId(),
        documentId.orElseGet(() -> DocumentRef.documentIdForName(collection.collectionId(), fileName)));
    return uploads.store(ref, fileName, principal.subject(), metadata, part.getEntity().getDataBytes(),
        settings.maxUploadBytes());
  }

  /** Why an upload failed, as the client should hear it; failures of ours are logged and answered 503. */
  private RuntimeException uploadFailure(Throwable cause, String documentId) {
    if (cause instanceof ProblemException p) return p;
    if (DocumentRejection.of(cause).isPresent() || cause instanceof TimeoutException) {
      return entityFailure(cause, documentId == null ? "upload" : documentId);
    }
    if (cause instanceof ObjectStore.TooLarge
        || cause instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException) {
      return ProblemException.payloadTooLarge(settings.maxUploadBytes());
    }
    if (cause instanceof DocumentUploads.EmptyFile) {
      return ProblemException.badRequest("empty-file", "The file is empty.");
    }
    if (cause instanceof org.apache.pekko.http.scaladsl.model.EntityStreamException) {
      return ProblemException.badRequest("upload-interrupted", "The upload could not be read to its end.");
    }
    system.log().warn("Storing an upload failed", cause);
    return ProblemException.serviceUnavailable("The file could not be stored. Retry the upload.",
        Duration.ofSeconds(5));
  }

  /** The file's own name: without any directories a client put in front, cleaned, of a sensible length. */
  private String fileName(String raw) {
    String name = raw.substring(Math.max(raw.lastIndexOf('/'), raw.lastIndexOf('\\')) + 1);
    name = CONTROL.matcher(name).replaceAll("").strip();
    int length = name.codePointCount(0, name.length());
    if (length == 0 || length > settings.maxFileNameLength() || name.equals(".") || name.equals("..")) {
      throw ProblemException.badRequest("invalid-file-name",
          "The file name must be 1 to " + settings.maxFileNameLength() + " characters long.");
    }
    return name;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Entities

  private EntityRef<DocumentEntity.Command> entity(DocumentRef ref) {
    return sharding.entityRefFor(DocumentEntity.ENTITY_KEY, ref.entityId());
  }

  private <R> CompletionStage<R> ask(DocumentRef ref, Function<ActorRef<StatusReply<R>>, DocumentEntity.Command> command) {
    return entity(ref).askWithStatus(command::apply, edge.askTimeout()).handle((value, failure) -> {
      if (failure == null) return value;
      throw entityFailure(ProblemHandling.unwrap(failure), ref.documentId());
    });
  }

  private RuntimeException entityFailure(Throwable cause, String documentId) {
    Optional<DocumentRejection> rejection = DocumentRejection.of(cause);
    if (rejection.isPresent()) {
      DocumentRejection r = rejection.get();
      String detail = DocumentRejection.detail(cause);
      if (r == DocumentRejection.NOT_FOUND) return ProblemException.notFound("document", documentId);
      if (r == DocumentRejection.VERSION_NOT_FOUND) return ProblemException.of(404, "version-not-found",
          "Version not found", detail);
      String slug = r.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
      return ProblemException.of(r.status, r == DocumentRejection.NOT_RESTORABLE ? "version-not-restorable" : slug,
          r.status == 422 ? "Invalid request" : "Conflict", detail);
    }
    if (cause instanceof TimeoutException) {
      return ProblemException.serviceUnavailable("The document did not answer within "
          + edge.askTimeout().toMillis() + " ms. Retry the request.", Duration.ofSeconds(1));
    }
    return cause instanceof RuntimeException r ? r : new CompletionException(cause);
  }

  private <T> CompletionStage<T> withTimeout(Supplier<CompletionStage<T>> call) {
    return Requests.withTimeout(edge.askTimeout(), call);
  }
}
