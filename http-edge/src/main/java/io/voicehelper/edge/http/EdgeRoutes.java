package io.voicehelper.edge.http;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.voicehelper.edge.http.internal.AccessLog;
import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.edge.http.internal.ProblemHandling;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.cors.javadsl.CorsDirectives;
import org.apache.pekko.http.cors.javadsl.CorsRejection;
import org.apache.pekko.http.cors.javadsl.settings.CorsSettings;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;

/** Assembles the routes a node serves into the one route that {@link HttpServer} binds. */
public final class EdgeRoutes {

  private static final RejectionHandler CORS_REJECTIONS =
      RejectionHandler.newBuilder()
          .handle(CorsRejection.class, r -> Directives.extractRequest(request -> Directives.complete(
              ProblemHandling.render(ProblemException.of(403, "cors-rejected", "Cross-origin request refused",
                  "This origin, method or header is not allowed to call the API."), request))))
          .build();

  private EdgeRoutes() {}

  /** As {@link #seal(EdgeSecurity, Route, Route...)} with CORS off and the access log on. */
  public static Route seal(Route first, Route... more) {
    return seal(EdgeSecurity.defaults(), first, more);
  }

  /**
   * Tries {@code routes} in order and seals the result: every request gets an {@code X-Request-Id}, a line in the
   * access log, the security headers and, when configured, CORS; every failure and rejection (unknown path 404,
   * wrong method 405 with {@code Allow}, a request that times out 503, ...) is answered as RFC 9457
   * {@code application/problem+json}. Server errors are logged with the request id.
   */
  public static Route seal(EdgeSecurity security, Route first, Route... more) {
    Route all = more.length == 0 ? first : Directives.concat(first, Arrays.copyOf(more, more.length));
    List<HttpHeader> headers = securityHeaders(security);
    Optional<CorsSettings> cors = corsSettings(security);
    Route sealed = Directives.respondWithDefaultHeaders(headers, () -> ProblemHandling.seal(
        Directives.withRequestTimeoutResponse(
            request -> ProblemHandling.render(ProblemException.serviceUnavailable(
                "The request took too long and was stopped. Retry it.", Duration.ofSeconds(1)), request),
            () -> cors.isEmpty() ? all
                : Directives.handleRejections(CORS_REJECTIONS, () -> CorsDirectives.cors(cors.get(), () -> all)))));
    return security.accessLog() ? AccessLog.log(() -> sealed) : sealed;
  }

  private static Optional<CorsSettings> corsSettings(EdgeSecurity security) {
    if (security.corsAllowedOrigins().isEmpty()) return Optional.empty();
    return Optional.of(CorsSettings.create(ConfigFactory.parseString("""
            pekko.http.cors {
              allow-generic-http-requests = yes
              allow-credentials = no
              allowed-headers = ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID", "X-API-Key",
                                 "X-Request-Id"]
              allowed-methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
              exposed-headers = ["X-Request-Id", "X-Message-Id", "X-Reply-Id", "Location", "Retry-After"]
            }""")
        .withValue("pekko.http.cors.allowed-origins", ConfigValueFactory.fromIterable(security.corsAllowedOrigins()))
        .withValue("pekko.http.cors.max-age", ConfigValueFactory.fromAnyRef(security.corsMaxAge().toSeconds() + "s"))
        .withFallback(ConfigFactory.defaultReference())));
  }

  private static List<HttpHeader> securityHeaders(EdgeSecurity security) {
    List<HttpHeader> headers = new ArrayList<>(List.of(
        RawHeader.create("X-Content-Type-Options", "nosniff"),
        RawHeader.create("X-Frame-Options", "DENY"),
        RawHeader.create("Referrer-Policy", "no-referrer"),
        RawHeader.create("Cross-Origin-Opener-Policy", "same-origin"),
        RawHeader.create("Permissions-Policy", "camera=(), geolocation=(), microphone=(self)")));
    if (security.hsts()) {
      headers.add(RawHeader.create("Strict-Transport-Security", "max-age=31536000; includeSubDomains"));
    }
    return headers;
  }
}
