package io.voicehelper.streams.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SynonymsTest {

  private final Synonyms synonyms = new Synonyms(List.of(List.of("退货", "退换"),
      List.of("refund", "money back", "reimbursement"), List.of("lonely")));

  @Test
  void aQueryNamingOneMemberGetsTheOthers() {
    assertEquals("可以退换吗 退货", synonyms.expand("可以退换吗"));
    assertEquals("How do I get my Money Back? refund reimbursement", synonyms.expand("How do I get my Money Back?"));
  }

  @Test
  void otherQueriesStayAsTheyAre() {
    assertEquals("Where is my parcel?", synonyms.expand("Where is my parcel?"));
    assertEquals("lonely", synonyms.expand("lonely"));
  }

  @Test
  void theDefaultListExpandsReturnsAndRefunds() {
    Synonyms defaults = new Synonyms(RagFixtures.settings().synonyms());
    assertEquals("退换期限 退货 退回", defaults.expand("退换期限"));
  }
}
