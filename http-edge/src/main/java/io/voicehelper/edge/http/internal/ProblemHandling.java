package io.voicehelper.edge.http.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedHeaderRejection;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MissingHeaderRejection;
import org.apache.pekko.http.javadsl.server.MissingQueryParamRejection;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.RequestEntityExpectedRejection;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnacceptedResponseContentTypeRejection;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure and rejection into an RFC 9457 {@code application/problem+json} response: the standard members
 * {@code type}, {@code title}, {@code status}, {@code detail}, {@code instance} (the request path), the request id,
 * and extension members where a client can act on them. Unexpected failures answer 500 with a generic detail and are
 * logged with the request id; no stack trace or class name ever reaches a client.
 */
public final class ProblemHandling {

  private static final Logger log = LoggerFactory.getLogger(ProblemHandling.class);

  public static final String REQUEST_ID = "X-Request-Id";
  public static final ContentType.WithFixedCharset PROBLEM_JSON =
      ContentTypes.create(MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));

  private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final Json JSON = new Json(64, 1 << 20);
  private static final Duration UNAVAILABLE_RETRY_AFTER = Duration.ofSeconds(1);

  private static final ExceptionHandler EXCEPTIONS =
      ExceptionHandler.newBuilder()
          .matchAny(failure -> Directives.extractRequest(request -> Directives.complete(respond(failure, request))))
          .build();

  private static final RejectionHandler REJECTIONS =
      RejectionHandler.newBuilder()
          .handleAll(MethodRejection.class, ProblemHandling::methodNotAllowed)
          .handle(UnsupportedRequestContentTypeRejection.class,
              r -> problem(ProblemException.unsupportedMediaType(null)))
          .handle(MalformedQueryParamRejection.class, r -> problem(ProblemException.badRequest(
              "malformed-query-parameter", "Query parameter '" + r.parameterName() + "' is malformed.")))
          .handle(MissingQueryParamRejection.class, r -> problem(ProblemException.badRequest(
              "missing-query-parameter", "Query parameter '" + r.parameterName() + "' is required.")))
          .handle(MalformedHeaderRejection.class, r -> problem(ProblemException.badRequest(
              "malformed-header", "Header '" + r.headerName() + "' is malformed.")))
          .handle(MissingHeaderRejection.class, r -> problem(ProblemException.badRequest(
              "missing-header", "Header '" + r.headerName() + "' is required.")))
          .handle(RequestEntityExpectedRejection.class, r -> problem(ProblemException.badRequest(
              "missing-body", "This request needs a body.")))
          .handle(MalformedRequestContentRejection.class, r -> problem(ProblemException.badRequest(
              "malformed-body", "The request body is malformed.")))
          .handle(UnacceptedResponseContentTypeRejection.class, r -> problem(ProblemException.plain(
              406, "Not Acceptable", "This resource cannot be represented in a type the Accept header allows.")))
          .handleNotFound(problem(ProblemException.plain(404, "Not Found", "There is nothing at this path.")))
          .handle(Rejection.class, r -> problem(ProblemException.plain(400, "Bad Request", "The request was refused.")))
          .build();

  private ProblemHandling() {}

  /**
   * Wraps the edge's routes: gives each request an id ({@code X-Request-Id}, taken from the client when it is a
   * plausible one), echoes it on the response, and answers every failure and rejection as a problem.
   */
  public static Route seal(Route inner) {
    return Directives.extractRequest(request -> {
      String requestId = requestId(request);
      HttpHeader header = RawHeader.create(REQUEST_ID, requestId);
      return Directives.mapRequest(r -> r.removeHeader(REQUEST_ID).addHeader(header), () ->
          Directives.respondWithHeader(header, () ->
              Directives.handleExceptions(EXCEPTIONS, () ->
                  Directives.handleRejections(REJECTIONS, () -> inner))));
    });
  }

  /** Answers failures inside a group of routes, leaving rejections to the enclosing {@link #seal}. */
  public static Route handleFailures(Route inner) {
    return Directives.handleExceptions(EXCEPTIONS, () -> inner);
  }

  public static ExceptionHandler exceptionHandler() {
    return EXCEPTIONS;
  }

  public static RejectionHandler rejectionHandler() {
    return REJECTIONS;
  }

  /** The problem response for a failure of the request. */
  public static HttpResponse respond(Throwable failure, HttpRequest request) {
    return render(toProblem(failure, request), request);
  }

  /** The response for a problem (status, headers, problem+json body). */
  public static HttpResponse render(ProblemException problem, HttpRequest request) {
    ObjectNode body = JSON.mapper().createObjectNode();
    body.put("type", problem.type());
    body.put("title", problem.title());
    body.put("status", problem.status());
    body.put("detail", problem.detail());
    body.put("instance", request.getUri().path());
    for (Map.Entry<String, Object> member : problem.extensions().entrySet()) {
      body.set(member.getKey(), JSON.mapper().valueToTree(member.getValue()));
    }
    request.getHeader(REQUEST_ID).ifPresent(h -> body.put("requestId", h.value()));
    return HttpResponse.create()
        .withStatus(StatusCodes.get(problem.status()))
        .addHeaders(problem.headers())
        .withEntity(HttpEntities.create(PROBLEM_JSON, ByteString.fromString(JSON.write(body))));
  }

  /** Unwraps the wrappers futures add around a failure. */
  public static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static ProblemException toProblem(Throwable failure, HttpRequest request) {
    Throwable cause = unwrap(failure);
    if (cause instanceof ProblemException problem) {
      if (problem.status() >= 500) {
        log.warn("{} {} [{}] answered {}: {}", request.method().value(), request.getUri().path(),
            requestIdOf(request), problem.status(), problem.detail());
      }
      return problem;
    }
    if (cause instanceof TimeoutException) {
      log.warn("{} {} [{}] timed out: {}", request.method().value(), request.getUri().path(), requestIdOf(request),
          cause.getMessage());
      return ProblemException.serviceUnavailable(
          "The service did not answer in time. Retry the request.", UNAVAILABLE_RETRY_AFTER);
    }
    log.error("{} {} [{}] failed", request.method().value(), request.getUri().path(), requestIdOf(request), cause);
    return ProblemException.plain(500, "Internal Server Error",
        "The request failed unexpectedly. Quote request id " + requestIdOf(request) + " when reporting it.");
  }

  private static Route methodNotAllowed(List<MethodRejection> rejections) {
    Set<HttpMethod> allowed = new LinkedHashSet<>();
    for (MethodRejection r : rejections) allowed.add(r.supported());
    List<String> names = new ArrayList<>();
    for (HttpMethod m : allowed) names.add(m.value());
    return problem(ProblemException.plain(405, "Method Not Allowed",
            "This resource supports " + String.join(", ", names) + ".")
        .withHeader(Allow.create(allowed.toArray(new HttpMethod[0]))));
  }

  private static Route problem(ProblemException problem) {
    return Directives.extractRequest(request -> Directives.complete(render(problem, request)));
  }

  private static String requestId(HttpRequest request) {
    Optional<HttpHeader> given = request.getHeader(REQUEST_ID);
    if (given.isPresent() && CLIENT_REQUEST_ID.matcher(given.get().value()).matches()) return given.get().value();
    return UUID.randomUUID().toString();
  }

  private static String requestIdOf(HttpRequest request) {
    return request.getHeader(REQUEST_ID).map(HttpHeader::value).orElse("-");
  }
}
