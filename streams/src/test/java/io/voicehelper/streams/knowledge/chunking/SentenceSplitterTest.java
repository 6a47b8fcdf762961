package io.voicehelper.streams.knowledge.chunking;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SentenceSplitterTest {

  @Test
  void chineseSentencesEndAtFullStopsExclamationsQuestionsAndSemicolons() {
    assertEquals(
        List.of("你好。", "今天天气很好！", "真的吗？", "是的；", "他说：“明天见。”", "然后……", "他走了"),
        SentenceSplitter.split("你好。今天天气很好！真的吗？是的；他说：“明天见。”然后……他走了"));
  }

  @Test
  void repeatedMarksAndHalfWidthMarksBetweenChineseStayWithTheirSentence() {
    assertEquals(List.of("什么？！", "好的!", "走吧｡", "OK"), SentenceSplitter.split("什么？！好的!走吧｡OK"));
  }

  @Test
  void englishSentencesEndAtMarksFollowedBySpaceKeepingTheSpace() {
    assertEquals(
        List.of("It arrived! ", "Did it? ", "Yes, it did. ", "\"Great.\" ", "Thanks."),
        SentenceSplitter.split("It arrived! Did it? Yes, it did. \"Great.\" Thanks."));
  }

  @Test
  void abbreviationsInitialsAndNumbersDoNotEndSentences() {
    String text =
        "Mr. Smith paid 3.50 dollars for No. 5, e.g. The red one. Dr. J. Watson signed at 5 p.m. today. See www.example.com now.";

    assertEquals(
        List.of(
            "Mr. Smith paid 3.50 dollars for No. 5, e.g. The red one. ",
            "Dr. J. Watson signed at 5 p.m. today. ",
            "See www.example.com now."),
        SentenceSplitter.split(text));
  }

  @Test
  void aPeriodBeforeALowerCaseWordEndsNoSentence() {
    assertEquals(List.of("It costs approx. ten euros."), SentenceSplitter.split("It costs approx. ten euros."));
  }

  @Test
  void mixedChineseAndEnglish() {
    assertEquals(
        List.of("请重启路由器。", "Then wait 2 minutes. ", "如果还不行，请联系客服！"),
        SentenceSplitter.split("请重启路由器。Then wait 2 minutes. 如果还不行，请联系客服！"));
  }

  @Test
  void piecesJoinBackToTheText() {
    String text = "One. Two!  Three?\tFour… 五。六";

    assertEquals(text, String.join("", SentenceSplitter.split(text)));
  }
}
