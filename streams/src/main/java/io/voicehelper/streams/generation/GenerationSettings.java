package io.voicehelper.streams.generation;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Locale;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Settings of the language-model adapters, read once from {@code voicehelper.llm} (see {@code reference.conf} for
 * what each key does, its unit and its default).
 *
 * @param provider which adapter answers, already resolved from {@code auto}
 * @param baseUrl the OpenAI-compatible API's base URL including the version path ({@code .../v1}); empty for none
 * @param apiKey the bearer key, empty when the server needs none; never printed by {@link #toString()}
 * @param model the model name sent with each request
 * @param timeout how long a call may wait for its first token and for each next one
 * @param connectTimeout how long opening a connection may take
 * @param maxRetries retries of a call that failed before its first token
 * @param retryBackoff wait before the first retry, doubled for each further one
 * @param maxRetryDelay upper bound on a wait asked for with {@code Retry-After}
 * @param temperature sampling temperature, {@code null} for the provider's default
 * @param maxOutputTokens most tokens of a reply, {@code null} for the provider's default
 * @param summaryMaxOutputTokens most tokens of a context summary, {@code null} for the provider's default
 * @param systemPrompt put before every conversation's context; empty for none
 * @param streamBuffer tokens held between the HTTP stream and the reply's consumer
 * @param templateTokensPerSecond pace of the template reply when no model is configured
 * @param extractiveSummaryMaxChars longest summary the no-model summarizer keeps
 */
public record GenerationSettings(
    Provider provider,
    String baseUrl,
    String apiKey,
    String model,
    Duration timeout,
    Duration connectTimeout,
    int maxRetries,
    Duration retryBackoff,
    Duration maxRetryDelay,
    Double temperature,
    Integer maxOutputTokens,
    Integer summaryMaxOutputTokens,
    String systemPrompt,
    int streamBuffer,
    int templateTokensPerSecond,
    int extractiveSummaryMaxChars) {

  /** The config path these settings are read from. */
  public static final String CONFIG_PATH = "voicehelper.llm";

  /** Used when only an API key is configured. */
  public static final String OPENAI_BASE_URL = "https://api.openai.com/v1";

  /** Which adapter answers. */
  public enum Provider {
    /** An OpenAI-compatible chat-completions endpoint through LangChain4j. */
    OPENAI_COMPATIBLE,
    /** No model: labelled template replies and extractive summaries. */
    NONE
  }

  public GenerationSettings {
    if (maxRetries < 0) throw new IllegalArgumentException(CONFIG_PATH + ".max-retries must be >= 0");
    if (streamBuffer < 1) throw new IllegalArgumentException(CONFIG_PATH + ".stream-buffer must be >= 1");
    if (templateTokensPerSecond < 0) {
      throw new IllegalArgumentException(CONFIG_PATH + ".template.tokens-per-second must be >= 0");
    }
    if (extractiveSummaryMaxChars < 20) {
      throw new IllegalArgumentException(CONFIG_PATH + ".extractive-summary.max-chars must be >= 20");
    }
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException(CONFIG_PATH + ".timeout must be positive");
    }
    baseUrl = baseUrl == null ? "" : baseUrl.strip();
    apiKey = apiKey == null ? "" : apiKey.strip();
    systemPrompt = systemPrompt == null ? "" : systemPrompt.strip();
    if (provider == Provider.OPENAI_COMPATIBLE && baseUrl.isEmpty()) {
      throw new IllegalArgumentException(
          CONFIG_PATH + ".provider = openai-compatible needs " + CONFIG_PATH + ".base-url (OPENAI_BASE_URL)");
    }
  }

  /** Reads the settings of the system's {@code voicehelper.llm}. */
  public static GenerationSettings fromSystem(ActorSystem<?> system) {
    return fromConfig(system.settings().config().getConfig(CONFIG_PATH));
  }

  /** Reads the settings from the {@code voicehelper.llm} section. */
  public static GenerationSettings fromConfig(Config config) {
    String baseUrl = config.getString("base-url").strip();
    String apiKey = config.getString("api-key").strip();
    String providerName = config.getString("provider").strip().toLowerCase(Locale.ROOT);
    Provider provider =
        switch (providerName) {
          case "openai-compatible", "openai" -> Provider.OPENAI_COMPATIBLE;
          case "none" -> Provider.NONE;
          case "auto", "" -> baseUrl.isEmpty() && apiKey.isEmpty() ? Provider.NONE : Provider.OPENAI_COMPATIBLE;
          default ->
              throw new IllegalArgumentException(
                  CONFIG_PATH + ".provider must be auto, openai-compatible or none, not " + providerName);
        };
    if (provider == Provider.OPENAI_COMPATIBLE && baseUrl.isEmpty()) baseUrl = OPENAI_BASE_URL;
    int maxOutputTokens = config.getInt("max-output-tokens");
    int summaryMaxOutputTokens = config.getInt("summary-max-output-tokens");
    return new GenerationSettings(
        provider,
        baseUrl,
        apiKey,
        config.getString("model"),
        config.getDuration("timeout"),
        config.getDuration("connect-timeout"),
        config.getInt("max-retries"),
        config.getDuration("retry-backoff"),
        config.getDuration("max-retry-delay"),
        config.getIsNull("temperature") ? null : config.getDouble("temperature"),
        maxOutputTokens > 0 ? maxOutputTokens : null,
        summaryMaxOutputTokens > 0 ? summaryMaxOutputTokens : null,
        config.getString("system-prompt"),
        config.getInt("stream-buffer"),
        config.getInt("template.tokens-per-second"),
        config.getInt("extractive-summary.max-chars"));
  }

  /** The wait before retry number {@code retry} (0-based): the backoff doubled per retry. */
  public Duration backoff(int retry) {
    return retryBackoff.multipliedBy(1L << Math.min(retry, 20));
  }

  /**
   * The wait before retry number {@code retry} (0-based): the backoff, or the provider's {@code Retry-After}
   * (capped at {@code max-retry-delay}) when that is longer.
   */
  public Duration retryDelay(int retry, Duration retryAfter) {
    Duration delay = backoff(retry);
    if (retryAfter == null) return delay;
    Duration asked = retryAfter.compareTo(maxRetryDelay) > 0 ? maxRetryDelay : retryAfter;
    return asked.compareTo(delay) > 0 ? asked : delay;
  }

  /** A human-readable description of where replies come from, for start-up logs. */
  public String describe() {
    return provider == Provider.NONE
        ? "no language model (template replies; set OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL to use one)"
        : "OpenAI-compatible model '" + model + "' at " + baseUrl + (apiKey.isEmpty() ? " (no API key)" : "");
  }

  /** Like the record's own, but the API key is masked so that the settings can be logged. */
  @Override
  public String toString() {
    return "GenerationSettings[provider=" + provider + ", baseUrl=" + baseUrl
        + ", apiKey=" + (apiKey.isEmpty() ? "" : "***") + ", model=" + model + ", timeout=" + timeout
        + ", connectTimeout=" + connectTimeout + ", maxRetries=" + maxRetries + ", retryBackoff=" + retryBackoff
        + ", maxRetryDelay=" + maxRetryDelay + ", temperature=" + temperature + ", maxOutputTokens="
        + maxOutputTokens + ", summaryMaxOutputTokens=" + summaryMaxOutputTokens + ", systemPrompt="
        + systemPrompt.length() + " chars, streamBuffer=" + streamBuffer + ", templateTokensPerSecond="
        + templateTokensPerSecond + ", extractiveSummaryMaxChars=" + extractiveSummaryMaxChars + "]";
  }
}
