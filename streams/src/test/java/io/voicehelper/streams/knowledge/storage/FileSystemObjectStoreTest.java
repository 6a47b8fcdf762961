package io.voicehelper.streams.knowledge.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.knowledge.ObjectStore;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileSystemObjectStoreTest {

  private static ActorTestKit testKit;

  @TempDir Path root;
  private FileSystemObjectStore store;

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void createStore() {
    store = new FileSystemObjectStore(root, testKit.system(), ObjectStoreSettings.CONFIG_PATH + ".blocking-dispatcher");
  }

  static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** The bytes as a stream of pieces of {@code piece} bytes. */
  static Source<ByteString, ?> pieces(byte[] bytes, int piece) {
    List<ByteString> pieces = new ArrayList<>();
    for (int from = 0; from < bytes.length; from += piece) {
      pieces.add(ByteString.fromArray(bytes, from, Math.min(piece, bytes.length - from)));
    }
    return Source.from(pieces);
  }

  /** Fails when it is reached, with concatLazy (concat pulls it at once; a plain Source.failed fails at start). */
  static Source<ByteString, ?> failingLater(Throwable error) {
    return Source.lazySource(() -> Source.<ByteString>failed(error));
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static Throwable failure(CompletionStage<?> stage) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
    return e.getCause();
  }

  byte[] read(String key) throws Exception {
    return await(store.get(key).runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), testKit.system()))
        .toArray();
  }

  private List<Path> files() throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void storesStreamedBytesAndReportsTheirSizeAndSha256() throws Exception {
    byte[] bytes = randomBytes(3 * 1024 * 1024 + 17, 1);
    ObjectStore.Stored stored =
        await(pieces(bytes, 7000).runWith(store.put("acme/c1/doc-1/v1/产品手册.pdf", 10_000_000), testKit.system()));

    assertEquals(new ObjectStore.Stored(bytes.length, sha256(bytes)), stored);
    assertArrayEquals(bytes, read("acme/c1/doc-1/v1/产品手册.pdf"));
    assertEquals(List.of(root.resolve("acme/c1/doc-1/v1/产品手册.pdf")), files(), "no temporary file is left");
  }

  @Test
  void replacesAnObjectAndStoresEmptyOnes() throws Exception {
    await(pieces(randomBytes(5000, 1), 1000).runWith(store.put("a/b", 10_000), testKit.system()));
    byte[] second = randomBytes(300, 2);
    await(pieces(second, 1000).runWith(store.put("a/b", 10_000), testKit.system()));
    assertArrayEquals(second, read("a/b"));

    ObjectStore.Stored empty = await(Source.<ByteString>empty().runWith(store.put("a/empty", 0), testKit.system()));
    assertEquals(new ObjectStore.Stored(0, sha256(new byte[0])), empty);
    assertEquals(0, read("a/empty").length);
  }

  @Test
  void acceptsExactlyMaxBytesAndRefusesOneMoreLeavingNothing() throws Exception {
    byte[] bytes = randomBytes(4096, 3);
    assertEquals(4096, await(pieces(bytes, 1000).runWith(store.put("a/exact", 4096), testKit.system())).size());

    Throwable error = failure(pieces(randomBytes(4097, 4), 1000).runWith(store.put("a/over", 4096), testKit.system()));
    assertInstanceOf(ObjectStore.TooLarge.class, error);
    assertEquals(List.of(root.resolve("a/exact")), files(), "neither the object nor its temporary file is left");
  }

  @Test
  void aTooLargeOrFailedReplacementLeavesTheOldObjectIntact() throws Exception {
    byte[] original = randomBytes(2000, 5);
    await(pieces(original, 1000).runWith(store.put("a/doc", 2000), testKit.system()));

    assertInstanceOf(ObjectStore.TooLarge.class,
        failure(pieces(randomBytes(3000, 6), 500).runWith(store.put("a/doc", 2000), testKit.system())));
    IllegalStateException broken = new IllegalStateException("client went away");
    Throwable error = failure(pieces(randomBytes(1500, 7), 500).concatLazy(failingLater(broken))
        .runWith(store.put("a/doc", 2000), testKit.system()));

    assertEquals(broken, error);
    assertArrayEquals(original, read("a/doc"));
    assertEquals(List.of(root.resolve("a/doc")), files());
  }

  @ParameterizedTest
  @ValueSource(strings = {"../outside", "a/../../outside", "/etc/passwd", "a//b", "a/./b", ".hidden", "a/.tmp",
      "a\\b", "a b", "a/b?", "a/b:c", "a/", ""})
  void refusesUnsafeKeys(String key) {
    assertInstanceOf(IllegalArgumentException.class,
        failure(Source.single(ByteString.fromString("x")).runWith(store.put(key, 10), testKit.system())));
    assertInstanceOf(IllegalArgumentException.class,
        failure(store.get(key).runWith(Sink.ignore(), testKit.system())));
    assertInstanceOf(IllegalArgumentException.class, failure(store.delete(key)));
    assertFalse(Files.exists(root.getParent().resolve("outside")));
  }

  @Test
  void keysHaveAtMost1024BytesInUtf8() throws Exception {
    String segment = "手".repeat(80); // 240 bytes: a valid segment
    String fits = String.join("/", segment, segment, segment, "手".repeat(60)); // 303 characters, 903 bytes
    await(Source.single(ByteString.fromString("x")).runWith(store.put(fits, 10), testKit.system()));

    String tooLong = fits + "/" + "手".repeat(50); // 354 characters, but 1,054 bytes
    assertInstanceOf(IllegalArgumentException.class,
        failure(Source.single(ByteString.fromString("x")).runWith(store.put(tooLong, 10), testKit.system())));
  }

  @Test
  void getOfAMissingObjectFails() {
    assertInstanceOf(NoSuchFileException.class,
        failure(store.get("a/missing").runWith(Sink.ignore(), testKit.system())));
  }

  @Test
  void deleteAndDeletePrefixRemoveOnlyWhatTheyName() throws Exception {
    for (String key : List.of("acme/c1/doc-1/v1/a.pdf", "acme/c1/doc-1/v2/a.pdf", "acme/c1/doc-10/v1/b.pdf",
        "acme/c2/doc-1/v1/a.pdf", "other/c1/doc-1/v1/a.pdf")) {
      await(Source.single(ByteString.fromString(key)).runWith(store.put(key, 100), testKit.system()));
    }

    await(store.deletePrefix("acme/c1/doc-1/"));
    assertEquals(List.of("acme/c1/doc-10/v1/b.pdf", "acme/c2/doc-1/v1/a.pdf", "other/c1/doc-1/v1/a.pdf"), keys());

    await(store.delete("other/c1/doc-1/v1/a.pdf"));
    await(store.delete("other/c1/doc-1/v1/a.pdf"));
    await(store.deletePrefix("nothing/here/"));
    assertEquals(List.of("acme/c1/doc-10/v1/b.pdf", "acme/c2/doc-1/v1/a.pdf"), keys());

    await(store.deletePrefix("acme/c")); // like S3: a prefix need not end at a segment
    assertEquals(List.of(), keys());
    assertInstanceOf(IllegalArgumentException.class, failure(store.deletePrefix("")));
    assertInstanceOf(IllegalArgumentException.class, failure(store.deletePrefix("../")));
  }

  private List<String> keys() throws IOException {
    return files().stream().map(path -> root.relativize(path).toString().replace(File.separatorChar, '/'))
        .sorted().toList();
  }

  /**
   * Stores 300 MiB in a child JVM whose heap is 64 MiB, so a store that buffered the upload would die. The control
   * run, which keeps the pieces like such a store would, must die of the same limit.
   */
  @Test
  void streamsAFileLargerThanTheHeap() throws Exception {
    Child stored = runChild("store", 300);
    stored.output.lines().filter(line -> line.startsWith("OK ")).forEach(line ->
        System.out.println("child JVM (-Xmx64m) stored 300 MiB; size, SHA-256, peak heap bytes: " + line));
    assertEquals(0, stored.exit, stored.output);
    assertTrue(stored.output.contains("OK " + 300L * 1024 * 1024 + " "), stored.output);

    Child retained = runChild("retain", 300);
    assertNotEquals(0, retained.exit, retained.output);
    assertTrue(retained.output.contains("OutOfMemoryError"), retained.output);
  }

  private record Child(int exit, String output) {}

  private Child runChild(String mode, int megabytes) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path output = Files.createTempFile(root, "child", ".log");
    Process process = new ProcessBuilder(java, "-Xmx64m", "-XX:+UseSerialGC", "-cp", classpath,
        HeapCheckMain.class.getName(), mode, root.resolve("heap").toString(), String.valueOf(megabytes))
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
    if (!process.waitFor(4, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("child JVM did not finish: " + Files.readString(output));
    }
    String text = Files.readString(output, StandardCharsets.UTF_8);
    Files.delete(output);
    return new Child(process.exitValue(), text);
  }
}
