package io.voicehelper.streams.rag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.voicehelper.entities.retrieval.RetrievedPassage;
import io.voicehelper.streams.rag.SupportChecker.Level;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules behind the model: key-term support checks and the reading of a model's grading. */
class SupportAndGradingRulesTest {

  private static List<NumberedSource> sources() {
    List<NumberedSource> sources = new ArrayList<>();
    for (RetrievedPassage p : RagFixtures.policyPassages()) {
      sources.add(new NumberedSource(sources.size() + 1, p, "doc"));
    }
    return sources;
  }

  private static final TermSupportChecker CHECKER = new TermSupportChecker(0.6);

  @Test
  void aSentenceIsSupportedWhenTheSourceItCitesHoldsItsKeyTerms() {
    assertEquals(Level.SUPPORTED, CHECKER.checkNow(
        "From the documents: Refunds reach the original payment method within 7 working days [2].", sources()).level());
    assertEquals(Level.SUPPORTED, CHECKER.checkNow("根据知识库文档：自签收之日起 30 天内可以申请退货。 [1]", sources()).level());
    // The same sentence cited to the wrong source is not supported by it.
    assertEquals(Level.UNSUPPORTED, CHECKER.checkNow(
        "Refunds reach the original payment method within 7 working days [3].", sources()).level());
    // Without a marker every source counts.
    assertEquals(Level.SUPPORTED, CHECKER.checkNow("Delivery takes three to five days.", sources()).level());
  }

  @Test
  void someSupportedSentencesArePartialAndNoClaimIsNothingToCheck() {
    SupportChecker.Verdict partial = CHECKER.checkNow("Orders ship from Shanghai [3]. Every order includes a free "
        + "umbrella and lifetime insurance [3].", sources());
    assertEquals(Level.PARTIAL, partial.level());
    assertEquals("1 of 2 sentences found in their sources", partial.detail());
    assertEquals(Level.UNSUPPORTED, CHECKER.checkNow("Batteries are recycled in Berlin warehouses.", sources())
        .level());
    assertEquals(Level.SUPPORTED, CHECKER.checkNow("Sure!", sources()).level());
    // A time's colon is no lead-in.
    assertEquals(Level.UNSUPPORTED, CHECKER.checkNow("Support answers calls from 9:30 every weekday.", sources())
        .level());
  }

  @Test
  void theModelsGradingIsReadAsNumbersOrNone() {
    List<RetrievedPassage> passages = RagFixtures.policyPassages();
    assertEquals(List.of(passages.get(0), passages.get(2)), ModelGrader.parse("3, 1", passages, 4),
        "in retrieval order");
    assertEquals(List.of(passages.get(1)), ModelGrader.parse("Passage [2] helps; 9 does not exist.", passages, 4));
    assertEquals(List.of(passages.get(0)), ModelGrader.parse("1, 2, 3", passages, 1), "at most the limit");
    assertEquals(List.of(), ModelGrader.parse("NONE", passages, 4));
    assertEquals(List.of(), ModelGrader.parse("None of them.", passages, 4));
    assertNull(ModelGrader.parse("I am not sure.", passages, 4), "unreadable: the rule grades");
  }
}
