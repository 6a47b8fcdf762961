package io.voicehelper.edge.http.retrieval;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** The JSON bodies of the retrieval API (docs/retrieval-api.md). */
final class RetrievalJson {

  private RetrievalJson() {}

  /** A stage that did not rank a passage has no score for it: {@code null}. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  record Scores(Double vector, Integer vectorRank, Double keyword, Integer keywordRank, double fused, Double rerank) {}

  record Passage(int rank, String chunkId, String collectionId, String documentId, String documentName, int version,
      int position, List<String> headingPath, Map<String, String> metadata, String text, double score,
      Scores scores) {}

  record Timings(double embedMs, double vectorMs, double keywordMs, double rerankMs, double totalMs) {}

  record Response(List<Passage> results, String mode, List<String> degraded, String fusion, String reranker,
      boolean cached, Timings timings) {}
}
