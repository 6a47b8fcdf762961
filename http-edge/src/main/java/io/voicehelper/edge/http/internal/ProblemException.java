package io.voicehelper.edge.http.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;

/**
 * A request that ends in an RFC 9457 problem: thrown (or used to fail a future) anywhere in the routes and rendered
 * as {@code application/problem+json} by {@link ProblemHandling}. Carries no stack trace: it is an answer, not a bug.
 */
public final class ProblemException extends RuntimeException {

  /** Type of problems whose meaning is the HTTP status alone (RFC 9457 section 4.2.1). */
  public static final String ABOUT_BLANK = "about:blank";

  private static final String TYPE_PREFIX = "urn:voicehelper:problem:";

  private final int status;
  private final String type;
  private final String title;
  private final String detail;
  private final Map<String, Object> extensions;
  private final List<HttpHeader> headers;

  private ProblemException(
      int status, String type, String title, String detail, Map<String, Object> extensions,
      List<HttpHeader> headers) {
    super(title + ": " + detail, null, false, false);
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = detail;
    this.extensions = extensions;
    this.headers = headers;
  }

  /** A problem of a VoiceHelper-specific {@code type} ({@code urn:voicehelper:problem:<slug>}). */
  public static ProblemException of(int status, String slug, String title, String detail) {
    return new ProblemException(status, TYPE_PREFIX + slug, title, detail, Map.of(), List.of());
  }

  /** A problem that the status code fully describes; the title is the status's reason phrase. */
  public static ProblemException plain(int status, String title, String detail) {
    return new ProblemException(status, ABOUT_BLANK, title, detail, Map.of(), List.of());
  }

  public static ProblemException badRequest(String slug, String detail) {
    return of(400, slug, "Invalid request", detail);
  }

  public static ProblemException notFound(String what, String id) {
    String title = Character.toUpperCase(what.charAt(0)) + what.substring(1) + " not found";
    return of(404, what + "-not-found", title, "There is no " + what + " with id '" + id + "'.")
        .with("resource", what);
  }

  public static ProblemException payloadTooLarge(long maxBytes) {
    return plain(413, "Content Too Large", "The request body is larger than " + maxBytes + " bytes.")
        .with("maxBytes", maxBytes);
  }

  public static ProblemException unsupportedMediaType(String got) {
    return plain(415, "Unsupported Media Type",
            "The request body must be application/json" + (got == null ? "." : ", not " + got + "."))
        .withHeader(RawHeader.create("Accept-Post", "application/json"));
  }

  public static ProblemException serviceUnavailable(String detail, Duration retryAfter) {
    return plain(503, "Service Unavailable", detail).withRetryAfter(retryAfter);
  }

  public ProblemException with(String member, Object value) {
    Map<String, Object> more = new LinkedHashMap<>(extensions);
    more.put(member, value);
    return new ProblemException(status, type, title, detail, Collections.unmodifiableMap(more), headers);
  }

  public ProblemException withHeader(HttpHeader header) {
    List<HttpHeader> more = new ArrayList<>(headers);
    more.add(header);
    return new ProblemException(status, type, title, detail, extensions, List.copyOf(more));
  }

  public ProblemException withRetryAfter(Duration retryAfter) {
    return withHeader(RetryAfter.create(Math.max(1L, (retryAfter.toMillis() + 999) / 1000)));
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public String title() {
    return title;
  }

  public String detail() {
    return detail;
  }

  /** Extension members of the problem object, in addition to the standard ones. */
  public Map<String, Object> extensions() {
    return extensions;
  }

  /** Response headers that belong to the problem, such as {@code Retry-After}. */
  public List<HttpHeader> headers() {
    return headers;
  }
}
