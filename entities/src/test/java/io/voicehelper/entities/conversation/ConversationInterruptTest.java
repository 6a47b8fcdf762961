package io.voicehelper.entities.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.OldShapes;
import io.voicehelper.entities.TestClock;
import io.voicehelper.entities.conversation.ConversationEntity.Accepted;
import io.voicehelper.entities.conversation.ConversationEntity.Command;
import io.voicehelper.entities.conversation.ConversationEntity.Event;
import io.voicehelper.entities.conversation.ConversationEntity.InterruptReply;
import io.voicehelper.entities.conversation.ConversationEntity.MessageAccepted;
import io.voicehelper.entities.conversation.ConversationEntity.MessageView;
import io.voicehelper.entities.conversation.ConversationEntity.ReplyInterrupted;
import io.voicehelper.entities.conversation.ConversationEntity.ReplyTruncated;
import io.voicehelper.entities.conversation.ConversationEntity.State;
import io.voicehelper.entities.conversation.ConversationEntity.View;
import io.voicehelper.entities.limits.QuotaSettlement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Barge-in: the caller spoke over a reply, so the stored reply becomes what the caller heard. And the channel. */
@ExtendWith(LogCapturingExtension.class)
class ConversationInterruptTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(
        "ConversationInterruptTest", EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  record Settled(String reservation, OptionalInt tokens) {}

  private final TestClock clock = new TestClock("2026-12-03T10:00:00Z");
  private final List<Settled> settled = new CopyOnWriteArrayList<>();
  private final QuotaSettlement quota = (tenant, reservation, tokens) -> {
    settled.add(new Settled(reservation, tokens));
    return CompletableFuture.completedFuture(Done.getInstance());
  };

  private EventSourcedBehaviorTestKit<Command, Event, State> kit(ReplyGenerator generator) {
    String entityId = ConversationEntity.entityId("acme", UUID.randomUUID().toString());
    ConversationSettings settings = new ConversationSettings(new ContextStrategy.TokenLimit(6000), 3,
        Duration.ofHours(24), Duration.ofMillis(1), Duration.ofSeconds(30), Duration.ofSeconds(2),
        Duration.ofMinutes(5), 64, Duration.ofSeconds(5));
    return EventSourcedBehaviorTestKit.create(testKit.system(),
        ConversationEntity.create(entityId, Optional.empty(), settings, generator,
            (previous, turns) -> CompletableFuture.completedFuture(previous), TokenEstimator.HEURISTIC, quota,
            clock));
  }

  private static EventSourcedBehaviorTestKit<Command, Event, State> created(
      EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    kit.<StatusReply<ConversationEntity.Summary>>runCommand(r -> new ConversationEntity.Create("Call", r));
    return kit;
  }

  private static Accepted send(EventSourcedBehaviorTestKit<Command, Event, State> kit, String content,
      String reservation, String channel) {
    StatusReply<Accepted> reply = kit.<StatusReply<Accepted>>runCommand(
        r -> new ConversationEntity.SendMessage(content, null, reservation, channel, r)).reply();
    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    return reply.getValue();
  }

  private static EventSourcedBehaviorTestKit.CommandResultWithReply<Command, Event, State, StatusReply<Done>> interrupt(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, String replyId, Integer heardChars) {
    return kit.runCommand(r -> new InterruptReply(replyId, heardChars, "barge-in", r));
  }

  private static View view(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    return kit.<StatusReply<View>>runCommand(ConversationEntity.Get::new).reply().getValue();
  }

  private static MessageView message(EventSourcedBehaviorTestKit<Command, Event, State> kit, String id) {
    return view(kit).messages().stream().filter(m -> m.id().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("no message " + id));
  }

  private static void awaitStatus(EventSourcedBehaviorTestKit<Command, Event, State> kit, String replyId,
      String status) {
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(status, message(kit, replyId).status());
      return null;
    });
  }

  private static List<ReplyEvent> streamAll(EventSourcedBehaviorTestKit<Command, Event, State> kit, String replyId)
      throws Exception {
    SourceRef<ReplyEvent> ref = kit.<StatusReply<SourceRef<ReplyEvent>>>runCommand(
        r -> new ConversationEntity.StreamReply(replyId, 0, r)).reply().getValue();
    return ref.getSource().runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static String text(List<ReplyEvent> events) {
    return events.stream().filter(e -> e instanceof ReplyEvent.Delta).map(e -> ((ReplyEvent.Delta) e).text())
        .collect(Collectors.joining());
  }

  // -------------------------------------------------------------------------------------------------------------

  @Test
  void aBargeInWhileGeneratingStopsTheModelAndKeepsWhatWasHeard() throws Exception {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = created(kit(generator));
    Accepted accepted = send(kit, "what is my balance", "res-1", ConversationEntity.CHANNEL_VOICE);
    var call = generator.nextCall(WAIT);
    TestSubscriber.Probe<ReplyEvent> client = kit.<StatusReply<SourceRef<ReplyEvent>>>runCommand(
            r -> new ConversationEntity.StreamReply(accepted.replyId(), 0, r)).reply().getValue().getSource()
        .runWith(TestSink.probe(testKit.system().classicSystem()), testKit.system());
    client.request(10);
    call.token("Your balance ").token("is forty ").token("two euros.");
    client.expectNext(new ReplyEvent.Delta(1, "Your balance "), new ReplyEvent.Delta(2, "is forty "),
        new ReplyEvent.Delta(3, "two euros."));
    assertFalse(call.cancelled().toCompletableFuture().isDone());

    var result = interrupt(kit, accepted.replyId(), 17); // the caller heard "Your balance is f"
    assertTrue(result.reply().isSuccess());
    ReplyInterrupted event = (ReplyInterrupted) result.event();
    assertEquals(17, event.heardChars());
    assertEquals("barge-in", event.reason());
    // The model's stream was cancelled (it never finished on its own).
    call.cancelled().toCompletableFuture().get(1, TimeUnit.SECONDS);

    ReplyEvent.Done done = (ReplyEvent.Done) client.expectNext();
    assertEquals("interrupted", done.status());
    assertEquals("barge-in", done.reason());
    client.expectComplete();

    MessageView reply = message(kit, accepted.replyId());
    assertEquals("interrupted", reply.status());
    assertEquals("Your balance is f", reply.content());
    assertEquals("barge-in", reply.reason());
    assertEquals(ConversationEntity.CHANNEL_VOICE, reply.channel());
    assertEquals(ConversationEntity.CHANNEL_VOICE, message(kit, accepted.messageId()).channel());
    assertEquals("Your balance is f", text(streamAll(kit, accepted.replyId())));

    // Charged for everything the model wrote, not just what was heard: the context and "Your balance is forty two
    // euros." (estimated).
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(1, settled.size());
      return null;
    });
    int context = TokenEstimator.HEURISTIC.estimate("what is my balance") + TokenEstimator.PER_MESSAGE_OVERHEAD;
    assertEquals(new Settled("res-1",
            OptionalInt.of(context + TokenEstimator.HEURISTIC.estimate("Your balance is forty two euros."))),
        settled.get(0));

    // A repeat persists nothing; a restart recovers the same.
    View before = view(kit);
    assertTrue(interrupt(kit, accepted.replyId(), 17).events().isEmpty());
    assertTrue(interrupt(kit, accepted.replyId(), null).events().isEmpty());
    kit.restart();
    assertEquals(before, view(kit));
    assertEquals(1, settled.size());
  }

  @Test
  void aBargeInAfterTheModelFinishedCutsTheStoredReply() throws Exception {
    ScriptedReplyGenerator generator =
        ScriptedReplyGenerator.automatic(r -> List.of("Hello 👋 there, ", "your parcel ", "left today."));
    var kit = created(kit(generator));
    Accepted accepted = send(kit, "where is my parcel", "res-2", ConversationEntity.CHANNEL_VOICE);
    awaitStatus(kit, accepted.replyId(), "completed");
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(1, settled.size());
      return null;
    });

    // 19 code points: "Hello 👋 there, your" (the emoji is one, though two Java chars).
    var result = interrupt(kit, accepted.replyId(), 19);
    assertTrue(result.reply().isSuccess());
    assertEquals(new ReplyTruncated(accepted.replyId(), 19, "barge-in", clock.instant()), result.event());

    MessageView reply = message(kit, accepted.replyId());
    assertEquals("interrupted", reply.status());
    assertEquals("Hello 👋 there, your", reply.content());
    assertEquals("barge-in", reply.reason());
    assertEquals("scripted", reply.model(), "model and usage are kept");
    assertEquals(10, reply.inputTokens());
    assertEquals(3, reply.outputTokens());

    List<ReplyEvent> events = streamAll(kit, accepted.replyId());
    assertEquals(List.of(new ReplyEvent.Delta(1, "Hello 👋 there, "), new ReplyEvent.Delta(2, "your")),
        events.subList(0, 2));
    ReplyEvent.Done done = (ReplyEvent.Done) events.get(2);
    assertEquals("interrupted", done.status());
    assertEquals(2, done.lastSeq());

    // The next turn's context has what the caller heard, not what the model wrote.
    Accepted thanks = send(kit, "thanks", null, ConversationEntity.CHANNEL_VOICE);
    generator.nextRequest(WAIT);
    List<ChatTurn> context = generator.nextRequest(WAIT).context();
    assertEquals(ChatTurn.assistant("Hello 👋 there, your"), context.get(context.size() - 2));
    // Let that reply finish first: its events would otherwise be counted as the repeat's.
    awaitStatus(kit, thanks.replyId(), "completed");

    assertTrue(interrupt(kit, accepted.replyId(), 19).events().isEmpty(), "a repeat persists nothing");
    kit.restart();
    assertEquals("Hello 👋 there, your", message(kit, accepted.replyId()).content());
    assertEquals("interrupted", message(kit, accepted.replyId()).status());
    assertEquals(List.of(new Settled("res-2", OptionalInt.of(10 + 3))), settled,
        "settled once, at completion, with the model's usage");
  }

  @Test
  void aBargeInWithoutACountKeepsTheWholeTextAndBeyondTheTextKeepsAllToo() {
    var kit = created(kit(ScriptedReplyGenerator.automatic(r -> List.of("Short answer."))));
    Accepted first = send(kit, "one", null, null);
    awaitStatus(kit, first.replyId(), "completed");
    assertEquals(ConversationEntity.CHANNEL_CHAT, message(kit, first.replyId()).channel());
    interrupt(kit, first.replyId(), null);
    assertEquals("Short answer.", message(kit, first.replyId()).content());
    assertEquals("interrupted", message(kit, first.replyId()).status());

    Accepted second = send(kit, "two", null, null);
    awaitStatus(kit, second.replyId(), "completed");
    interrupt(kit, second.replyId(), 1000);
    assertEquals("Short answer.", message(kit, second.replyId()).content());
    assertEquals("interrupted", message(kit, second.replyId()).status());
  }

  @Test
  void aQueuedReplyThatIsInterruptedIsNeverGenerated() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = created(kit(generator));
    Accepted first = send(kit, "first", null, ConversationEntity.CHANNEL_VOICE);
    var firstCall = generator.nextCall(WAIT);
    Accepted queued = send(kit, "second", "res-3", ConversationEntity.CHANNEL_VOICE);
    assertEquals("queued", message(kit, queued.replyId()).status());

    var result = interrupt(kit, queued.replyId(), 5);
    assertTrue(result.reply().isSuccess());
    assertInstanceOf(ReplyInterrupted.class, result.event());
    MessageView reply = message(kit, queued.replyId());
    assertEquals("interrupted", reply.status());
    assertEquals("", reply.content());
    assertEquals(new Settled("res-3", OptionalInt.of(0)), settled.get(0));

    // The reply before it finishes; the next generation answers the message after it, not the interrupted one.
    firstCall.token("one").finish("m", 1, 1);
    awaitStatus(kit, first.replyId(), "completed");
    Accepted third = send(kit, "third", null, ConversationEntity.CHANNEL_VOICE);
    var next = generator.nextCall(WAIT);
    List<ChatTurn> context = next.request().context();
    assertEquals(ChatTurn.user("third"), context.get(context.size() - 1));
    next.token("three").finish("m", 1, 1);
    awaitStatus(kit, third.replyId(), "completed");

    assertTrue(interrupt(kit, queued.replyId(), 5).events().isEmpty(), "a repeat persists nothing");
    View before = view(kit);
    kit.restart();
    assertEquals(before, view(kit));
  }

  @Test
  void anUnknownReplyOrConversationIsNotFoundAndANegativeCountInvalid() {
    var empty = kit(ScriptedReplyGenerator.echo());
    assertEquals(Optional.of(Rejection.NOT_FOUND),
        Rejection.of(interrupt(empty, "r1", 3).reply().getError()));

    var kit = created(kit(ScriptedReplyGenerator.echo()));
    var unknown = interrupt(kit, "no-such-reply", 3);
    assertEquals(Optional.of(Rejection.NOT_FOUND), Rejection.of(unknown.reply().getError()));
    assertTrue(unknown.events().isEmpty());

    Accepted accepted = send(kit, "hi", null, null);
    awaitStatus(kit, accepted.replyId(), "completed");
    var negative = interrupt(kit, accepted.replyId(), -1);
    assertEquals(Optional.of(Rejection.INVALID), Rejection.of(negative.reply().getError()));
    assertEquals("completed", message(kit, accepted.replyId()).status());
  }

  @Test
  void anUnknownChannelIsInvalid() {
    var kit = created(kit(ScriptedReplyGenerator.echo()));
    var reply = kit.<StatusReply<Accepted>>runCommand(
        r -> new ConversationEntity.SendMessage("hi", null, null, "fax", r));
    assertEquals(Optional.of(Rejection.INVALID), Rejection.of(reply.reply().getError()));
    assertTrue(reply.events().isEmpty());
  }

  /** Events written before channels and barge-in (no such fields in their CBOR) still read, as "chat" and "all". */
  @Test
  void eventsWrittenBeforeChannelsAndBargeInStillRead() {
    Instant at = Instant.parse("2026-11-01T10:00:00Z");

    Map<String, Object> accepted = new LinkedHashMap<>();
    accepted.put("messageId", "m1");
    accepted.put("replyId", "r1");
    accepted.put("content", "hello");
    accepted.put("idempotencyKey", null);
    accepted.put("requestHash", "h");
    accepted.put("at", at);
    MessageAccepted oldAccepted = OldShapes.read(testKit.system(), accepted,
        new MessageAccepted("m1", "r1", "hello", null, "h", at));
    assertNull(oldAccepted.channel());
    assertNull(oldAccepted.quotaReservation());

    Map<String, Object> interrupted = new LinkedHashMap<>();
    interrupted.put("replyId", "r1");
    interrupted.put("chunks", List.of("Hel", "lo there"));
    interrupted.put("reason", "generation failed: boom");
    interrupted.put("latencyMillis", 12L);
    interrupted.put("at", at);
    ReplyInterrupted oldInterrupted = OldShapes.read(testKit.system(), interrupted,
        new ReplyInterrupted("r1", List.of(), "x", 12, at));
    assertNull(oldInterrupted.heardChars());

    // A journal of such events recovers: the message is "chat" and the interrupted reply keeps all its text.
    var kit = kit(ScriptedReplyGenerator.echo());
    kit.initialize(new ConversationEntity.ConversationStarted("old", "acme", "Old", at), oldAccepted,
        new ConversationEntity.ReplyStarted("r1", at), oldInterrupted);
    MessageView reply = message(kit, "r1");
    assertEquals("Hello there", reply.content());
    assertEquals("interrupted", reply.status());
    assertEquals(ConversationEntity.CHANNEL_CHAT, reply.channel());
    assertEquals(ConversationEntity.CHANNEL_CHAT, message(kit, "m1").channel());
  }
}
