package io.voicehelper.streams.knowledge.storage;

import io.voicehelper.entities.knowledge.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Keeps objects as files under a root directory, the key's segments being its directories. An object is written to a
 * hidden temporary file beside its target, forced to disk and renamed over the target, so a reader sees the old
 * object or the new one, never a part; a failed or too large upload deletes its temporary file. Every blocking file
 * call runs on the given dispatcher.
 */
public final class FileSystemObjectStore implements ObjectStore {

  /** Bytes gathered while a write is in progress, so that small elements make few system calls. */
  private static final int WRITE_BATCH_BYTES = 1024 * 1024;

  private final Path root;
  private final Executor blocking;
  private final Attributes blockingAttributes;

  /**
   * @param root the directory of the objects (created on the first write)
   * @param blockingDispatcher config path of the dispatcher for blocking file calls
   */
  public FileSystemObjectStore(Path root, ActorSystem<?> system, String blockingDispatcher) {
    this.root = root.toAbsolutePath().normalize();
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(blockingDispatcher));
    this.blockingAttributes = ActorAttributes.dispatcher(blockingDispatcher);
  }

  /** The root directory. */
  public Path root() {
    return root;
  }

  @Override
  public Sink<ByteString, CompletionStage<Stored>> put(String key, long maxBytes) {
    Path target;
    try {
      target = pathOf(ObjectKeys.requireKey(key));
    } catch (IllegalArgumentException e) {
      return Sink.<ByteString>cancelled().mapMaterializedValue(n -> CompletableFuture.failedFuture(e));
    }
    return Sink.<ByteString, CompletionStage<Stored>>fromMaterializer((materializer, attributes) -> {
          ContentDigest digest = new ContentDigest(maxBytes);
          TemporaryFile file = new TemporaryFile(target);
          return Flow.of(ByteString.class)
              .map(digest::accept)
              .batchWeighted(WRITE_BATCH_BYTES, bytes -> (long) bytes.size(), bytes -> bytes, ByteString::concat)
              .mapAsync(1, file::write)
              .toMat(Sink.ignore(), Keep.right())
              .mapMaterializedValue(done -> done
                  .handle((ok, error) -> error == null
                      ? file.commit().thenApply(moved -> digest.stored())
                      : file.discard().thenCompose(discarded -> CompletableFuture.<Stored>failedFuture(error)))
                  .thenCompose(Function.identity()));
        })
        .mapMaterializedValue(stage -> stage.thenCompose(Function.identity()));
  }

  @Override
  public Source<ByteString, ?> get(String key) {
    try {
      return FileIO.fromPath(pathOf(ObjectKeys.requireKey(key))).withAttributes(blockingAttributes);
    } catch (IllegalArgumentException e) {
      return Source.failed(e);
    }
  }

  @Override
  public CompletionStage<Void> delete(String key) {
    return onBlocking(() -> {
      Files.deleteIfExists(pathOf(ObjectKeys.requireKey(key)));
    });
  }

  @Override
  public CompletionStage<Void> deletePrefix(String prefix) {
    return onBlocking(() -> {
      ObjectKeys.requirePrefix(prefix);
      int slash = prefix.lastIndexOf('/');
      Path directory = slash < 0 ? root : pathOf(prefix.substring(0, slash));
      String start = prefix.substring(slash + 1);
      if (!Files.isDirectory(directory)) return;
      if (start.isEmpty()) {
        deleteTree(directory);
        return;
      }
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
        for (Path entry : entries) {
          if (entry.getFileName().toString().startsWith(start)) deleteTree(entry);
        }
      } catch (NoSuchFileException gone) {
        // deleted concurrently: nothing left to do
      }
    });
  }

  private Path pathOf(String key) {
    Path path = root.resolve(key).normalize();
    if (!path.startsWith(root) || path.equals(root)) throw new IllegalArgumentException("object key escapes the root");
    return path;
  }

  private static void deleteTree(Path top) throws IOException {
    try {
      Files.walkFileTree(top, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path directory, IOException error) throws IOException {
          if (error != null && !(error instanceof NoSuchFileException)) throw error;
          Files.deleteIfExists(directory);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (NoSuchFileException gone) {
      // deleted concurrently
    }
  }

  private interface IoAction {
    void run() throws IOException;
  }

  private CompletionStage<Void> onBlocking(IoAction action) {
    return CompletableFuture.runAsync(() -> {
      try {
        action.run();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, blocking).exceptionallyCompose(FileSystemObjectStore::unwrap);
  }

  private static <T> CompletionStage<T> unwrap(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof UncheckedIOException io) cause = io.getCause();
    return CompletableFuture.failedFuture(cause);
  }

  /**
   * The temporary file of one upload. Its operations run one after another on the blocking dispatcher, each after
   * the previous one has finished (failed or not), so a discard never races a write that is still running.
   */
  private final class TemporaryFile {
    private final Path target;
    private Path temporary;
    private FileChannel channel;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    TemporaryFile(Path target) {
      this.target = target;
    }

    CompletionStage<Void> write(ByteString bytes) {
      return then(() -> {
        open();
        for (ByteBuffer buffer : bytes.getByteBuffers()) {
          while (buffer.hasRemaining()) channel.write(buffer);
        }
      });
    }

    /** Forces the bytes to disk and renames the file over the target; discards it if that fails. */
    CompletionStage<Void> commit() {
      return then(() -> {
        try {
          open();
          channel.force(true);
          channel.close();
          try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
          }
          forceDirectory(target.getParent());
        } catch (IOException | RuntimeException e) {
          deleteQuietly();
          throw e;
        }
      });
    }

    CompletionStage<Void> discard() {
      return then(this::deleteQuietly);
    }

    private void open() throws IOException {
      if (channel != null) return;
      Files.createDirectories(target.getParent());
      temporary = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
      channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    private void deleteQuietly() {
      try {
        if (channel != null) channel.close();
      } catch (IOException ignored) {
        // the file is deleted next
      }
      try {
        if (temporary != null) Files.deleteIfExists(temporary);
      } catch (IOException ignored) {
        // a leftover hidden temporary file is never read as an object
      }
    }

    private synchronized CompletionStage<Void> then(IoAction action) {
      CompletableFuture<Void> next = tail.exceptionally(previous -> null).thenCompose(x -> onBlocking(action)
          .toCompletableFuture());
      tail = next;
      return next;
    }
  }

  /** Makes the rename durable; not every platform can open a directory, which is then left to the OS. */
  private static void forceDirectory(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // best effort
    }
  }
}
