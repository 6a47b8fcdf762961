package io.voicehelper.entities.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.conversation.ConversationEntity.Accepted;
import io.voicehelper.entities.conversation.ConversationEntity.Command;
import io.voicehelper.entities.conversation.ConversationEntity.Event;
import io.voicehelper.entities.conversation.ConversationEntity.State;
import io.voicehelper.entities.limits.QuotaSettlement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A reply settles the token reservation its message carried, once, with what the reply actually used. */
class ConversationQuotaSettlementTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("ConversationQuotaSettlementTest",
        EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  record Settled(String tenant, String reservation, OptionalInt tokens) {}

  private final List<Settled> settled = new CopyOnWriteArrayList<>();
  private final QuotaSettlement quota = (tenant, reservation, tokens) -> {
    settled.add(new Settled(tenant, reservation, tokens));
    return CompletableFuture.completedFuture(Done.getInstance());
  };

  private EventSourcedBehaviorTestKit<Command, Event, State> kit(ReplyGenerator generator) {
    ConversationSettings settings = new ConversationSettings(new ContextStrategy.TokenLimit(6000), 3,
        Duration.ofHours(24), Duration.ofMillis(1), Duration.ofSeconds(30), Duration.ofSeconds(2),
        Duration.ofMinutes(5), 64, Duration.ofSeconds(5));
    var kit = EventSourcedBehaviorTestKit.<Command, Event, State>create(testKit.system(),
        ConversationEntity.create(ConversationEntity.entityId("acme", UUID.randomUUID().toString()),
            Optional.empty(), settings, generator, (p, t) -> CompletableFuture.completedFuture(p),
            TokenEstimator.HEURISTIC, quota, Clock.systemUTC()));
    kit.<StatusReply<ConversationEntity.Summary>>runCommand(r -> new ConversationEntity.Create("t", r));
    return kit;
  }

  private static Accepted send(EventSourcedBehaviorTestKit<Command, Event, State> kit, String content,
      String reservation) {
    StatusReply<Accepted> reply = kit.<StatusReply<Accepted>>runCommand(
        r -> new ConversationEntity.SendMessage(content, null, reservation, r)).reply();
    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    return reply.getValue();
  }

  private void awaitSettled(int count) {
    testKit.createTestProbe().awaitAssert(WAIT, () -> {
      assertEquals(count, settled.size(), settled.toString());
      return null;
    });
  }

  @Test
  void aCompletedReplySettlesWithTheReportedUsage() {
    var kit = kit(ScriptedReplyGenerator.echo()); // reports 10 input tokens and one output token per word
    send(kit, "two words", "res-1");
    awaitSettled(1);
    assertEquals(new Settled("acme", "res-1", OptionalInt.of(10 + 3)), settled.get(0));
  }

  @Test
  void aMessageWithoutReservationSettlesNothing() {
    var kit = kit(ScriptedReplyGenerator.echo());
    Accepted accepted = send(kit, "free", null);
    send(kit, "paid", "res-2"); // answered after the first: settled only for this one
    awaitSettled(1);
    assertEquals("res-2", settled.get(0).reservation());
    assertTrue(accepted.replyId() != null);
  }

  @Test
  void aReplyThatFailedBeforeAnyTextSettlesZero() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator);
    send(kit, "hello", "res-3");
    generator.nextCall(WAIT).fail(new IllegalStateException("model down"));
    awaitSettled(1);
    assertEquals(OptionalInt.of(0), settled.get(0).tokens());
  }

  @Test
  void aReplyCutOffByANodeLossSettlesAsUnknown() {
    ScriptedReplyGenerator generator = ScriptedReplyGenerator.manual();
    var kit = kit(generator);
    send(kit, "hello", "res-4");
    generator.nextCall(WAIT).token("partial ");
    kit.restart(); // the new incarnation closes the orphaned reply
    awaitSettled(1);
    assertEquals(new Settled("acme", "res-4", OptionalInt.empty()), settled.get(0));
    // The reservation survived in the journal, so a later restart does not settle it again.
    kit.restart();
    assertEquals(1, settled.size());
  }
}
