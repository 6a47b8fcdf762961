package io.voicehelper.streams.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.voicehelper.entities.conversation.ChatTurn;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuleQueryRewriterTest {

  private final RuleQueryRewriter rewriter = new RuleQueryRewriter(0); // the default: only questions that refer back

  @Test
  void anEllipticalFollowUpGetsThePreviousQuestionsKeyTerms() {
    List<ChatTurn> history = List.of(ChatTurn.user("退货期限是多久？"), ChatTurn.assistant("30 天。"));
    assertEquals("那摄像头呢？ 退货期限", rewriter.rewriteNow("那摄像头呢？", history));
  }

  @Test
  void aPronounPointsBackEvenInALongerQuestion() {
    List<ChatTurn> history = List.of(ChatTurn.user("Tell me about the doorbell warranty"),
        ChatTurn.assistant("It lasts two years."));
    assertEquals("Does it cover water damage? doorbell warranty",
        rewriter.rewriteNow("Does it cover water damage?", history));
  }

  @Test
  void aStandaloneQuestionOrAFirstQuestionIsLeftAsItIs() {
    List<ChatTurn> history = List.of(ChatTurn.user("退货期限是多久？"), ChatTurn.assistant("30 天。"));
    assertEquals("How long do refunds take to arrive?",
        rewriter.rewriteNow("How long do refunds take to arrive?", history));
    assertEquals("那摄像头呢？", rewriter.rewriteNow("那摄像头呢？", List.of()));
  }

  @Test
  void aShortQuestionOnANewTopicStandsOnItsOwn() {
    List<ChatTurn> history = List.of(ChatTurn.user("Do you sell car insurance?"), ChatTurn.assistant("Sorry, no."));
    assertEquals("保修期是多久？", rewriter.rewriteNow("保修期是多久？", history));
    assertEquals("门铃呢？ sell car insurance", rewriter.rewriteNow("门铃呢？", history));
    assertEquals("What about the doorbell? sell car insurance", rewriter.rewriteNow("What about the doorbell?", history));
    assertEquals("Whatever you think", rewriter.rewriteNow("Whatever you think", history));
  }

  @Test
  void keyTermsLeaveOutStopWordsAndSplitChineseAtFunctionCharacters() {
    assertEquals(List.of("退货期限"), QueryTerms.phrases("退货期限是多久？"));
    assertEquals(List.of("refunds", "take", "arrive"), QueryTerms.phrases("How long do refunds take to arrive?"));
    assertEquals(java.util.Set.of("退货", "货期", "期限"), QueryTerms.terms("退货期限是多久？"));
    assertEquals(QueryTerms.terms("refunded"), QueryTerms.terms("Refunds"));
  }
}
