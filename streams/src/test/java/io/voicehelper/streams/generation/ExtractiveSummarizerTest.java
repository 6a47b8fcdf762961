package io.voicehelper.streams.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.conversation.ChatTurn;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExtractiveSummarizerTest {

  private static String summarize(ExtractiveSummarizer summarizer, String previous, List<ChatTurn> turns) {
    return summarizer.summarize(previous, turns).toCompletableFuture().join();
  }

  @Test
  void keepsTheFirstSentenceOfEachTurnWithItsRole() {
    String summary = summarize(new ExtractiveSummarizer(2000), "", List.of(
        ChatTurn.system("Summary of the earlier conversation:\nold"),
        ChatTurn.user("我的订单42还没到。已经等了三天了！"),
        ChatTurn.assistant("Sorry about that! Let me check order 42."),
        ChatTurn.user("It cost 3.5 dollars. Can I get a refund?"),
        ChatTurn.assistant("Refunds take 5 days\nto arrive."),
        ChatTurn.user("真的吗？好的")));

    assertEquals(String.join("\n",
        "User: 我的订单42还没到。",
        "Assistant: Sorry about that!",
        "User: It cost 3.5 dollars.",
        "Assistant: Refunds take 5 days",
        "User: 真的吗？"), summary);
  }

  @Test
  void foldsNewTurnsAfterThePreviousSummary() {
    String summary = summarize(new ExtractiveSummarizer(2000), "User: I am Li Lei.\nAssistant: Welcome.",
        List.of(ChatTurn.user("Order 42 is late.")));

    assertEquals("User: I am Li Lei.\nAssistant: Welcome.\nUser: Order 42 is late.", summary);
  }

  @Test
  void staysWithinItsLengthDroppingTheOldestLines() {
    List<ChatTurn> turns = new ArrayList<>();
    for (int i = 0; i < 30; i++) turns.add(ChatTurn.user("Question number " + i + " about order " + (100 + i) + "."));

    String summary = summarize(new ExtractiveSummarizer(120), "", turns);

    assertTrue(summary.length() <= 120, summary.length() + ": " + summary);
    assertTrue(summary.startsWith("…\n"), summary);
    assertTrue(summary.endsWith("User: Question number 29 about order 129."), summary);
  }

  @Test
  void cutsASingleOverlongLine() {
    String summary = summarize(new ExtractiveSummarizer(40), "", List.of(ChatTurn.user("x".repeat(100))));

    assertTrue(summary.length() <= 40, summary);
    assertTrue(summary.startsWith("…\nUser: xxx"), summary);
  }
}
