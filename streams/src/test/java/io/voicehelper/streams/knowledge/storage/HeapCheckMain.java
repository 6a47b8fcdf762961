package io.voicehelper.streams.knowledge.storage;

import io.voicehelper.entities.knowledge.ObjectStore;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Run in a child JVM with a small heap by {@link FileSystemObjectStoreTest}: stores {@code megabytes} MiB of freshly
 * allocated 64 KiB pieces and prints {@code OK <size> <sha256> <peak heap bytes>} when the store computed the right
 * size and digest. Mode {@code retain} keeps every piece instead (a store that buffered the upload), which must fail
 * with an OutOfMemoryError: it proves the heap limit bites.
 */
public final class HeapCheckMain {

  private static final int PIECE = 64 * 1024;

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Path root = Path.of(args[1]);
    long pieces = Long.parseLong(args[2]) * 1024 * 1024 / PIECE;
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "heap-check");
    int exit = 1;
    try {
      MessageDigest expected = MessageDigest.getInstance("SHA-256");
      SplittableRandom random = new SplittableRandom(42);
      Source<ByteString, ?> data = Source.range(1, (int) pieces).map(i -> {
        byte[] bytes = new byte[PIECE];
        for (int j = 0; j < PIECE; j += 8) {
          long value = random.nextLong();
          for (int k = 0; k < 8; k++) bytes[j + k] = (byte) (value >>> (8 * k));
        }
        expected.update(bytes);
        return ByteString.fromArrayUnsafe(bytes);
      });
      if (mode.equals("retain")) {
        data.runWith(Sink.seq(), system).toCompletableFuture().get(5, TimeUnit.MINUTES);
        System.out.println("RETAINED");
      } else {
        ObjectStore store = new FileSystemObjectStore(root, system, ObjectStoreSettings.CONFIG_PATH
            + ".blocking-dispatcher");
        ObjectStore.Stored stored = data.runWith(store.put("big/object", Long.MAX_VALUE), system)
            .toCompletableFuture().get(5, TimeUnit.MINUTES);
        String sha = HexFormat.of().formatHex(expected.digest());
        long onDisk = Files.size(root.resolve("big/object"));
        if (stored.sha256().equals(sha) && stored.size() == pieces * PIECE && onDisk == stored.size()) {
          System.out.println("OK " + stored.size() + " " + stored.sha256() + " " + peakHeap());
          exit = 0;
        } else {
          System.out.println("WRONG " + stored + " expected " + sha + " on disk " + onDisk);
        }
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    System.exit(exit);
  }

  private static long peakHeap() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
    }
    return peak;
  }
}
