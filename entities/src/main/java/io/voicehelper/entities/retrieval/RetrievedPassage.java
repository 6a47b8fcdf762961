package io.voicehelper.entities.retrieval;

import io.voicehelper.entities.knowledge.Chunk;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * One retrieved chunk with the score of every stage it went through, so that a result can be explained and tuned.
 *
 * @param chunk the passage, with its document, version, position and heading path
 * @param vectorRank its rank in the vector half (from 1), if the vector half found it
 * @param vectorScore the cosine similarity the vector store gave it
 * @param keywordRank its rank in the keyword half (from 1), if the keyword half found it
 * @param keywordScore the BM25 score the keyword store gave it
 * @param fusedScore the fusion's score (higher is better)
 * @param rerankScore the reranker's score, if a reranker ranked it
 */
public record RetrievedPassage(
    Chunk chunk,
    OptionalInt vectorRank,
    OptionalDouble vectorScore,
    OptionalInt keywordRank,
    OptionalDouble keywordScore,
    double fusedScore,
    OptionalDouble rerankScore) {

  /** The score the passage was finally ordered by. */
  public double score() {
    return rerankScore.orElse(fusedScore);
  }

  public RetrievedPassage withRerankScore(double score) {
    return new RetrievedPassage(chunk, vectorRank, vectorScore, keywordRank, keywordScore, fusedScore,
        OptionalDouble.of(score));
  }
}
