package io.voicehelper.entities.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.TestClock;
import io.voicehelper.entities.conversation.ConversationEntity.Accepted;
import io.voicehelper.entities.conversation.ConversationEntity.Active;
import io.voicehelper.entities.conversation.ConversationEntity.Command;
import io.voicehelper.entities.conversation.ConversationEntity.Event;
import io.voicehelper.entities.conversation.ConversationEntity.MessageView;
import io.voicehelper.entities.conversation.ConversationEntity.State;
import io.voicehelper.entities.conversation.ConversationEntity.View;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
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

@ExtendWith(LogCapturingExtension.class)
class ConversationEntityTest {

  private static final Duration WAIT = Duration.ofSeconds(5);

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(
        "ConversationEntityTest", EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static ConversationSettings settings() {
    return new ConversationSettings(
        new ContextStrategy.TokenLimit(6000),
        3,
        Duration.ofHours(24),
        Duration.ofMillis(1),
        Duration.ofSeconds(30),
        Duration.ofSeconds(2),
        Duration.ofMinutes(5),
        64,
        Duration.ofSeconds(5));
  }

  private final TestClock clock = new TestClock("2026-11-24T10:00:00Z");
  private final List<List<ChatTurn>> summarized = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Summarizer summarizer =
      (previous, turns) -> {
        summarized.add(turns);
        String summary = (previous.isEmpty() ? "" : previous + " / ")
            + turns.stream().map(ChatTurn::content).collect(Collectors.joining(", "));
        return CompletableFuture.completedFuture(summary);
      };

  private EventSourcedBehaviorTestKit<Command, Event, State> kit(
      ReplyGenerator generator, ConversationSettings settings) {
    String id = ConversationEntity.entityId("acme", UUID.randomUUID().toString());
    return EventSourcedBehaviorTestKit.create(
        testKit.system(),
        ConversationEntity.create(id, Optional.empty(), settings, generator, summarizer, TokenEstimator.HEURISTIC,
            clock));
  }

  private static void create(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    var result = kit.<StatusReply<ConversationEntity.Summary>>runCommand(
        replyTo -> new ConversationEntity.Create("Billing question", replyTo));
    assertTrue(result.reply().isSuccess());
    assertEquals("Billing question", result.reply().getValue().title());
  }

  private static Accepted send(EventSourcedBehaviorTestKit<Command, Event, State> kit, String content, String key) {
    var result = kit.<StatusReply<Accepted>>runCommand(
        replyTo -> new ConversationEntity.SendMessage(content, key, replyTo));
    assertTrue(result.reply().isSuccess(), () -> "rejected: " + result.reply().getError());
    return result.reply().getValue();
  }

  private static View view(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    return kit.<StatusReply<View>>runCommand(ConversationEntity.Get::new).reply().getValue();
  }

  private static MessageView message(View view, String id) {
    return view.messages().stream().filter(m -> m.id().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("no message " + id + " in " + view.messages()));
  }

  private static void awaitReplyStatus(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, String replyId, String status) {
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(status, message(view(kit), replyId).status());
      return null;
    });
  }

  private List<ReplyEvent> streamAll(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, String replyId, long afterSeq) throws Exception {
    SourceRef<ReplyEvent> ref = streamRef(kit, replyId, afterSeq);
    return ref.getSource().runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static SourceRef<ReplyEvent> streamRef(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, String replyId, long afterSeq) {
    var result = kit.<StatusReply<SourceRef<ReplyEvent>>>runCommand(
        replyTo -> new ConversationEntity.StreamReply(replyId, afterSeq, replyTo));
    assertTrue(result.reply().isSuccess(), () -> "rejected: " + result.reply().getError());
    return result.reply().getValue();
  }

  /** A client of the reply stream that the test pulls from. */
  private static TestSubscriber.Probe<ReplyEvent> subscribe(
      EventSourcedBehaviorTestKit<Command, Event, State> kit, String replyId, long afterSeq) {
    return streamRef(kit, replyId, afterSeq).getSource()
        .runWith(TestSink.probe(testKit.system().classicSystem()), testKit.system());
  }

  private static String text(List<ReplyEvent> events) {
    return events.stream()
        .filter(e -> e instanceof ReplyEvent.Delta)
        .map(e -> ((ReplyEvent.Delta) e).text())
        .collect(Collectors.joining());
  }

  // -------------------------------------------------------------------------------------------------------------

  @Test
  void unknownConversationIsNotFound() {
    var kit = kit(ScriptedReplyGenerator.echo(), settings());
    var reply = kit.<StatusReply<Accepted>>runCommand(r -> new ConversationEntity.SendMessage("hi", null, r)).reply();
    assertTrue(reply.isError());
    assertEquals(Optional.of(Rejection.NOT_FOUND), Rejection.of(reply.getError()));
    assertTrue(kit.<StatusReply<View>>runCommand(ConversationEntity.Get::new).reply().isError());
  }

  @Test
  void createTwiceIsRejected() {
    var kit = kit(ScriptedReplyGenerator.echo(), settings());
    create(kit);
    var again = kit.<StatusReply<ConversationEntity.Summary>>runCommand(
        r -> new ConversationEntity.Create("again", r));
    assertEquals(Optional.of(Rejection.ALREADY_EXISTS), Rejection.of(again.reply().getError()));
    assertTrue(again.events().isEmpty());
  }

  @Test
  void messageIsPersistedBeforeItIsAcknowledgedAndAnswered() throws Exception {
    var kit = kit(ScriptedReplyGenerator.echo(), settings());
    create(kit);
    var result = kit.<StatusReply<Accepted>>runCommand(r -> new ConversationEntity.SendMessage("hello there", null, r));
    Accepted accepted = result.reply().getValue();
    assertInstanceOf(ConversationEntity.MessageAccepted.class, result.events().get(0));
    assertInstanceOf(ConversationEntity.ReplyStarted.class, result.events().get(1));

    awaitReplyStatus(kit, accepted.replyId(), "completed");
    MessageView reply = message(view(kit), accepted.replyId());
    assertEquals("Echo: hello there", reply.content());
    assertEquals("assistant", reply.role());
    assertEquals("scripted", reply.model());
    assertEquals(accepted.messageId(), reply.inReplyTo());
    assertEquals(3, reply.outputTokens());

    List<ReplyEvent> events = streamAll(kit, accepted.replyId(), 0);
    assertEquals("Echo: hello there", text(events));
    assertEquals(List.of(1L, 2L, 3L), events.stream().filter(e -> e instanceof ReplyEvent.Delta)
        .map(e -> ((ReplyEvent.Delta) e).seq()).toList());
    ReplyEvent.Done done = (ReplyEvent.Done) events.get(events.size() - 1);
    assertEquals("completed", done.status());
    assertEquals(3, done.lastSeq());
    assertEquals(accepted.messageId(), done.messageId());

    // A position past the end (even past the int range) gives only the end.
    for (long past : List.of(3L, 2_147_483_648L, 4_294_967_297L)) {
      List<ReplyEvent> none = streamAll(kit, accepted.replyId(), past);
      assertEquals(1, none.size(), "after " + past);
      assertInstanceOf(ReplyEvent.Done.class, none.get(0));
    }

    // Resuming a finished reply after chunk 1 gives the rest, with the same numbers.
    List<ReplyEvent> rest = streamAll(kit, accepted.replyId(), 1);
    assertEquals(" hello there", text(rest));
    assertEquals(2L, ((ReplyEvent.Delta) rest.get(0)).seq());
  }

  @Test
  void turnsAreAnsweredInOrderAndLaterMessagesWait() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator, settings());
    create(kit);
    Accepted first = send(kit, "first question", null);
    var firstCall = generator.nextCall(WAIT);

    var second = kit.<StatusReply<Accepted>>runCommand(r -> new ConversationEntity.SendMessage("second", null, r));
    assertEquals(1, second.events().size(), "the second message is persisted but its reply waits");
    Accepted secondAccepted = second.reply().getValue();
    assertEquals("queued", message(view(kit), secondAccepted.replyId()).status());
    assertEquals("generating", message(view(kit), first.replyId()).status());

    firstCall.token("first ").token("answer").finish("m", 5, 2);
    var secondCall = generator.nextCall(WAIT);
    List<ChatTurn> context = secondCall.request().context();
    assertEquals(
        List.of(ChatTurn.user("first question"), ChatTurn.assistant("first answer"), ChatTurn.user("second")),
        context,
        "the queued turn sees the reply before it, and nothing after it");
    secondCall.token("ok").finish("m", 7, 1);
    awaitReplyStatus(kit, secondAccepted.replyId(), "completed");

    List<String> order = view(kit).messages().stream().map(MessageView::content).toList();
    assertEquals(List.of("first question", "first answer", "second", "ok"), order);
    assertEquals("completed", message(view(kit), first.replyId()).status());
  }

  @Test
  void tooManyWaitingMessagesAreRejected() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator, settings()); // max 3 queued
    create(kit);
    send(kit, "running", null);
    for (int i = 0; i < 3; i++) send(kit, "waiting " + i, null);
    var rejected = kit.<StatusReply<Accepted>>runCommand(r -> new ConversationEntity.SendMessage("one more", null, r));
    assertEquals(Optional.of(Rejection.TOO_MANY_PENDING), Rejection.of(rejected.reply().getError()));
    assertTrue(rejected.events().isEmpty());
  }

  @Test
  void idempotencyKeyReturnsTheOriginalAndRejectsADifferentBody() {
    var kit = kit(ScriptedReplyGenerator.echo(), settings());
    create(kit);
    Accepted original = send(kit, "refund my order", "key-1");
    // Let the reply finish first: its events would otherwise be counted as the retry's.
    awaitReplyStatus(kit, original.replyId(), "completed");

    var retry = kit.<StatusReply<Accepted>>runCommand(
        r -> new ConversationEntity.SendMessage("refund my order", "key-1", r));
    assertTrue(retry.events().isEmpty(), "a retry persists nothing");
    assertEquals(original.messageId(), retry.reply().getValue().messageId());
    assertEquals(original.replyId(), retry.reply().getValue().replyId());
    assertTrue(retry.reply().getValue().duplicate());

    var conflict = kit.<StatusReply<Accepted>>runCommand(
        r -> new ConversationEntity.SendMessage("something else", "key-1", r));
    assertEquals(Optional.of(Rejection.CONFLICT), Rejection.of(conflict.reply().getError()));

    // Keys are remembered across a restart, and forgotten after the window.
    kit.restart();
    assertTrue(kit.<StatusReply<Accepted>>runCommand(
        r -> new ConversationEntity.SendMessage("refund my order", "key-1", r)).reply().getValue().duplicate());
    clock.advance(Duration.ofHours(25));
    Accepted later = send(kit, "refund my order", "key-1");
    assertFalse(later.duplicate());
    assertFalse(later.messageId().equals(original.messageId()));
  }

  @Test
  void fixedWindowKeepsTheLastMessages() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.echo();
    var kit = kit(generator, settings().withContextStrategy(new ContextStrategy.FixedWindow(3)));
    create(kit);
    for (String q : List.of("a", "b", "c")) {
      Accepted accepted = send(kit, q, null);
      generator.nextRequest(WAIT);
      awaitReplyStatus(kit, accepted.replyId(), "completed");
    }
    send(kit, "d", null);
    ReplyGenerator.Request request = generator.nextRequest(WAIT);
    assertEquals(List.of(ChatTurn.user("c"), ChatTurn.assistant("Echo: c"), ChatTurn.user("d")),
        request.context());
  }

  @Test
  void tokenLimitKeepsTheNewestMessagesThatFit() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.echo();
    // Each 40-character message costs 10 + 4 tokens: 30 tokens hold two of them.
    var kit = kit(generator, settings().withContextStrategy(new ContextStrategy.TokenLimit(30)));
    create(kit);
    String older = "o".repeat(40);
    Accepted first = send(kit, older, null);
    generator.nextRequest(WAIT);
    awaitReplyStatus(kit, first.replyId(), "completed");
    String newest = "n".repeat(40);
    send(kit, newest, null);
    List<ChatTurn> context = generator.nextRequest(WAIT).context();
    assertEquals(ChatTurn.user(newest), context.get(context.size() - 1));
    assertFalse(context.contains(ChatTurn.user(older)), "the oldest message no longer fits");
    int tokens = context.stream().mapToInt(t -> TokenEstimator.HEURISTIC.estimate(t.content()) + 4).sum();
    assertTrue(tokens <= 30, "context of " + tokens + " tokens exceeds the limit");
  }

  @Test
  void tokenEstimateCountsChineseCharactersOneEach() {
    assertEquals(4, TokenEstimator.HEURISTIC.estimate("退款政策"));
    assertEquals(3, TokenEstimator.HEURISTIC.estimate("hello world!"));
  }

  @Test
  void summaryCompressionFoldsOlderTurnsIntoAPersistedSummary() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.echo();
    var kit = kit(generator, settings().withContextStrategy(new ContextStrategy.SummaryCompression(2, 2)));
    create(kit);
    for (String q : List.of("q1", "q2")) {
      Accepted accepted = send(kit, q, null);
      generator.nextRequest(WAIT);
      awaitReplyStatus(kit, accepted.replyId(), "completed");
    }
    // History before the third reply: q1, Echo: q1, q2, Echo: q2, q3 → 3 older than the 2 recent ones.
    Accepted third = send(kit, "q3", null);
    List<ChatTurn> context = generator.nextRequest(WAIT).context();
    awaitReplyStatus(kit, third.replyId(), "completed");
    assertEquals(List.of(ChatTurn.user("q1"), ChatTurn.assistant("Echo: q1"), ChatTurn.user("q2")),
        summarized.get(0));
    assertEquals(List.of(ContextStrategy.summaryTurn("q1, Echo: q1, q2"), ChatTurn.assistant("Echo: q2"),
        ChatTurn.user("q3")), context);
    Active state = (Active) kit.getState();
    assertEquals(3, state.summaryCovers());

    // The summary is an event: it survives a restart and is not recomputed.
    kit.restart();
    assertEquals("q1, Echo: q1, q2", ((Active) kit.getState()).summary());
    assertEquals(1, summarized.size());
  }

  @Test
  void streamResumesAnInFlightReplyWithoutGapOrDuplicate() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator, settings());
    create(kit);
    Accepted accepted = send(kit, "tell me", null);
    var call = generator.nextCall(WAIT);

    TestSubscriber.Probe<ReplyEvent> first = subscribe(kit, accepted.replyId(), 0);
    first.request(10);
    call.token("one ").token("two ");
    assertEquals(new ReplyEvent.Delta(1, "one "), first.expectNext());
    assertEquals(new ReplyEvent.Delta(2, "two "), first.expectNext());
    first.cancel();

    TestSubscriber.Probe<ReplyEvent> resumed = subscribe(kit, accepted.replyId(), 2);
    resumed.request(10);
    call.token("three").finish("m", 1, 3);
    assertEquals(new ReplyEvent.Delta(3, "three"), resumed.expectNext());
    ReplyEvent.Done done = (ReplyEvent.Done) resumed.expectNext();
    assertEquals("completed", done.status());
    assertEquals(3, done.lastSeq());
    resumed.expectComplete();
  }

  @Test
  void streamOfAQueuedReplyWaitsForItsTurn() throws Exception {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator, settings());
    create(kit);
    send(kit, "first", null);
    var firstCall = generator.nextCall(WAIT);
    Accepted queued = send(kit, "second", null);
    var stream = streamRef(kit, queued.replyId(), 0).getSource().runWith(Sink.seq(), testKit.system());
    firstCall.token("a").finish("m", 1, 1);
    generator.nextCall(WAIT).token("b").finish("m", 1, 1);
    List<ReplyEvent> events = stream.toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals("b", text(events));
  }

  @Test
  void unknownReplyIsNotFound() {
    var kit = kit(ScriptedReplyGenerator.echo(), settings());
    create(kit);
    var reply = kit.<StatusReply<SourceRef<ReplyEvent>>>runCommand(
        r -> new ConversationEntity.StreamReply("nope", 0, r)).reply();
    assertEquals(Optional.of(Rejection.NOT_FOUND), Rejection.of(reply.getError()));
  }

  @Test
  void failedGenerationKeepsThePartialTextAsInterrupted() throws Exception {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator, settings());
    create(kit);
    Accepted accepted = send(kit, "question", null);
    var call = generator.nextCall(WAIT);
    TestSubscriber.Probe<ReplyEvent> client = subscribe(kit, accepted.replyId(), 0);
    client.request(10);
    call.token("partial ").token("text");
    client.expectNext(new ReplyEvent.Delta(1, "partial "), new ReplyEvent.Delta(2, "text"));
    call.fail(new RuntimeException("model provider returned HTTP 500 after 3 retries"));
    assertEquals("interrupted", ((ReplyEvent.Done) client.expectNext()).status());
    client.expectComplete();
    awaitReplyStatus(kit, accepted.replyId(), "interrupted");
    MessageView reply = message(view(kit), accepted.replyId());
    assertEquals("partial text", reply.content());
    assertEquals("generation failed: model provider returned HTTP 500 after 3 retries", reply.reason());
    ReplyEvent.Done done = (ReplyEvent.Done) streamAll(kit, accepted.replyId(), 2).get(0);
    assertEquals("interrupted", done.status());

    // The next message is answered normally.
    Accepted next = send(kit, "again", null);
    generator.nextCall(WAIT).token("fine").finish("m", 1, 1);
    awaitReplyStatus(kit, next.replyId(), "completed");
  }

  @Test
  void replyIsStoppedAndSavedWhenEveryClientLeaves() throws Exception {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator, settings().withAbandonedReplyGrace(Duration.ofMillis(300)));
    create(kit);
    Accepted accepted = send(kit, "long answer please", null);
    var call = generator.nextCall(WAIT);
    TestSubscriber.Probe<ReplyEvent> client = subscribe(kit, accepted.replyId(), 0);
    client.request(1);
    call.token("so far");
    client.expectNext();
    client.cancel();

    call.cancelled().toCompletableFuture().get(5, TimeUnit.SECONDS);
    awaitReplyStatus(kit, accepted.replyId(), "interrupted");
    MessageView reply = message(view(kit), accepted.replyId());
    assertEquals("so far", reply.content());
    assertEquals(ConversationEntity.INTERRUPTED_BY_CLIENT, reply.reason());
  }

  @Test
  void aClientThatComesBackWithinTheGraceKeepsTheReplyGoing() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator, settings()); // grace 30 s
    create(kit);
    Accepted accepted = send(kit, "question", null);
    var call = generator.nextCall(WAIT);
    TestSubscriber.Probe<ReplyEvent> client = subscribe(kit, accepted.replyId(), 0);
    client.request(1);
    call.token("a");
    client.expectNext();
    client.cancel();
    TestSubscriber.Probe<ReplyEvent> back = subscribe(kit, accepted.replyId(), 1);
    back.request(5);
    call.token("b").finish("m", 1, 2);
    assertEquals(new ReplyEvent.Delta(2, "b"), back.expectNext());
    assertEquals("completed", ((ReplyEvent.Done) back.expectNext()).status());
  }

  @Test
  void recoveryClosesAnOrphanedReplyWithItsCheckpointedTextAndStartsTheNextTurn() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator, settings()); // checkpoint every millisecond
    create(kit);
    Accepted first = send(kit, "first", null);
    var call = generator.nextCall(WAIT);
    Accepted second = send(kit, "second", null);
    call.token("checkpointed ");
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(WAIT, () -> {
      Active state = (Active) kit.getState();
      assertEquals(List.of("checkpointed "), state.running().orElseThrow().chunks());
      return null;
    });

    // The node dies: the new incarnation finds the reply running in the journal.
    kit.restart();
    awaitReplyStatus(kit, first.replyId(), "interrupted");
    MessageView orphan = message(view(kit), first.replyId());
    assertEquals("checkpointed ", orphan.content());
    assertEquals(ConversationEntity.INTERRUPTED_BY_NODE_LOSS, orphan.reason());

    // The message that was waiting is answered by the new incarnation.
    var next = generator.nextCall(WAIT);
    assertEquals(ChatTurn.user("second"), next.request().context().get(next.request().context().size() - 1));
    next.token("answered").finish("m", 1, 1);
    awaitReplyStatus(kit, second.replyId(), "completed");
  }

  @Test
  void historySurvivesARestart() {
    var kit = kit(ScriptedReplyGenerator.echo(), settings());
    create(kit);
    Accepted accepted = send(kit, "persist me", null);
    awaitReplyStatus(kit, accepted.replyId(), "completed");
    View before = view(kit);
    kit.restart();
    assertEquals(before, view(kit));
  }

  @Test
  void concurrentSendersAreAnsweredOneAtATimeInArrivalOrder() {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator, settings().withMaxQueuedTurns(50));
    create(kit);
    List<String> replies = new ArrayList<>();
    for (int i = 0; i < 10; i++) replies.add(send(kit, "m" + i, null).replyId());
    for (int i = 0; i < 10; i++) {
      var call = generator.nextCall(WAIT);
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      List<ChatTurn> ctx = call.request().context();
      assertEquals(ChatTurn.user("m" + i), ctx.get(ctx.size() - 1));
      running.decrementAndGet();
      call.token("r" + i).finish("m", 1, 1);
    }
    awaitReplyStatus(kit, replies.get(9), "completed");
    assertEquals(1, maxRunning.get());
    List<String> contents = view(kit).messages().stream().map(MessageView::content).toList();
    for (int i = 0; i < 10; i++) {
      assertEquals("m" + i, contents.get(2 * i));
      assertEquals("r" + i, contents.get(2 * i + 1));
    }
  }
}
