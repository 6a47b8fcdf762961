package io.voicehelper.streams.retrieval;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.scoring.onnx.OnnxScoringModel;
import dev.langchain4j.model.scoring.ScoringModel;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Rerank by a cross-encoder scored in process (LangChain4j's {@link ScoringModel}; by configuration an ONNX model
 * such as bge-reranker, run by ONNX Runtime): each (question, passage) pair gets a relevance score, and the passages
 * are ordered by it. Scoring blocks, so it runs on the given executor.
 */
public final class CrossEncoderReranker implements Reranker {

  private final ScoringModel model;
  private final String name;
  private final Executor blocking;

  public CrossEncoderReranker(ScoringModel model, String name, Executor blocking) {
    this.model = model;
    this.name = name;
    this.blocking = blocking;
  }

  /**
   * An ONNX cross-encoder from the user's files: {@code model.onnx} and the HuggingFace {@code tokenizer.json}. No
   * weights ship with VoiceHelper; a missing file fails at start with the path it looked for.
   */
  public static CrossEncoderReranker onnx(Path modelFile, Path tokenizerFile, int maxLength, Executor blocking) {
    for (Path file : List.of(modelFile, tokenizerFile)) {
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException("the cross-encoder file " + file.toAbsolutePath() + " is missing or "
            + "unreadable (voicehelper.retrieval.rerank.cross-encoder.model-path / tokenizer-path)");
      }
    }
    ScoringModel model = new OnnxScoringModel(modelFile.toString(), tokenizerFile.toString(), maxLength);
    return new CrossEncoderReranker(model, "cross-encoder:" + modelFile.getFileName(), blocking);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CompletionStage<List<RetrievedPassage>> rerank(String query, List<RetrievedPassage> passages) {
    return CompletableFuture.supplyAsync(() -> {
      List<TextSegment> segments = passages.stream().map(p -> TextSegment.from(p.chunk().text())).toList();
      List<Double> scores = model.scoreAll(segments, query).content();
      if (scores == null || scores.size() != passages.size()) {
        throw new IllegalStateException("the cross-encoder returned " + (scores == null ? 0 : scores.size())
            + " scores for " + passages.size() + " passages");
      }
      List<RetrievedPassage> scored = new ArrayList<>(passages.size());
      for (int i = 0; i < passages.size(); i++) scored.add(passages.get(i).withRerankScore(scores.get(i)));
      // Stable: equal scores keep the fusion order.
      scored.sort(Comparator.comparingDouble((RetrievedPassage p) -> p.rerankScore().getAsDouble()).reversed());
      return scored;
    }, blocking);
  }
}
