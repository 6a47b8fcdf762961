package io.voicehelper.streams.voice.engine.internal;

import io.voicehelper.streams.voice.engine.SpeechEngineException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;

/**
 * An external program as a flow: elements in are written to its stdin (closed when upstream completes), its stdout
 * comes out as it is written, and the flow completes when the program exits with 0 or fails with the tail of its
 * stderr otherwise. Cancellation or failure on either side kills the program (and its children), so no process
 * outlives its stream. All pipe I/O runs on the given blocking dispatcher; each run holds up to three of its threads.
 */
public final class ProcessFlow {

  private static final int STDOUT_CHUNK = 4096;
  private static final int STDERR_TAIL = 2000;

  private ProcessFlow() {}

  /**
   * A new process of {@code command} per materialization ({@code name} labels errors). Spawning takes a few
   * milliseconds on the materializing thread; whatever the program loads happens in the program, concurrently.
   */
  public static Flow<ByteString, ByteString, NotUsed> create(
      String name, List<String> command, Executor blocking, String dispatcher) {
    return Flow.<ByteString, ByteString, NotUsed>fromMaterializer((mat, attributes) -> run(name, command, blocking,
            dispatcher))
        .mapMaterializedValue(started -> NotUsed.notUsed());
  }

  private static Flow<ByteString, ByteString, NotUsed> run(
      String name, List<String> command, Executor blocking, String dispatcher) {
    Process process;
    try {
      process = new ProcessBuilder(command).start();
    } catch (IOException | RuntimeException e) {
      return Flow.fromSinkAndSource(Sink.cancelled(), Source.failed(
          new SpeechEngineException(name + " could not start (" + command.get(0) + "): " + e.getMessage(), e)));
    }
    CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> tail(process.getErrorStream()), blocking);
    OutputStream stdin = process.getOutputStream();
    Source<ByteString, NotUsed> stdout = StreamConverters.fromInputStream(process::getInputStream, STDOUT_CHUNK)
        .withAttributes(ActorAttributes.dispatcher(dispatcher))
        .mapMaterializedValue(io -> NotUsed.notUsed())
        .concatLazy(Source.lazyCompletionStage(() -> process.onExit().thenCombine(stderr, (exited, err) -> {
          if (exited.exitValue() != 0) {
            throw new CompletionException(new SpeechEngineException(
                name + " exited with " + exited.exitValue() + (err.isBlank() ? "" : ": " + err.strip())));
          }
          return ByteString.emptyByteString();
        })))
        .filter(bytes -> !bytes.isEmpty());
    return Duplex.flow(chunk -> write(stdin, chunk), () -> close(stdin), stdout, () -> kill(process), blocking);
  }

  /** Writes one chunk; a closed pipe (the program exited or stopped reading) drops it: the exit code tells why. */
  private static void write(OutputStream stdin, ByteString chunk) {
    try {
      stdin.write(chunk.toArrayUnsafe());
      stdin.flush();
    } catch (IOException closed) {
      // the program is gone or done reading: the exit status decides the outcome
    }
  }

  private static void close(OutputStream stdin) {
    try {
      stdin.close();
    } catch (IOException alreadyClosed) {
      // nothing left to flush
    }
  }

  /** The last characters the program wrote to stderr (read to its end so the program never blocks on it). */
  private static String tail(InputStream err) {
    byte[] ring = new byte[STDERR_TAIL];
    byte[] buffer = new byte[4096];
    long total = 0;
    try (err) {
      int n;
      while ((n = err.read(buffer)) > 0) {
        for (int i = 0; i < n; i++) ring[(int) ((total + i) % STDERR_TAIL)] = buffer[i];
        total += n;
      }
    } catch (IOException closed) {
      // killed: what was read is enough
    }
    int length = (int) Math.min(total, STDERR_TAIL);
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) out[i] = ring[(int) ((total - length + i) % STDERR_TAIL)];
    return new String(out, StandardCharsets.UTF_8);
  }

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }
}
