package io.voicehelper.entities.retrieval;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Locale;

/**
 * Settings of hybrid retrieval, read once from {@code voicehelper.retrieval} (see {@code reference.conf} for what each
 * key does, its unit and its default).
 *
 * @param candidates hits each half contributes to fusion by default (N)
 * @param topK passages a result holds by default (K)
 * @param maxCandidates the largest N a query may ask for
 * @param maxTopK the largest K a query may ask for
 * @param fusion the default fusion
 * @param rerankWindow how many fused candidates the reranker sees (at least K)
 * @param stageTimeout how long each half (embedding and vector search; keyword search) may take before the other
 *     half answers alone
 * @param maxQueryLength the longest query, in characters
 */
public record RetrievalSettings(int candidates, int topK, int maxCandidates, int maxTopK, Fusion fusion,
    int rerankWindow, Duration stageTimeout, int maxQueryLength) {

  public static final String CONFIG_PATH = "voicehelper.retrieval";

  public RetrievalSettings {
    if (maxTopK < 1 || maxTopK > 1000) throw new IllegalArgumentException(CONFIG_PATH + ".max-top-k must be 1..1000");
    if (topK < 1 || topK > maxTopK) throw new IllegalArgumentException(CONFIG_PATH + ".top-k must be 1..max-top-k");
    if (maxCandidates < 1) throw new IllegalArgumentException(CONFIG_PATH + ".max-candidates must be >= 1");
    if (candidates < 1 || candidates > maxCandidates) {
      throw new IllegalArgumentException(CONFIG_PATH + ".candidates must be 1..max-candidates");
    }
    if (rerankWindow < 1) throw new IllegalArgumentException(CONFIG_PATH + ".rerank-window must be >= 1");
    if (stageTimeout.isZero() || stageTimeout.isNegative()) {
      throw new IllegalArgumentException(CONFIG_PATH + ".stage-timeout must be positive");
    }
    if (maxQueryLength < 1) throw new IllegalArgumentException(CONFIG_PATH + ".max-query-length must be >= 1");
  }

  /** Reads the settings from the {@code voicehelper.retrieval} section. */
  public static RetrievalSettings fromConfig(Config config) {
    return new RetrievalSettings(
        config.getInt("candidates"),
        config.getInt("top-k"),
        config.getInt("max-candidates"),
        config.getInt("max-top-k"),
        fusion(config.getString("fusion"), config.getInt("rrf-k"), config.getDouble("vector-weight")),
        config.getInt("rerank-window"),
        config.getDuration("stage-timeout"),
        config.getInt("max-query-length"));
  }

  /**
   * A fusion by name: {@code rrf}, {@code weighted}, {@code vector} or {@code keyword}; {@code rrfK} and
   * {@code vectorWeight} parameterise the first two.
   */
  public static Fusion fusion(String name, int rrfK, double vectorWeight) {
    return switch (name.strip().toLowerCase(Locale.ROOT)) {
      case "rrf" -> new Fusion.ReciprocalRank(rrfK);
      case "weighted" -> new Fusion.Weighted(vectorWeight);
      case "vector" -> new Fusion.VectorOnly();
      case "keyword", "bm25" -> new Fusion.KeywordOnly();
      default -> throw new IllegalArgumentException(
          "unknown fusion '" + name + "' (expected rrf, weighted, vector or keyword)");
    };
  }
}
