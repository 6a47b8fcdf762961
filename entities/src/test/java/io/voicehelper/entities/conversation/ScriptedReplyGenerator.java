package io.voicehelper.entities.conversation;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;

/**
 * A {@link ReplyGenerator} for tests. In <em>automatic</em> mode every request is answered at once by a function of
 * the request; in <em>manual</em> mode the test takes each request with {@link #nextCall(Duration)} and drives its
 * tokens, end and failure itself.
 */
public final class ScriptedReplyGenerator implements ReplyGenerator {

  /** One generation the test drives. */
  public static final class Call {
    private final Request request;
    private final SourceQueueWithComplete<Output> queue;

    Call(Request request, SourceQueueWithComplete<Output> queue) {
      this.request = request;
      this.queue = queue;
    }

    public Request request() {
      return request;
    }

    public Call token(String text) {
      queue.offer(new Token(text));
      return this;
    }

    public Call ground(Grounding grounding) {
      queue.offer(grounding);
      return this;
    }

    public void finish(String model, int inputTokens, int outputTokens) {
      queue.offer(new Finished(model, inputTokens, outputTokens));
      queue.complete();
    }

    public void fail(Throwable cause) {
      queue.fail(cause);
    }

    /** Completes when the entity cancelled the generation (for example because every client left). */
    public java.util.concurrent.CompletionStage<org.apache.pekko.Done> cancelled() {
      return queue.watchCompletion();
    }
  }

  private final Function<Request, List<String>> automatic;
  private final BlockingQueue<Call> calls = new LinkedBlockingQueue<>();
  private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();

  private ScriptedReplyGenerator(Function<Request, List<String>> automatic) {
    this.automatic = automatic;
  }

  /** Answers every request at once with the tokens the function returns, then finishes as model "scripted". */
  public static ScriptedReplyGenerator automatic(Function<Request, List<String>> tokens) {
    return new ScriptedReplyGenerator(tokens);
  }

  /** Answers "Echo: " and the last user message, word by word. */
  public static ScriptedReplyGenerator echo() {
    return automatic(
        request -> {
          String last = request.context().get(request.context().size() - 1).content();
          List<String> tokens = new java.util.ArrayList<>();
          tokens.add("Echo:");
          for (String word : last.split(" ")) tokens.add(" " + word);
          return tokens;
        });
  }

  /** Every request waits for the test to drive it through {@link #nextCall(Duration)}. */
  public static ScriptedReplyGenerator manual() {
    return new ScriptedReplyGenerator(null);
  }

  @Override
  public Source<Output, NotUsed> generate(Request request) {
    requests.add(request);
    if (automatic != null) {
      List<String> tokens = automatic.apply(request);
      int outputTokens = tokens.size();
      return Source.from(tokens)
          .<Output>map(Token::new)
          .concat(Source.single(new Finished("scripted", 10, outputTokens)));
    }
    return Source.<Output>queue(1024, OverflowStrategy.fail())
        .mapMaterializedValue(
            queue -> {
              calls.add(new Call(request, queue));
              return NotUsed.getInstance();
            });
  }

  /** The next generation started in manual mode, waiting at most {@code timeout}. */
  public Call nextCall(Duration timeout) {
    try {
      Call call = calls.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (call == null) throw new AssertionError("no generation started within " + timeout);
      return call;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next request the generator received (either mode), waiting at most {@code timeout}. */
  public Request nextRequest(Duration timeout) {
    try {
      Request request = requests.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (request == null) throw new AssertionError("no generation requested within " + timeout);
      return request;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
