package io.voicehelper.edge.http;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;

/** The HTTP listener of a node: binds the route, unbinds on coordinated shutdown, stops the node if it cannot bind. */
public final class HttpServer {

  private HttpServer() {}

  /**
   * Binds {@code route} to {@code settings.host():settings.port()}. On coordinated shutdown the server stops
   * accepting connections and gives open requests and SSE streams {@link EdgeSettings#terminationDeadline()} to
   * finish. If the port cannot be bound the actor system is terminated, since a node without its edge is useless.
   */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, Route route, EdgeSettings settings) {
    CompletionStage<ServerBinding> binding =
        Http.get(system).newServerAt(settings.host(), settings.port()).bind(route);
    return binding.whenComplete(
        (bound, failure) -> {
          if (bound != null) {
            bound.addToCoordinatedShutdown(settings.terminationDeadline(), system);
            system.log().info("HTTP edge listening on http://{}:{}/",
                bound.localAddress().getHostString(), bound.localAddress().getPort());
          } else {
            system.log().error("HTTP edge could not bind {}:{}, terminating the node",
                settings.host(), settings.port(), failure);
            system.terminate();
          }
        });
  }
}
