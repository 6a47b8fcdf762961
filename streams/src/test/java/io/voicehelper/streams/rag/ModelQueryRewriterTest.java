package io.voicehelper.streams.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.ReplyGenerator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ModelQueryRewriterTest {

  private static ActorTestKit testKit;
  private static final List<ChatTurn> HISTORY =
      List.of(ChatTurn.user("退货期限是多久？"), ChatTurn.assistant("30 天。"));

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static String rewrite(ReplyGenerator model, String question, List<ChatTurn> history) throws Exception {
    return new ModelQueryRewriter(model, new RuleQueryRewriter(1), 3, Duration.ofSeconds(2), testKit.system())
        .rewrite(question, history, new ModelUsage()).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void theModelResolvesTheReferenceGivenTheRecentTurnsAndTheInstruction() throws Exception {
    List<ReplyGenerator.Request> seen = new CopyOnWriteArrayList<>();
    ReplyGenerator model = request -> {
      seen.add(request);
      return Source.from(List.<ReplyGenerator.Output>of(new ReplyGenerator.Token("已拆封摄像头的"),
          new ReplyGenerator.Token("退货期限"), new ReplyGenerator.Finished("m", 1, 1)));
    };
    assertEquals("已拆封摄像头的退货期限", rewrite(model, "那摄像头呢？", HISTORY));
    List<ChatTurn> context = seen.get(0).context();
    assertEquals(ChatTurn.system(ModelQueryRewriter.INSTRUCTION), context.get(0));
    assertEquals(HISTORY, context.subList(1, 3));
    assertEquals(ChatTurn.user("那摄像头呢？"), context.get(3));
  }

  @Test
  void aFailingOrSilentModelLeavesItToTheRuleAndStandaloneQuestionsNeedNoModel() throws Exception {
    ReplyGenerator failing = request -> Source.failed(new IllegalStateException("503"));
    assertEquals("那摄像头呢？ 退货期限", rewrite(failing, "那摄像头呢？", HISTORY));
    ReplyGenerator silent = request -> Source.single(new ReplyGenerator.Finished("m", 1, 0));
    assertEquals("那摄像头呢？ 退货期限", rewrite(silent, "那摄像头呢？", HISTORY));
    ReplyGenerator unused = request -> {
      throw new AssertionError("no model call for a first question");
    };
    assertEquals("退货期限是多久？", rewrite(unused, "退货期限是多久？", List.of()));
    // A standalone follow-up needs no model either.
    String standalone = "How long do refunds take to arrive?";
    assertEquals(standalone, rewrite(unused, standalone, HISTORY));
  }
}
