package io.voicehelper.cluster.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.voicehelper.cluster.eval.AnswerEvaluation.Report;
import io.voicehelper.streams.rag.RagSettings;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user without a language model gets from the sample knowledge base must not get worse: the answer accuracy
 * ({@link AnswerEvaluation}: right citations plus honest refusals) with the default settings stays within 0.02 of the
 * figures the evaluation command recorded ({@code sample-kb-eval/answers-recorded.json}), overall and per language.
 */
class AnswerQualityRegressionTest {

  private static final double BELOW_RECORDED = 0.02;

  @TempDir Path dir;

  @Test
  void answerAccuracyStaysAtItsRecordedFigures() throws Exception {
    JsonNode recorded;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("sample-kb-eval/answers-recorded.json")) {
      if (in == null) throw new IllegalStateException("no recorded figures: run " + AnswerEvaluationCommand.COMMAND);
      recorded = new ObjectMapper().readTree(in);
    }
    RagSettings settings = AnswerEvaluation.settings("");
    assertEquals(recorded.get("minSimilarity").asDouble() + " / " + recorded.get("minTermCoverage").asDouble() + " / "
            + recorded.get("minSentenceSimilarity").asDouble(),
        settings.minSimilarity() + " / " + settings.minTermCoverage() + " / " + settings.minSentenceSimilarity(),
        "the default thresholds changed: run " + AnswerEvaluationCommand.COMMAND + " to record their figures");
    ActorTestKit kit = ActorTestKit.create("answer-quality");
    try (SampleKbEvaluation eval = SampleKbEvaluation.open(dir)) {
      Report report = new AnswerEvaluation(eval, kit.system()).run(settings, Optional.empty());
      System.out.println("answers: " + AnswerEvaluation.describe(report.all()));
      List<String> failures = new ArrayList<>();
      for (Map.Entry<String, Double> scope : Map.of("zh", report.zh().accuracy(), "en", report.en().accuracy(),
          "all", report.all().accuracy()).entrySet()) {
        double floor = recorded.at("/accuracy/" + scope.getKey()).asDouble() - BELOW_RECORDED;
        if (scope.getValue() < floor) {
          failures.add(String.format(Locale.ROOT, "answer accuracy (%s) is %.4f, below the recorded floor %.4f",
              scope.getKey(), scope.getValue(), floor));
        }
      }
      assertTrue(failures.isEmpty(), String.join("\n", failures));
    } finally {
      kit.shutdownTestKit();
    }
  }
}
