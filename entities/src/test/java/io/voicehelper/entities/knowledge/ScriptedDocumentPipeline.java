package io.voicehelper.entities.knowledge;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link DocumentPipeline} whose steps finish when the test says so. Every call is recorded; calls of the steps
 * marked {@link #autoSucceed} succeed at once, the others wait for the test to take them with {@link #next} and
 * complete or fail them.
 */
public final class ScriptedDocumentPipeline implements DocumentPipeline {

  public enum Step { INDEX, PUBLISH, UNPUBLISH, PURGE_CHUNKS, PURGE_VERSION, PURGE_DOCUMENT }

  /** One call of a step. {@code version} is 0 for the document-wide steps. */
  public static final class Call implements Run {
    public final Step step;
    public final DocumentRef document;
    public final int version;
    public final String objectKey;
    private final Progress progress;
    private final CompletableFuture<Indexed> result = new CompletableFuture<>();
    private final AtomicBoolean cancelled = new AtomicBoolean();

    Call(Step step, DocumentRef document, int version, String objectKey, Progress progress) {
      this.step = step;
      this.document = document;
      this.version = version;
      this.objectKey = objectKey;
      this.progress = progress;
    }

    public Call progress(int done, int total) {
      progress.report(done, total);
      return this;
    }

    /** Ends an indexing call with what it found. */
    public void indexed(String contentType, int chunks) {
      result.complete(new Indexed(contentType, chunks, chunks * 100L));
    }

    /** Ends any other step successfully. */
    public void succeed() {
      result.complete(null);
    }

    public void fail(String reason) {
      result.completeExceptionally(new Failed(reason));
    }

    public boolean cancelled() {
      return cancelled.get();
    }

    @Override
    public CompletionStage<Indexed> result() {
      return result;
    }

    @Override
    public void cancel() {
      cancelled.set(true);
      result.completeExceptionally(new Failed("cancelled"));
    }

    @Override
    public String toString() {
      return step + "(v" + version + ")";
    }
  }

  private final Set<Step> automatic = EnumSet.noneOf(Step.class);
  private final List<Call> waiting = new ArrayList<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();

  /** Calls of these steps succeed at once (indexing with one chunk of text/plain). */
  public ScriptedDocumentPipeline autoSucceed(Step... steps) {
    synchronized (automatic) {
      automatic.addAll(List.of(steps));
    }
    return this;
  }

  /** From now on, calls of these steps wait for the test again. */
  public ScriptedDocumentPipeline manual(Step... steps) {
    synchronized (automatic) {
      automatic.removeAll(List.of(steps));
    }
    return this;
  }

  /** The oldest call of {@code step} and {@code version} that waits for the test, waiting at most {@code within}. */
  public Call next(Step step, int version, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    synchronized (waiting) {
      while (true) {
        for (Call call : waiting) {
          if (call.step == step && call.version == version) {
            waiting.remove(call);
            return call;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new AssertionError("no " + step + "(v" + version + ") call within " + within
            + "; calls: " + calls);
        try {
          TimeUnit.NANOSECONDS.timedWait(waiting, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
  }

  /** Every indexing job asked for, oldest first. */
  public final List<Job> jobs = new CopyOnWriteArrayList<>();

  /** The calls waiting for the test. */
  public List<Call> waiting() {
    synchronized (waiting) {
      return List.copyOf(waiting);
    }
  }

  /** Every call so far of {@code step}, oldest first. */
  public List<Call> calls(Step step) {
    List<Call> matching = new ArrayList<>();
    for (Call c : calls) if (c.step == step) matching.add(c);
    return matching;
  }

  private Call record(Step step, DocumentRef document, int version, String objectKey, Progress progress) {
    Call call = new Call(step, document, version, objectKey, progress);
    calls.add(call);
    boolean auto;
    synchronized (automatic) {
      auto = automatic.contains(step);
    }
    if (!auto) {
      synchronized (waiting) {
        waiting.add(call);
        waiting.notifyAll();
      }
    } else if (step == Step.INDEX) {
      call.indexed("text/plain", 1);
    } else {
      call.succeed();
    }
    return call;
  }

  private static CompletionStage<Void> done(Call call) {
    return call.result().thenApply(i -> (Void) null);
  }

  @Override
  public Run index(Job job, Progress progress) {
    jobs.add(job);
    return record(Step.INDEX, job.document(), job.version(), job.objectKey(), progress);
  }

  @Override
  public CompletionStage<Void> publish(DocumentRef document, int version) {
    return done(record(Step.PUBLISH, document, version, null, null));
  }

  @Override
  public CompletionStage<Void> unpublish(DocumentRef document) {
    return done(record(Step.UNPUBLISH, document, 0, null, null));
  }

  @Override
  public CompletionStage<Void> purgeChunks(DocumentRef document, int version) {
    return done(record(Step.PURGE_CHUNKS, document, version, null, null));
  }

  @Override
  public CompletionStage<Void> purgeVersion(DocumentRef document, int version, String objectKey) {
    return done(record(Step.PURGE_VERSION, document, version, objectKey, null));
  }

  @Override
  public CompletionStage<Void> purgeDocument(DocumentRef document) {
    return done(record(Step.PURGE_DOCUMENT, document, 0, null, null));
  }
}
