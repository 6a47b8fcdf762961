package io.voicehelper.entities.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.OldShapes;
import io.voicehelper.entities.TestClock;
import io.voicehelper.entities.conversation.ConversationEntity.Command;
import io.voicehelper.entities.conversation.ConversationEntity.ConversationStarted;
import io.voicehelper.entities.conversation.ConversationEntity.Event;
import io.voicehelper.entities.conversation.ConversationEntity.MessageView;
import io.voicehelper.entities.conversation.ConversationEntity.ReplyCompleted;
import io.voicehelper.entities.conversation.ConversationEntity.State;
import io.voicehelper.entities.conversation.ConversationEntity.View;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A conversation's scope (collections) and its replies' grounding (mode, reason, citations) are kept and shown. */
@ExtendWith(LogCapturingExtension.class)
class ConversationGroundingTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static ActorTestKit testKit;

  private static final ReplyGenerator.Grounding GROUNDING = new ReplyGenerator.Grounding("rag",
      "keyword rule: policy question", "extractive", List.of(new Citation(1, "returns-md", "faq", "returns.md", 2,
          "returns-md-v2-0-abc", List.of("Returns", "Deadline"), "Returns are accepted within 30 days.", 0.031)));

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(
        "ConversationGroundingTest", EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final TestClock clock = new TestClock("2026-12-02T10:00:00Z");

  private EventSourcedBehaviorTestKit<Command, Event, State> kit(ReplyGenerator generator) {
    ConversationSettings settings = new ConversationSettings(new ContextStrategy.TokenLimit(6000), 3,
        Duration.ofHours(24), Duration.ofMillis(1), Duration.ofSeconds(30), Duration.ofSeconds(2),
        Duration.ofMinutes(5), 64, Duration.ofSeconds(5));
    Summarizer summarizer = (previous, turns) -> CompletableFuture.completedFuture(previous);
    return EventSourcedBehaviorTestKit.create(testKit.system(),
        ConversationEntity.create(ConversationEntity.entityId("acme", UUID.randomUUID().toString()),
            Optional.empty(), settings, generator, summarizer, TokenEstimator.HEURISTIC, clock));
  }

  private static View view(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    return kit.<StatusReply<View>>runCommand(ConversationEntity.Get::new).reply().getValue();
  }

  private static MessageView reply(View view) {
    return view.messages().stream().filter(m -> m.role().equals("assistant")).findFirst().orElseThrow();
  }

  @Test
  void theScopeIsStoredShownAndHandedToTheGenerator() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator);
    var created = kit.<StatusReply<ConversationEntity.Summary>>runCommand(
        replyTo -> new ConversationEntity.Create("Returns", List.of("faq", "manuals"), replyTo));
    assertEquals(List.of("faq", "manuals"), created.reply().getValue().collections());
    assertEquals(List.of("faq", "manuals"),
        ((ConversationStarted) created.event()).collections());

    kit.<StatusReply<ConversationEntity.Accepted>>runCommand(
        replyTo -> new ConversationEntity.SendMessage("How long do refunds take?", null, replyTo));
    ReplyGenerator.Request request = generator.nextCall(WAIT).request();
    assertEquals(List.of("faq", "manuals"), request.collections());
    assertEquals("acme", request.tenantId());

    kit.restart();
    assertEquals(List.of("faq", "manuals"), view(kit).collections());
  }

  @Test
  void citationsArePersistedWithTheReplyStreamedInDoneAndKeptAcrossARestart() throws Exception {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator);
    kit.<StatusReply<ConversationEntity.Summary>>runCommand(
        replyTo -> new ConversationEntity.Create("Returns", replyTo));
    var accepted = kit.<StatusReply<ConversationEntity.Accepted>>runCommand(
        replyTo -> new ConversationEntity.SendMessage("How long do I have to return it?", null, replyTo))
        .reply().getValue();
    generator.nextCall(WAIT).token("Returns are accepted within 30 days. [1]").ground(GROUNDING)
        .finish("none (extractive)", 12, 9);
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals("completed", reply(view(kit)).status());
      return null;
    });
    assertEquals(GROUNDING, reply(view(kit)).grounding());

    var ref = kit.<StatusReply<SourceRef<ReplyEvent>>>runCommand(
        replyTo -> new ConversationEntity.StreamReply(accepted.replyId(), 0, replyTo)).reply().getValue();
    List<ReplyEvent> events = ref.getSource().runWith(Sink.seq(), testKit.system()).toCompletableFuture()
        .get(5, java.util.concurrent.TimeUnit.SECONDS);
    ReplyEvent.Done done = (ReplyEvent.Done) events.get(events.size() - 1);
    assertEquals(GROUNDING, done.grounding());

    kit.restart();
    assertEquals(GROUNDING, reply(view(kit)).grounding());
  }

  @Test
  void aReplyWithoutGroundingHasNone() {
    var kit = kit(ScriptedReplyGenerator.echo());
    kit.<StatusReply<ConversationEntity.Summary>>runCommand(replyTo -> new ConversationEntity.Create("Chat", replyTo));
    kit.<StatusReply<ConversationEntity.Accepted>>runCommand(
        replyTo -> new ConversationEntity.SendMessage("hello there", null, replyTo));
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals("completed", reply(view(kit)).status());
      return null;
    });
    assertNull(reply(view(kit)).grounding());
    assertEquals(List.of(), view(kit).collections());
  }

  /** Events written before scopes and grounding (no such fields in their CBOR) still read, as "all" and "none". */
  @Test
  void eventsWrittenBeforeScopesAndGroundingStillRead() {
    Instant at = Instant.parse("2026-11-01T10:00:00Z");

    Map<String, Object> started = new LinkedHashMap<>();
    started.put("conversationId", "c1");
    started.put("tenantId", "acme");
    started.put("title", "Old");
    started.put("at", at);
    ConversationStarted oldStart = OldShapes.read(testKit.system(), started,
        new ConversationStarted("c1", "acme", "Old", at));
    assertEquals(List.of(), oldStart.collections());

    Map<String, Object> completed = new LinkedHashMap<>();
    completed.put("replyId", "r1");
    completed.put("chunks", List.of("Hi"));
    completed.put("model", "gpt");
    completed.put("inputTokens", 3);
    completed.put("outputTokens", 1);
    completed.put("latencyMillis", 5L);
    completed.put("at", at);
    ReplyCompleted oldCompletion = OldShapes.read(testKit.system(), completed,
        new ReplyCompleted("r1", List.of("Hi"), "gpt", 3, 1, 5, at));
    assertNull(oldCompletion.grounding());
    assertEquals(List.of("Hi"), oldCompletion.chunks());
  }
}
