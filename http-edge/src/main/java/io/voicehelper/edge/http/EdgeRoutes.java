package io.voicehelper.edge.http;

import io.voicehelper.edge.http.internal.ProblemHandling;
import java.util.Arrays;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/** Assembles the routes a node serves into the one route that {@link HttpServer} binds. */
public final class EdgeRoutes {

  private EdgeRoutes() {}

  /**
   * Tries {@code routes} in order and seals the result: every request gets an {@code X-Request-Id}, and every
   * failure and rejection (unknown path 404, wrong method 405 with {@code Allow}, ...) is answered as RFC 9457
   * {@code application/problem+json}. Server errors are logged with the request id.
   */
  public static Route seal(Route first, Route... more) {
    Route all = more.length == 0 ? first : Directives.concat(first, Arrays.copyOf(more, more.length));
    return ProblemHandling.seal(all);
  }
}
