package io.voicehelper.streams.knowledge.storage;

import io.voicehelper.entities.knowledge.ObjectStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Keeps objects in a bucket of an S3-compatible store (MinIO, AWS S3) through the AWS SDK v2's blocking client, whose
 * calls run on the given dispatcher. An upload streams part by part: an object of at most one part goes up with one
 * PutObject, a larger one as a multipart upload whose parts are sent while the next one fills, so at most two parts
 * are in memory. A failed or too large upload aborts its multipart upload, so nothing of it stays (no object, no
 * parts that the bucket would keep and bill).
 */
public final class S3ObjectStore implements ObjectStore, AutoCloseable {

  /** Keys per ListObjectsV2 page and per DeleteObjects call: S3's maximum. */
  static final int DEFAULT_PAGE_SIZE = 1000;

  private final S3Client s3;
  private final String bucket;
  private final int partSize;
  private final int pageSize;
  private final Executor blocking;
  private final Attributes blockingAttributes;

  /**
   * @param settings where the store is and how to reach it
   * @param blockingDispatcher config path of the dispatcher for the SDK's blocking calls
   */
  public S3ObjectStore(ObjectStoreSettings.S3 settings, ActorSystem<?> system, String blockingDispatcher) {
    this(settings, system, blockingDispatcher, DEFAULT_PAGE_SIZE);
  }

