package io.voicehelper.streams.knowledge.storage;

import com.typesafe.config.Config;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Settings of the object store for original files, read once from {@code voicehelper.knowledge.object-store} (see
 * {@code reference.conf} for what each key does, its unit and its default).
 *
 * @param type which store
 * @param filesystemRoot the directory of the file-system store, already resolved from the data directory
 * @param s3 the S3 store's settings (read even when the type is {@code filesystem}, but then unused)
 * @param blockingDispatcher config path of the dispatcher that runs blocking file and HTTP calls
 */
public record ObjectStoreSettings(Type type, Path filesystemRoot, S3 s3, String blockingDispatcher) {

  /** The config path these settings are read from. */
  public static final String CONFIG_PATH = "voicehelper.knowledge.object-store";

  /** S3 requires every part of a multipart upload but the last to have at least this many bytes. */
  public static final long MIN_PART_SIZE = 5L * 1024 * 1024;

  /** Which store keeps the originals. */
  public enum Type {
    FILESYSTEM,
    S3
  }

  /**
   * Settings of an S3-compatible store.
   *
   * @param endpoint the endpoint URL ({@code http://minio:9000}); {@code null} for AWS's own
   * @param region the signing region
   * @param bucket the bucket, which must exist
   * @param accessKey static access key; empty for the AWS default credentials chain
   * @param secretKey static secret key; never printed by {@link #toString()}
   * @param pathStyle path-style URLs, as MinIO needs
   * @param partSize bytes per part of a multipart upload
   * @param requestTimeout longest one HTTP attempt may take
   * @param maxAttempts attempts per request, the first included
   */
  public record S3(
      URI endpoint, String region, String bucket, String accessKey, String secretKey, boolean pathStyle,
      long partSize, Duration requestTimeout, int maxAttempts) {

    public S3 {
      if (bucket == null || bucket.isBlank()) throw new IllegalArgumentException(CONFIG_PATH + ".s3.bucket is empty");
      if (partSize < MIN_PART_SIZE) {
        throw new IllegalArgumentException(CONFIG_PATH + ".s3.part-size must be at least 5MiB, S3's minimum");
      }
      if (partSize > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(CONFIG_PATH + ".s3.part-size must be below 2GiB");
      }
      if (maxAttempts < 1) throw new IllegalArgumentException(CONFIG_PATH + ".s3.max-attempts must be >= 1");
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException(CONFIG_PATH + ".s3.request-timeout must be positive");
      }
      accessKey = accessKey == null ? "" : accessKey.strip();
      secretKey = secretKey == null ? "" : secretKey.strip();
      if (accessKey.isEmpty() != secretKey.isEmpty()) {
        throw new IllegalArgumentException(
            CONFIG_PATH + ".s3.access-key and secret-key must both be set or both be empty");
      }
    }

    /** Like the record's own, but the secret key is masked so that the settings can be logged. */
    @Override
    public String toString() {
      return "S3[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket + ", accessKey=" + accessKey
          + ", secretKey=" + (secretKey.isEmpty() ? "" : "***") + ", pathStyle=" + pathStyle + ", partSize="
          + partSize + ", requestTimeout=" + requestTimeout + ", maxAttempts=" + maxAttempts + "]";
    }
  }

  /** Reads the settings from the system's configuration. */
  public static ObjectStoreSettings fromSystem(ActorSystem<?> system) {
    return fromRootConfig(system.settings().config());
  }

  /**
   * Reads the settings from a whole configuration: the {@code voicehelper.knowledge.object-store} section and, for
   * the default file-system root, {@code voicehelper.data-dir} when it is there.
   */
  public static ObjectStoreSettings fromRootConfig(Config root) {
    String dataDir = root.hasPath("voicehelper.data-dir") ? root.getString("voicehelper.data-dir") : null;
    return fromConfig(root.getConfig(CONFIG_PATH), dataDir);
  }

  /**
   * Reads the settings from the {@code voicehelper.knowledge.object-store} section.
   *
   * @param dataDir the node's data directory, or {@code null} when it has none (then the root defaults to
   *     {@code data/objects})
   */
  public static ObjectStoreSettings fromConfig(Config config, String dataDir) {
    String typeName = config.getString("type").strip().toLowerCase(Locale.ROOT);
    Type type =
        switch (typeName) {
          case "filesystem", "file", "" -> Type.FILESYSTEM;
          case "s3", "minio" -> Type.S3;
          default ->
              throw new IllegalArgumentException(CONFIG_PATH + ".type must be filesystem or s3, not " + typeName);
        };
    String root = config.getString("filesystem.root").strip();
    Path filesystemRoot;
    if (!root.isEmpty()) {
      filesystemRoot = Path.of(root);
    } else if (dataDir != null && !dataDir.isBlank()) {
      filesystemRoot = Path.of(dataDir.strip(), "objects");
    } else {
      filesystemRoot = Path.of("data", "objects");
    }
    Config s3 = config.getConfig("s3");
    String endpoint = s3.getString("endpoint").strip();
    return new ObjectStoreSettings(
        type,
        filesystemRoot,
        new S3(
            endpoint.isEmpty() ? null : URI.create(endpoint),
            s3.getString("region").strip(),
            s3.getString("bucket").strip(),
            s3.getString("access-key"),
            s3.getString("secret-key"),
            s3.getBoolean("path-style"),
            s3.getBytes("part-size"),
            s3.getDuration("request-timeout"),
            s3.getInt("max-attempts")),
        CONFIG_PATH + ".blocking-dispatcher");
  }
}
