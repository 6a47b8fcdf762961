package io.voicehelper.edge.http.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.voicehelper.edge.http.logging.PiiMasking;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request on the logger {@code voicehelper.access}: request id, tenant, user, method, route,
 * status, latency and bytes, with personal data in the request id, path and query masked. Streamed responses (SSE) are logged
 * when the stream ends, with the bytes actually sent.
 */
public final class AccessLog {

  private static final Logger log = LoggerFactory.getLogger("voicehelper.access");
  private static final Json JSON = new Json(8, 1 << 16);

  /** Who a request acted for; filled in by the authentication of the routes inside. */
  public static final class Subject {
    volatile String tenant;
    volatile String user;
  }

  public static final AttributeKey<Subject> SUBJECT = AttributeKey.create("voicehelper-access-subject", Subject.class);

  private AccessLog() {}

  /** Records who the request acts for, for the access log of {@link #log}. */
  public static void identify(HttpRequest request, String tenant, String user) {
    request.getAttribute(SUBJECT).ifPresent(subject -> {
      subject.tenant = tenant;
      subject.user = user;
    });
  }

  /** Logs every request that passes through {@code inner}. */
  public static Route log(Supplier<Route> inner) {
    return Directives.extractRequest(request -> {
      long start = System.nanoTime();
      Subject subject = new Subject();
      return Directives.mapRequest(r -> r.addAttribute(SUBJECT, subject), () ->
          Directives.extractClientIP(client ->
              Directives.mapResponse(response -> logged(request, response, subject, client.toString(), start),
                  inner)));
    });
  }

  private static HttpResponse logged(
      HttpRequest request, HttpResponse response, Subject subject, String client, long start) {
    // The id is assigned inside (ProblemHandling.seal) and echoed on the response.
    String requestId = response.getHeader(ProblemHandling.REQUEST_ID).map(h -> h.value()).orElse("-");
    HttpEntity entity = response.entity();
    if (entity.isKnownEmpty() || entity.getContentLengthOption().isPresent() && !entity.isChunked()) {
      long bytes = entity.getContentLengthOption().orElse(0L);
      write(request, requestId, response.status().intValue(), subject, client, start, bytes, true);
      return response;
    }
    AtomicLong bytes = new AtomicLong();
    // A stream (SSE): count what is actually sent and log when it ends, however it ends.
    ResponseEntity counted = HttpEntities.create(entity.getContentType(), entity.getDataBytes()
        .map(chunk -> { bytes.addAndGet(chunk.size()); return chunk; })
        .watchTermination((mat, done) -> {
          done.whenComplete((d, failure) ->
              write(request, requestId, response.status().intValue(), subject, client, start, bytes.get(),
                  failure == null));
          return mat;
        }));
    return response.withEntity(counted);
  }

  private static void write(HttpRequest request, String requestId, int status, Subject subject, String client,
      long start, long bytes, boolean complete) {
    if (!log.isInfoEnabled()) return;
    ObjectNode line = JSON.mapper().createObjectNode();
    // Masked field by field (a client may send its own request id), and marked so that the layout skips the line.
    line.put("requestId", PiiMasking.mask(requestId));
    line.put("tenant", subject.tenant);
    line.put("user", subject.user);
    line.put("method", request.method().value());
    line.put("route", PiiMasking.mask(request.getUri().path()));
    request.getUri().rawQueryString().ifPresent(q -> line.put("query", PiiMasking.mask(q)));
    line.put("status", status);
    // Milliseconds with microsecond resolution: most API calls take about one millisecond.
    line.put("latencyMs", Math.round((System.nanoTime() - start) / 1_000.0) / 1_000.0);
    line.put("bytes", bytes);
    line.put("client", client);
    if (!complete) line.put("aborted", true);
    log.info(PiiMasking.MASKED, JSON.write(line));
  }
}
