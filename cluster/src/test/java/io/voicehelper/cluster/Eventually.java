package io.voicehelper.cluster;

import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** Retries a request until the node answers 2xx: a node just started is still joining its cluster. */
final class Eventually {

  private static final ActorTestKit probes = ActorTestKit.create("eventually");

  private Eventually() {}

  static NodeTestSupport.Response ok(Callable<NodeTestSupport.Response> request) {
    return probes.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(500), () -> {
      NodeTestSupport.Response response = request.call();
      if (response.status() / 100 != 2) {
        throw new AssertionError("HTTP " + response.status() + ": " + response.raw().body());
      }
      return response;
    });
  }
}
