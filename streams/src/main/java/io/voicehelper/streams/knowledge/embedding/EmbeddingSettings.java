package io.voicehelper.streams.knowledge.embedding;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Locale;

/**
 * Settings of the embedding model, read once from {@code voicehelper.knowledge.embedding} (see
 * {@code reference.conf} for what each key does, its unit and its default).
 *
 * @param provider which model embeds
 * @param batchSize texts per model call
 * @param openAi the OpenAI-compatible endpoint, used when {@code provider} is {@link Provider#OPENAI}
 */
public record EmbeddingSettings(Provider provider, int batchSize, OpenAi openAi) {

  /** The config path these settings are read from. */
  public static final String CONFIG_PATH = "voicehelper.knowledge.embedding";

  /** Which model embeds. */
  public enum Provider {
    /** {@code bge-small-zh-v1.5} (quantized, 512-d) in this JVM through ONNX Runtime. */
    IN_PROCESS,
    /** Any server speaking OpenAI's {@code POST /v1/embeddings}. */
    OPENAI
  }

  /**
   * An OpenAI-compatible embeddings endpoint.
   *
   * @param baseUrl up to and including the version path ({@code .../v1})
   * @param apiKey the bearer key, empty when the server needs none; never printed by {@link #toString()}
   * @param model the model name sent with each request
   * @param dimensions the length of the vectors the model returns; a response of another length fails
   * @param sendDimensions whether {@code dimensions} is sent with the request (models that can shorten their
   *     vectors, such as {@code text-embedding-3-*}); some servers refuse the parameter
   * @param timeout how long one call may take, as a whole
   * @param maxRetries retries of a call that failed with HTTP 429, 5xx, a transport error or a timeout
   * @param retryBackoff wait before the first retry, doubled for each further one
   */
  public record OpenAi(String baseUrl, String apiKey, String model, int dimensions, boolean sendDimensions,
      Duration timeout, int maxRetries, Duration retryBackoff) {

    public OpenAi {
      baseUrl = baseUrl == null ? "" : baseUrl.strip();
      apiKey = apiKey == null ? "" : apiKey.strip();
      if (dimensions < 1) throw new IllegalArgumentException(CONFIG_PATH + ".openai.dimensions must be >= 1");
      if (maxRetries < 0) throw new IllegalArgumentException(CONFIG_PATH + ".openai.max-retries must be >= 0");
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException(CONFIG_PATH + ".openai.timeout must be positive");
      }
    }

    /** The wait before retry number {@code retry} (0-based): the backoff doubled per retry. */
    public Duration backoff(int retry) {
      return retryBackoff.multipliedBy(1L << Math.min(retry, 20));
    }

    /** Like the record's own, but the API key is masked so that the settings can be logged. */
    @Override
    public String toString() {
      return "OpenAi[baseUrl=" + baseUrl + ", apiKey=" + (apiKey.isEmpty() ? "" : "***") + ", model=" + model
          + ", dimensions=" + dimensions + ", sendDimensions=" + sendDimensions + ", timeout=" + timeout
          + ", maxRetries=" + maxRetries + ", retryBackoff=" + retryBackoff + "]";
    }
  }

  public EmbeddingSettings {
    if (batchSize < 1) throw new IllegalArgumentException(CONFIG_PATH + ".batch-size must be >= 1");
    if (provider == Provider.OPENAI && openAi.baseUrl().isEmpty()) {
      throw new IllegalArgumentException(CONFIG_PATH + ".provider = openai needs " + CONFIG_PATH
          + ".openai.base-url (VOICEHELPER_EMBEDDING_BASE_URL)");
    }
  }

  /** Reads the settings from the {@code voicehelper.knowledge.embedding} section. */
  public static EmbeddingSettings fromConfig(Config config) {
    String name = config.getString("provider").strip().toLowerCase(Locale.ROOT);
    Provider provider = switch (name) {
      case "in-process" -> Provider.IN_PROCESS;
      case "openai", "openai-compatible" -> Provider.OPENAI;
      default -> throw new IllegalArgumentException(
          CONFIG_PATH + ".provider must be in-process or openai, not " + name);
    };
    Config openAi = config.getConfig("openai");
    return new EmbeddingSettings(provider, config.getInt("batch-size"), new OpenAi(
        openAi.getString("base-url"),
        openAi.getString("api-key"),
        openAi.getString("model"),
        openAi.getInt("dimensions"),
        openAi.getBoolean("send-dimensions"),
        openAi.getDuration("timeout"),
        openAi.getInt("max-retries"),
        openAi.getDuration("retry-backoff")));
  }
}
