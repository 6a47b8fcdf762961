package io.voicehelper.streams.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExtractiveAnswererTest {

  private final ExtractiveAnswerer answerer = new ExtractiveAnswerer(3);
  private final List<NumberedSource> sources = List.of(
      new NumberedSource(1, RagFixtures.policyPassages().get(2), "shipping.md"),
      new NumberedSource(2, RagFixtures.policyPassages().get(1), "returns.md"),
      new NumberedSource(3, RagFixtures.policyPassages().get(0), "returns.md"));

  @Test
  void quotesTheSentenceThatAnswersWithItsSourceNumber() {
    ExtractiveAnswerer.Answer answer = answerer.answerByTerms("退货期限是多久？", "退货期限是多久？", sources);
    assertEquals(ExtractiveAnswerer.INTRO_ZH + "自签收之日起 30 天内可以申请退货。 [3]", answer.text());
    assertEquals(Set.of(3), answer.cited());
  }

  @Test
  void englishQuestionsGetTheEnglishSentence() {
    ExtractiveAnswerer.Answer answer = answerer.answerByTerms("How long do refunds take?", "How long do refunds take?",
        sources);
    assertTrue(answer.text().startsWith(ExtractiveAnswerer.INTRO_EN
        + " Refunds reach the original payment method within 7 working days. [2]"), answer.text());
    assertFalse(answer.text().contains("Shanghai"));
    assertEquals(Set.of(2), answer.cited());
  }

  @Test
  void saysHonestlyWhenNoSentenceMatches() {
    ExtractiveAnswerer.Answer zh = answerer.answerByTerms("门铃怎么连接无线网络？", "门铃怎么连接无线网络？", sources);
    assertFalse(zh.covered());
    assertEquals(ExtractiveAnswerer.NOT_COVERED_ZH, zh.text());
    ExtractiveAnswerer.Answer en = answerer.answerByTerms("How do I pair the doorbell with WiFi?",
        "How do I pair the doorbell with WiFi?", sources);
    assertEquals(ExtractiveAnswerer.NOT_COVERED_EN, en.text());
    assertTrue(en.cited().isEmpty());
  }

  @Test
  void splitsChineseAndEnglishSentencesWithoutHeadings() {
    assertEquals(List.of("自签收之日起 30 天内可以申请退货。", "已拆封的摄像头为 15 天！", "Refunds take 7 days.",
        "Ask us."), ExtractiveAnswerer.sentences("# 退货\n自签收之日起 30 天内可以申请退货。已拆封的摄像头为 15 天！\n"
        + "- Refunds take 7 days. Ask us."));
  }
}
