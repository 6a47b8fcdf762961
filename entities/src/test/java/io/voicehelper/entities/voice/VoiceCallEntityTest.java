package io.voicehelper.entities.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.TestClock;
import io.voicehelper.entities.voice.VoiceCallEntity.CallSettings;
import io.voicehelper.entities.voice.VoiceCallEntity.CallView;
import io.voicehelper.entities.voice.VoiceCallEntity.Command;
import io.voicehelper.entities.voice.VoiceCallEntity.Event;
import io.voicehelper.entities.voice.VoiceCallEntity.State;
import io.voicehelper.entities.voice.VoiceCallEntity.Turn;
import io.voicehelper.entities.voice.VoiceCallEntity.TurnLatencies;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A voice call: who holds it, its turns, and how it survives a dropped connection (time driven by hand). */
@ExtendWith(LogCapturingExtension.class)
class VoiceCallEntityTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final CallSettings CHEERFUL = new CallSettings("en-US", null, "cheerful", 1.0, 1.0);
  private static final VoiceCallSettings SETTINGS =
      new VoiceCallSettings(Duration.ofMinutes(2), 3, Duration.ofHours(1));

  private static ActorTestKit testKit;
  private static ManualTime manualTime;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("VoiceCallEntityTest", ManualTime.config()
        .withFallback(EventSourcedBehaviorTestKit.config()).withFallback(ConfigFactory.load()));
    manualTime = ManualTime.get(testKit.system());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final TestClock clock = new TestClock("2026-12-03T10:00:00Z");

  private EventSourcedBehaviorTestKit<Command, Event, State> kit() {
    return EventSourcedBehaviorTestKit.create(testKit.system(), VoiceCallEntity.create(
        VoiceCallEntity.entityId("acme", UUID.randomUUID().toString()), Optional.empty(), SETTINGS, clock));
  }

  /** Time passes for the entity's timers and its clock alike. */
  private void passes(Duration duration) {
    clock.advance(duration);
    manualTime.timePasses(duration);
  }

  private static EventSourcedBehaviorTestKit.CommandResultWithReply<Command, Event, State, StatusReply<CallView>>
      start(EventSourcedBehaviorTestKit<Command, Event, State> kit, String user) {
    return kit.runCommand(r -> new VoiceCallEntity.Start("acme", user, "conv-1", CHEERFUL, "node-a", r));
  }

  private static CallView started(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    StatusReply<CallView> reply = start(kit, "alice").reply();
    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    return reply.getValue();
  }

  private static StatusReply<Done> record(EventSourcedBehaviorTestKit<Command, Event, State> kit, Turn turn) {
    return kit.<StatusReply<Done>>runCommand(r -> new VoiceCallEntity.RecordTurn(turn, r)).reply();
  }

  private static Turn turn(String id, Instant at) {
    return new Turn(id, VoiceCallEntity.INPUT_VOICE, "where is my parcel", "m-" + id, "r-" + id,
        "It left", true, new TurnLatencies(180L, 420L, 150L, 750L), at);
  }

  private static StatusReply<CallView> resume(EventSourcedBehaviorTestKit<Command, Event, State> kit, String user,
      String node) {
    return kit.<StatusReply<CallView>>runCommand(r -> new VoiceCallEntity.Resume(user, node, r)).reply();
  }

  private static StatusReply<Done> disconnect(EventSourcedBehaviorTestKit<Command, Event, State> kit, String node) {
    return kit.<StatusReply<Done>>runCommand(r -> new VoiceCallEntity.Disconnected(node, "socket closed", r))
        .reply();
  }

  private static CallView view(EventSourcedBehaviorTestKit<Command, Event, State> kit) {
    return kit.<StatusReply<CallView>>runCommand(VoiceCallEntity.Get::new).reply().getValue();
  }

  private static void awaitStatus(EventSourcedBehaviorTestKit<Command, Event, State> kit, String status) {
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(status, view(kit).status());
      return null;
    });
  }

  private static Optional<VoiceCallRejection> rejection(StatusReply<?> reply) {
    assertTrue(reply.isError(), () -> "expected a rejection, got " + reply);
    return VoiceCallRejection.of(reply.getError());
  }

  // -------------------------------------------------------------------------------------------------------------

  @Test
  void startLinksTheCallToItsConversationAndIsIdempotentForTheSameUser() {
    var kit = kit();
    var first = start(kit, "alice");
    assertInstanceOf(VoiceCallEntity.CallStarted.class, first.event());
    CallView view = first.reply().getValue();
    assertEquals("conv-1", view.conversationId());
    assertEquals("alice", view.userId());
    assertEquals("active", view.status());
    assertEquals(CHEERFUL, view.settings());
    assertEquals(List.of(), view.turns());
    assertEquals(clock.instant(), view.startedAt());

    var again = start(kit, "alice");
    assertTrue(again.events().isEmpty());
    assertEquals(view, again.reply().getValue());

    var other = start(kit, "mallory");
    assertEquals(Optional.of(VoiceCallRejection.NOT_FOUND), rejection(other.reply()));
    assertTrue(other.events().isEmpty());
    assertEquals(Optional.of(VoiceCallRejection.NOT_FOUND), rejection(resume(kit, "mallory", "node-b")));
  }

  @Test
  void aCallNeverStartedIsNotFound() {
    var kit = kit();
    assertEquals(Optional.of(VoiceCallRejection.NOT_FOUND), rejection(resume(kit, "alice", "node-a")));
    assertEquals(Optional.of(VoiceCallRejection.NOT_FOUND), rejection(record(kit, turn("t1", null))));
    assertEquals(Optional.of(VoiceCallRejection.NOT_FOUND),
        rejection(kit.<StatusReply<CallView>>runCommand(VoiceCallEntity.Get::new).reply()));
  }

  @Test
  void turnsAreRecordedOnceEachInOrder() {
    var kit = kit();
    started(kit);
    Instant at = Instant.parse("2026-12-03T10:00:05Z");
    assertTrue(record(kit, turn("t1", at)).isSuccess());
    var retry = kit.<StatusReply<Done>>runCommand(r -> new VoiceCallEntity.RecordTurn(turn("t1", at), r));
    assertTrue(retry.reply().isSuccess());
    assertTrue(retry.events().isEmpty(), "a retried turn is not recorded twice");
    clock.advance(Duration.ofSeconds(9));
    assertTrue(record(kit, turn("t2", null)).isSuccess());

    List<Turn> turns = view(kit).turns();
    assertEquals(List.of("t1", "t2"), turns.stream().map(Turn::turnId).toList());
    assertEquals(turn("t1", at), turns.get(0));
    assertEquals(clock.instant(), turns.get(1).at(), "a turn without a time gets the entity's");

    Turn typed = new Turn("t3", "fax", "hi", null, null, null, false, null, null);
    assertEquals(Optional.of(VoiceCallRejection.INVALID), rejection(record(kit, typed)));
  }

  @Test
  void aResumedCallKeepsItsTranscriptAcrossARestart() {
    var kit = kit();
    started(kit);
    record(kit, turn("t1", null));
    record(kit, turn("t2", null));
    assertTrue(disconnect(kit, "node-a").isSuccess());
    assertEquals("disconnected", view(kit).status());

    kit.restart(); // passivated or moved to another node meanwhile
    var resumed = kit.<StatusReply<CallView>>runCommand(r -> new VoiceCallEntity.Resume("alice", "node-b", r));
    assertEquals(new VoiceCallEntity.CallResumed("node-b", clock.instant()), resumed.event());
    CallView view = resumed.reply().getValue();
    assertEquals("active", view.status());
    assertEquals(List.of("t1", "t2"), view.turns().stream().map(Turn::turnId).toList());
    assertEquals(Optional.of(VoiceCallRejection.NOT_FOUND), rejection(resume(kit, "mallory", "node-b")));

    // The old node's late report of its dropped socket does not disconnect the call that node-b holds now.
    var late = kit.<StatusReply<Done>>runCommand(r -> new VoiceCallEntity.Disconnected("node-a", "closed", r));
    assertTrue(late.events().isEmpty());
    assertEquals("active", view(kit).status());
  }

  @Test
  void aDisconnectedCallNobodyResumesEndsAfterTheWindow() {
    var kit = kit();
    started(kit);
    disconnect(kit, "node-a");
    Instant disconnectedAt = clock.instant();

    passes(Duration.ofMinutes(2).minusSeconds(1));
    assertEquals("disconnected", view(kit).status());
    passes(Duration.ofSeconds(1));
    awaitStatus(kit, "ended");
    CallView view = view(kit);
    assertEquals(VoiceCallEntity.ABANDONED, view.endReason());
    assertEquals(disconnectedAt.plus(SETTINGS.resumeWindow()), view.endedAt());
    assertEquals(Optional.of(VoiceCallRejection.ENDED), rejection(resume(kit, "alice", "node-a")));
  }

  @Test
  void theWindowIsArmedAgainWhenTheEntityRecovers() {
    var kit = kit();
    started(kit);
    disconnect(kit, "node-a");
    passes(Duration.ofMinutes(1));
    kit.restart(); // the timer of the first incarnation died with it
    passes(Duration.ofSeconds(59));
    assertEquals("disconnected", view(kit).status());
    passes(Duration.ofSeconds(1));
    awaitStatus(kit, "ended");
  }

  @Test
  void aCallRecoveredAfterItsWindowIsEndedAsOfTheWindowsEnd() {
    var kit = kit();
    started(kit);
    disconnect(kit, "node-a");
    Instant disconnectedAt = clock.instant();
    clock.advance(Duration.ofMinutes(10)); // the entity was not running while the window passed
    kit.restart();
    assertEquals(Optional.of(VoiceCallRejection.ENDED), rejection(resume(kit, "alice", "node-b")));
    CallView view = view(kit);
    assertEquals(VoiceCallEntity.ABANDONED, view.endReason());
    assertEquals(disconnectedAt.plus(SETTINGS.resumeWindow()), view.endedAt());
  }

  @Test
  void aCallResumedInTimeStaysAndTheOldWindowDoesNotEndIt() {
    var kit = kit();
    started(kit);
    disconnect(kit, "node-a");
    passes(Duration.ofMinutes(1));
    assertTrue(resume(kit, "alice", "node-a").isSuccess());
    passes(Duration.ofMinutes(5));
    assertEquals("active", view(kit).status());

    // A second drop gets a window of its own.
    disconnect(kit, "node-a");
    passes(Duration.ofMinutes(2));
    awaitStatus(kit, "ended");
  }

  @Test
  void anEndedCallIsReadOnly() {
    var kit = kit();
    started(kit);
    var end = kit.<StatusReply<CallView>>runCommand(r -> new VoiceCallEntity.End(null, r));
    assertEquals("ended", end.reply().getValue().status());
    assertEquals(VoiceCallEntity.STOPPED, end.reply().getValue().endReason());
    assertEquals(clock.instant(), end.reply().getValue().endedAt());

    var again = kit.<StatusReply<CallView>>runCommand(r -> new VoiceCallEntity.End("hangup", r));
    assertTrue(again.events().isEmpty());
    assertEquals(VoiceCallEntity.STOPPED, again.reply().getValue().endReason());
    assertEquals(Optional.of(VoiceCallRejection.ENDED), rejection(start(kit, "alice").reply()));
    assertEquals(Optional.of(VoiceCallRejection.ENDED), rejection(resume(kit, "alice", "node-a")));
    assertEquals(Optional.of(VoiceCallRejection.ENDED), rejection(record(kit, turn("t9", null))));
    assertEquals(Optional.of(VoiceCallRejection.ENDED), rejection(kit.<StatusReply<CallView>>runCommand(
        r -> new VoiceCallEntity.UpdateSettings(CHEERFUL, r)).reply()));
    var closed = kit.<StatusReply<Done>>runCommand(r -> new VoiceCallEntity.Disconnected("node-a", "closed", r));
    assertTrue(closed.reply().isSuccess());
    assertTrue(closed.events().isEmpty(), "the socket closing after the end changes nothing");
  }

  @Test
  void settingsChangeMidCall() {
    var kit = kit();
    started(kit);
    CallSettings calm = new CallSettings("en-US", "slt", "calm", 0.9, 1.1);
    var changed = kit.<StatusReply<CallView>>runCommand(r -> new VoiceCallEntity.UpdateSettings(calm, r));
    assertEquals(calm, changed.reply().getValue().settings());
    var same = kit.<StatusReply<CallView>>runCommand(r -> new VoiceCallEntity.UpdateSettings(calm, r));
    assertTrue(same.events().isEmpty());
    kit.restart();
    assertEquals(calm, view(kit).settings());
  }

  @Test
  void onlyTheNewestTurnsAreKept() {
    var kit = kit(); // max-turns 3
    started(kit);
    for (int i = 1; i <= 5; i++) record(kit, turn("t" + i, null));
    assertEquals(List.of("t3", "t4", "t5"), view(kit).turns().stream().map(Turn::turnId).toList());
    kit.restart();
    assertEquals(List.of("t3", "t4", "t5"), view(kit).turns().stream().map(Turn::turnId).toList());
    assertNull(view(kit).endedAt());
  }

  @Test
  void settingsAreReadFromReferenceConf() {
    VoiceCallSettings defaults =
        VoiceCallSettings.fromConfig(ConfigFactory.load().getConfig("voicehelper.voice.call"));
    assertEquals(new VoiceCallSettings(Duration.ofMinutes(2), 500, Duration.ofMinutes(2)), defaults);
  }
}