  S3ObjectStore(ObjectStoreSettings.S3 settings, ActorSystem<?> system, String blockingDispatcher, int pageSize) {
    this.s3 = client(settings);
    this.bucket = settings.bucket();
    this.partSize = (int) settings.partSize();
    this.pageSize = pageSize;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(blockingDispatcher));
    this.blockingAttributes = ActorAttributes.dispatcher(blockingDispatcher);
  }

  /**
   * The SDK client. Checksums are computed only where S3 requires them (DeleteObjects): since SDK 2.30 the default
   * adds CRC trailers to every upload, which several S3-compatible servers refuse; the SHA-256 of each object is
   * computed here anyway. Over plain HTTP the SDK still signs upload bodies as {@code aws-chunked}
   * ({@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD}), which MinIO and S3 accept.
   */
  static S3Client client(ObjectStoreSettings.S3 settings) {
    AwsCredentialsProvider credentials = settings.accessKey().isEmpty()
        ? DefaultCredentialsProvider.builder().build()
        : StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
    S3ClientBuilder builder = S3Client.builder()
        .httpClient(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(10))
            .socketTimeout(settings.requestTimeout())
            .build())
        .region(Region.of(settings.region()))
        .credentialsProvider(credentials)
        .forcePathStyle(settings.pathStyle())
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(override -> override
            // the socket timeout catches a silent server; this also cuts an attempt whose upload is stuck
            .apiCallAttemptTimeout(settings.requestTimeout().multipliedBy(2))
            .retryStrategy(retry -> retry.maxAttempts(settings.maxAttempts())));
    if (settings.endpoint() != null) builder.endpointOverride(settings.endpoint());
    return builder.build();
  }

  @Override
  public Sink<ByteString, CompletionStage<Stored>> put(String key, long maxBytes) {
    try {
      ObjectKeys.requireKey(key);
    } catch (IllegalArgumentException e) {
      return Sink.<ByteString>cancelled().mapMaterializedValue(n -> CompletableFuture.failedFuture(e));
    }
    return Sink.<ByteString, CompletionStage<Stored>>fromMaterializer((materializer, attributes) -> {
          ContentDigest digest = new ContentDigest(maxBytes);
          Upload upload = new Upload(key);
          return Flow.of(ByteString.class)
              .map(bytes -> Optional.of(digest.accept(bytes)))
              // the end is marked in the stream (statefulMap's onComplete also runs when upstream fails)
              .concat(Source.single(Optional.<ByteString>empty()))
              .statefulMap(
                  ByteString::emptyByteString,
                  (filling, next) -> next.isPresent()
                      ? cutParts(filling.concat(next.get()))
                      : Pair.create(ByteString.emptyByteString(), List.of(new Part(filling, true))),
                  filling -> Optional.<List<Part>>empty())
              .mapConcat(parts -> parts)
              .mapAsync(1, upload::send)
              .toMat(Sink.ignore(), Keep.right())
              .mapMaterializedValue(done -> done
                  .handle((ok, error) -> error == null
                      ? CompletableFuture.completedFuture(digest.stored())
                      : upload.abort().handle((aborted, abortError) -> CompletableFuture.<Stored>failedFuture(error))
                          .thenCompose(Function.identity()))
                  .thenCompose(Function.identity()));
        })
        .mapMaterializedValue(stage -> stage.thenCompose(Function.identity()));
  }

  /** One part's bytes; the last part of an object may be short or empty. */
  private record Part(ByteString bytes, boolean last) {}

  /** Cuts every full part off the front of {@code filling}; the rest keeps filling. */
  private Pair<ByteString, List<Part>> cutParts(ByteString filling) {
    List<Part> full = new ArrayList<>(1);
    while (filling.size() > partSize) {
      full.add(new Part(filling.take(partSize), false));
      filling = filling.drop(partSize);
    }
    return Pair.create(filling, full);
  }

  @Override
  public Source<ByteString, ?> get(String key) {
    try {
      ObjectKeys.requireKey(key);
    } catch (IllegalArgumentException e) {
      return Source.failed(e);
    }
    return StreamConverters.fromInputStream(() -> s3.getObject(request -> request.bucket(bucket).key(key)))
        .withAttributes(blockingAttributes);
  }

  @Override
  public CompletionStage<Void> delete(String key) {
    return onBlocking(() -> {
      ObjectKeys.requireKey(key);
      s3.deleteObject(request -> request.bucket(bucket).key(key));
      return null;
    });
  }

  @Override
  public CompletionStage<Void> deletePrefix(String prefix) {
    return onBlocking(() -> {
      ObjectKeys.requirePrefix(prefix);
      String token = null;
      do {
        String continuation = token;
        ListObjectsV2Response page = s3.listObjectsV2(request -> request
            .bucket(bucket).prefix(prefix).maxKeys(pageSize).continuationToken(continuation));
        List<ObjectIdentifier> keys = page.contents().stream()
            .map(S3Object::key)
            .map(key -> ObjectIdentifier.builder().key(key).build())
            .toList();
        if (!keys.isEmpty()) {
          DeleteObjectsResponse deleted = s3.deleteObjects(request -> request
              .bucket(bucket).delete(delete -> delete.objects(keys).quiet(true)));
          if (deleted.hasErrors() && !deleted.errors().isEmpty()) {
            throw new IllegalStateException("S3 refused to delete " + deleted.errors().size() + " objects under "
                + prefix + ", e.g. " + deleted.errors().get(0).key() + ": " + deleted.errors().get(0).message());
          }
        }
        token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
      } while (token != null);
      return null;
    });
  }

  @Override
  public void close() {
    s3.close();
  }

  private <T> CompletableFuture<T> onBlocking(Supplier<T> call) {
    return CompletableFuture.supplyAsync(() -> {
          // the SDK's attempt timeout interrupts the calling thread; a late interrupt must not fail the next call
          Thread.interrupted();
          return call.get();
        }, blocking)
        .exceptionallyCompose(error -> CompletableFuture.failedFuture(
            error instanceof CompletionException && error.getCause() != null ? error.getCause() : error));
  }

  /**
   * The state of one upload. Its calls run one after another (the stream sends one part at a time, and an abort
   * waits for the call in flight), so the upload id it aborts is always the one that was created.
   */
  private final class Upload {
    private final String key;
    private final List<CompletedPart> parts = new ArrayList<>();
    private String uploadId;
    private boolean stored;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    Upload(String key) {
      this.key = key;
    }

    CompletionStage<Void> send(Part part) {
      return then(() -> {
        if (part.last() && uploadId == null) {
          s3.putObject(request -> request.bucket(bucket).key(key), body(part.bytes()));
          stored = true;
          return;
        }
        if (uploadId == null) {
          uploadId = s3.createMultipartUpload(request -> request.bucket(bucket).key(key)).uploadId();
        }
        if (!part.last() || !part.bytes().isEmpty()) {
          int number = parts.size() + 1;
          String etag = s3.uploadPart(
              request -> request.bucket(bucket).key(key).uploadId(uploadId).partNumber(number)
                  .contentLength((long) part.bytes().size()),
              body(part.bytes())).eTag();
          parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
        }
        if (part.last()) {
          s3.completeMultipartUpload(request -> request.bucket(bucket).key(key).uploadId(uploadId)
              .multipartUpload(upload -> upload.parts(parts)));
          stored = true;
        }
      });
    }

    /** Removes what this upload left: its multipart upload, or its object if the stream failed after storing it. */
    CompletionStage<Void> abort() {
      return then(() -> {
        if (stored) {
          s3.deleteObject(request -> request.bucket(bucket).key(key));
        } else if (uploadId != null) {
          s3.abortMultipartUpload(request -> request.bucket(bucket).key(key).uploadId(uploadId));
        }
      });
    }

    private synchronized CompletionStage<Void> then(Runnable call) {
      CompletableFuture<Void> next = tail.exceptionally(previous -> null)
          .thenCompose(x -> onBlocking(() -> {
            call.run();
            return null;
          }));
      tail = next;
      return next;
    }
  }

  /** A body the SDK may read more than once (to sign it, and again on a retry) without copying the part. */
  private static RequestBody body(ByteString bytes) {
    return RequestBody.fromContentProvider(bytes::asInputStream, bytes.size(), "application/octet-stream");
  }
}
