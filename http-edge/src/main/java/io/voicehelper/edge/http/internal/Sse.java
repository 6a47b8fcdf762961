package io.voicehelper.edge.http.internal;

import io.voicehelper.edge.http.EdgeSettings;
import io.voicehelper.entities.conversation.ReplyEvent;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.BackpressureTimeoutException;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-sent events of a reply: the framing ({@code event:}, {@code id:}, {@code data:}) and the flow control of one
 * stream.
 *
 * <p>Flow control, in order: keep-alive comments while the reply is idle; a bounded buffer of
 * {@link EdgeSettings#sseBufferSize()} frames that absorbs bursts; and a slow-consumer timeout: when the client has not
 * taken a frame for {@link EdgeSettings#sseSlowConsumerTimeout()} (TCP is backed up to the buffer), the stream fails,
 * which closes the connection. Upstream of the buffer nothing is held per client (the entity is polled on demand), so
 * a stalled client costs at most its buffer and the socket's buffers; it resumes with {@code Last-Event-ID}.
 * Cancellation (client gone, or the slow-consumer close) travels upstream to the reply's {@code SourceRef}, so the
 * conversation sees its subscriber leave.
 */
public final class Sse {

  private static final Logger log = LoggerFactory.getLogger(Sse.class);

  public static final ContentType.WithFixedCharset EVENT_STREAM = ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM);
  static final ByteString KEEP_ALIVE = ByteString.fromString(": keep-alive\n\n");

  private final Json json;
  private final EdgeSettings settings;

  public Sse(Json json, EdgeSettings settings) {
    this.json = json;
    this.settings = settings;
  }

  /** One SSE event; {@code id} may be null. Every line of {@code data} becomes a {@code data:} line. */
  public static ByteString frame(String event, String id, String data) {
    StringBuilder frame = new StringBuilder(data.length() + 32);
    frame.append("event: ").append(event).append('\n');
    if (id != null) frame.append("id: ").append(id).append('\n');
    for (String line : data.split("\n", -1)) frame.append("data: ").append(line).append('\n');
    frame.append('\n');
    return ByteString.fromString(frame.toString());
  }

  public ByteString accepted(String messageId, String replyId, boolean duplicate) {
    return frame("accepted", null, json.write(new Json.AcceptedData(messageId, replyId, duplicate)));
  }

  public ByteString event(ReplyEvent event) {
    if (event instanceof ReplyEvent.Delta delta) {
      return frame("delta", Long.toString(delta.seq()), json.write(new Json.DeltaData(delta.seq(), delta.text())));
    }
    ReplyEvent.Done done = (ReplyEvent.Done) event;
    return frame("done", null, json.write(new Json.DoneData(done.messageId(), done.replyId(), done.status(),
        done.reason(), done.model(), new Json.Usage(done.inputTokens(), done.outputTokens()), done.latencyMillis(),
        done.lastSeq(), Json.GroundingItem.of(done.grounding()))));
  }

  /**
   * The response streaming {@code events} (ending with their {@code done}) after the optional {@code first} frame.
   * If the reply's stream breaks (its conversation moved to another node), an {@code error} event tells the client
   * to resume with {@code Last-Event-ID} and the stream ends.
   */
  public HttpResponse response(
      Source<ReplyEvent, NotUsed> events, ByteString first, String replyId, List<HttpHeader> headers) {
    Source<ByteString, NotUsed> frames = events
        .takeWhile(e -> !(e instanceof ReplyEvent.Done), true)
        .map(this::event)
        .recover(Exception.class, () -> {
          log.info("Stream of reply {} broke off; the client is told to resume", replyId);
          return frame("error", null, json.write(ProblemBody.streamBroken(replyId)));
        });
    if (first != null) frames = Source.single(first).concat(frames);
    Source<ByteString, NotUsed> paced = frames
        .keepAlive(settings.sseKeepAlive(), () -> KEEP_ALIVE)
        .buffer(settings.sseBufferSize(), OverflowStrategy.backpressure())
        .backpressureTimeout(settings.sseSlowConsumerTimeout())
        .watchTermination((mat, done) -> {
          done.whenComplete((ok, failure) -> {
            if (failure instanceof BackpressureTimeoutException) {
              log.info("Closed the SSE stream of reply {}: the client took nothing for {}", replyId,
                  settings.sseSlowConsumerTimeout());
            }
          });
          return mat;
        });
    List<HttpHeader> all = new ArrayList<>(headers);
    all.add(RawHeader.create("Cache-Control", "no-cache"));
    all.add(RawHeader.create("X-Accel-Buffering", "no"));
    return HttpResponse.create()
        .withStatus(StatusCodes.OK)
        .addHeaders(all)
        .withEntity(HttpEntities.createChunked(EVENT_STREAM, paced));
  }

  /** Body of the SSE {@code error} event: a problem object the client can act on. */
  public record ProblemBody(String type, String title, int status, String detail, String replyId) {
    static ProblemBody streamBroken(String replyId) {
      return new ProblemBody("urn:voicehelper:problem:stream-interrupted", "Stream interrupted", 503,
          "The reply stream was interrupted. Resume it with Last-Event-ID set to the last id received.", replyId);
    }
  }
}
