package io.voicehelper.streams.knowledge.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ObjectStoreSettingsTest {

  private static Config config(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  @Test
  void defaultsToFilesUnderTheDataDirectoryWhenTheNodeHasOne() {
    assertEquals(Path.of("/var/lib/vh/objects"),
        ObjectStoreSettings.fromRootConfig(config("voicehelper.data-dir = \"/var/lib/vh\"")).filesystemRoot());
    ObjectStoreSettings bare = ObjectStoreSettings.fromRootConfig(config(""));
    assertEquals(ObjectStoreSettings.Type.FILESYSTEM, bare.type());
    assertEquals(Path.of("data", "objects"), bare.filesystemRoot());
    assertEquals(8L * 1024 * 1024, bare.s3().partSize());
  }

  @Test
  void readsS3AndMasksTheSecret() {
    ObjectStoreSettings settings = ObjectStoreSettings.fromRootConfig(config(
        "voicehelper.knowledge.object-store { type = s3, s3 { endpoint = \"http://minio:9000\", bucket = kb,"
            + " access-key = minio, secret-key = s3cr3t, part-size = 16MiB } }"));
    assertEquals(ObjectStoreSettings.Type.S3, settings.type());
    assertEquals(URI.create("http://minio:9000"), settings.s3().endpoint());
    assertEquals(16L * 1024 * 1024, settings.s3().partSize());
    assertFalse(settings.toString().contains("s3cr3t"));
  }

  @Test
  void refusesPartsSmallerThanS3Allows() {
    assertThrows(IllegalArgumentException.class, () -> ObjectStoreSettings.fromRootConfig(
        config("voicehelper.knowledge.object-store.s3.part-size = 1MiB")));
    assertThrows(IllegalArgumentException.class, () -> ObjectStoreSettings.fromRootConfig(
        config("voicehelper.knowledge.object-store.type = ftp")));
  }
}
