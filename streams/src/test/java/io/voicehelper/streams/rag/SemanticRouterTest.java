package io.voicehelper.streams.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.rag.ModeRouter.Mode;
import io.voicehelper.streams.rag.ModeRouter.Route;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SemanticRouterTest {

  private final RagFixtures.AxisEmbedder embedder = new RagFixtures.AxisEmbedder();
  private final SemanticRouter router = new SemanticRouter(embedder, List.of("greetings and small talk"),
      List.of("questions about products and policies"), 0.1);

  private Optional<Route> route(String message) throws Exception {
    return router.route(message).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void theModeWhoseDescriptionIsCloserByTheMarginWins() throws Exception {
    Route talk = route("lovely weather today").orElseThrow();
    assertEquals(Mode.CHAT, talk.mode());
    assertTrue(talk.reason().startsWith("embedding rule: closest to 'greetings and small talk'"), talk.reason());
    assertEquals(Mode.RAG, route("my doorbell keeps ringing").orElseThrow().mode());
  }

  @Test
  void withinTheMarginOrWhenTheModelFailsItDecidesNothing() throws Exception {
    assertTrue(route("doorbell weather").isEmpty());
    embedder.failing = true;
    SemanticRouter fresh = new SemanticRouter(embedder, List.of("small talk"), List.of("products"), 0.1);
    assertTrue(fresh.route("lovely weather").toCompletableFuture().get(5, TimeUnit.SECONDS).isEmpty());
  }

  @Test
  void theDescriptionsAreEmbeddedOnce() throws Exception {
    route("lovely weather today");
    route("my doorbell keeps ringing");
    assertEquals(3, embedder.calls.get()); // the descriptions once, then each message
  }
}
