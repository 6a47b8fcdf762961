package io.voicehelper.streams.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.streams.rag.ModeRouter.Mode;
import io.voicehelper.streams.rag.ModeRouter.Route;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModeRouterTest {

  private final ModeRouter router = new ModeRouter(RagFixtures.settings());

  @Test
  void greetingsAndChitChatGoToChat() {
    for (String message : List.of("你好", "您好！", "Hello!", "hi there", "谢谢你", "Thanks a lot")) {
      Route route = router.route(message);
      assertEquals(Mode.CHAT, route.mode(), message);
      assertTrue(route.decided());
      assertTrue(route.reason().contains("chit-chat"), route.reason());
    }
  }

  @Test
  void policyProductAndHowToQuestionsGoToRag() {
    for (String message : List.of("退货政策是什么？", "你好，请问怎么退款？", "How do I return a camera?",
        "What is the warranty on the doorbell?", "hi, where is the manual?")) {
      Route route = router.route(message);
      assertEquals(Mode.RAG, route.mode(), message);
      assertTrue(route.decided(), message);
    }
  }

  @Test
  void englishKeywordsMatchWholeWordsOnly() {
    Route route = router.route("This thing is nice"); // "hi" inside "this" and "thing" is no greeting
    assertEquals(Mode.RAG, route.mode());
    assertFalse(route.decided());
  }

  @Test
  void anyOtherQuestionIsForTheDocumentsSoThatItGetsAnHonestAnswer() {
    for (String message : List.of("你们卖汽车保险吗？", "你们卖汽车保险吗", "Do you sell car insurance",
        "are you open on sundays", "门铃电池能用几个月")) {
      Route route = router.route(message);
      assertEquals(Mode.RAG, route.mode(), message);
      assertTrue(route.decided(), message);
      assertEquals("rule: a question", route.reason());
    }
    assertFalse(router.route("我的门铃坏了").decided());
    assertFalse(router.route("Whatever works for me").decided()); // "what" only as a whole word
  }

  @Test
  void longMessagesAreNoChitChatAndUnmatchedOnesAreLeftToRetrieval() {
    Route long_ = router.route("hello, I bought a doorbell last month and the battery drains within a day");
    assertFalse(long_.decided());
    Route other = router.route("摄像头夜视效果");
    assertEquals(Mode.RAG, other.mode());
    assertFalse(other.decided());
  }
}
