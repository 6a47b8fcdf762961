package io.voicehelper.streams.generation.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.exception.HttpException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Sorts a failed model call into what a user is told and whether another attempt may help: 429, 5xx, transport
 * errors and timeouts are worth a retry; 400/401/403/404 and unknown failures are not.
 */
public final class ProviderErrors {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_DETAIL = 200;

  private ProviderErrors() {}

  /** What went wrong, in words for a user, and whether retrying may help. */
  public enum Kind {
    HTTP_STATUS,
    TIMEOUT,
    CONNECTION,
    OTHER
  }

  /**
   * @param message what happened, without response bodies, keys or stack traces
   * @param retryAfter the wait the provider asked for, or {@code null}
   * @param logDetail the provider's own words (truncated), for logs only
   */
  public record ProviderError(Kind kind, boolean retriable, String message, Duration retryAfter, String logDetail) {}

  /** Classifies {@code failure} of a call to {@code baseUrl} for {@code model}. */
  public static ProviderError classify(Throwable failure, String baseUrl, String model, Duration timeout) {
    Optional<HttpException> http = find(failure, HttpException.class);
    if (http.isPresent()) return fromStatus(http.get(), baseUrl, model);
    if (find(failure, java.util.concurrent.TimeoutException.class).isPresent()
        || find(failure, HttpTimeoutException.class).isPresent()
        || find(failure, dev.langchain4j.exception.TimeoutException.class).isPresent()) {
      return new ProviderError(Kind.TIMEOUT, true,
          "the model provider did not respond within " + seconds(timeout), null, describe(failure));
    }
    Optional<Throwable> unreachable = find(failure, ConnectException.class).map(Throwable.class::cast)
        .or(() -> find(failure, UnknownHostException.class))
        .or(() -> find(failure, UnresolvedAddressException.class));
    if (unreachable.isPresent()) {
      return new ProviderError(Kind.CONNECTION, true,
          "could not connect to the model provider at " + hostOf(baseUrl) + " (" + simple(unreachable.get()) + ")",
          null, describe(failure));
    }
    Optional<IOException> io = find(failure, IOException.class);
    if (io.isPresent()) {
      return new ProviderError(Kind.CONNECTION, true,
          "the connection to the model provider at " + hostOf(baseUrl) + " failed (" + simple(io.get()) + ")",
          null, describe(failure));
    }
    return new ProviderError(Kind.OTHER, false, "the model call failed (" + simple(root(failure)) + ")", null,
        describe(failure));
  }

  private static ProviderError fromStatus(HttpException e, String baseUrl, String model) {
    int status = e.statusCode();
    String body = e instanceof ProviderHttpException p ? p.body() : String.valueOf(e.getMessage());
    Duration retryAfter = e instanceof ProviderHttpException p ? p.retryAfter() : null;
    String providerMessage = providerMessage(body);
    String log = "HTTP " + status + ": " + truncate(body.replaceAll("\\s+", " "), 500);
    return switch (status) {
      case 400 -> new ProviderError(Kind.HTTP_STATUS, false,
          "the model provider rejected the request (HTTP 400)"
              + (providerMessage.isEmpty() ? "" : ": " + providerMessage), null, log);
      case 401 -> new ProviderError(Kind.HTTP_STATUS, false,
          "the model provider rejected the API key (HTTP 401): check OPENAI_API_KEY", null, log);
      case 403 -> new ProviderError(Kind.HTTP_STATUS, false,
          "the model provider denied access (HTTP 403): check that the API key may use model '" + model + "'",
          null, log);
      case 404 -> new ProviderError(Kind.HTTP_STATUS, false,
          "the model provider returned HTTP 404: check OPENAI_BASE_URL (" + baseUrl
              + ", usually ending in /v1) and OPENAI_MODEL ('" + model + "')", null, log);
      case 429 -> new ProviderError(Kind.HTTP_STATUS, true,
          "the model provider returned HTTP 429 (rate limited)", retryAfter, log);
      case 408, 409, 425 -> new ProviderError(Kind.HTTP_STATUS, true,
          "the model provider returned HTTP " + status, retryAfter, log);
      default -> status >= 500
          ? new ProviderError(Kind.HTTP_STATUS, true, "the model provider returned HTTP " + status, retryAfter, log)
          : new ProviderError(Kind.HTTP_STATUS, false, "the model provider returned HTTP " + status
              + (providerMessage.isEmpty() ? "" : ": " + providerMessage), null, log);
    };
  }

  /** {@code error.message} of an OpenAI-style error body, one line, truncated; empty when there is none. */
  static String providerMessage(String body) {
    try {
      JsonNode node = JSON.readTree(body);
      JsonNode message = node.path("error").path("message");
      if (!message.isTextual()) message = node.path("message");
      return message.isTextual() ? truncate(message.asText().replaceAll("\\s+", " ").strip(), MAX_DETAIL) : "";
    } catch (IOException | RuntimeException notJson) {
      return "";
    }
  }

  private static <T extends Throwable> Optional<T> find(Throwable failure, Class<T> type) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = failure; t != null && seen.put(t, true) == null; t = t.getCause()) {
      if (type.isInstance(t)) return Optional.of(type.cast(t));
    }
    return Optional.empty();
  }

  private static Throwable root(Throwable failure) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    Throwable t = failure;
    while (t.getCause() != null && seen.put(t, true) == null) t = t.getCause();
    return t;
  }

  private static String simple(Throwable t) {
    String message = t.getMessage();
    return message == null || message.isBlank()
        ? t.getClass().getSimpleName()
        : truncate(message.replaceAll("\\s+", " ").strip(), MAX_DETAIL);
  }

  private static String describe(Throwable t) {
    return t.getClass().getName() + ": " + simple(t);
  }

  static String hostOf(String baseUrl) {
    try {
      URI uri = URI.create(baseUrl);
      return uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
    } catch (IllegalArgumentException e) {
      return baseUrl;
    }
  }

  /** " after 3 retries", " after 1 retry", or nothing when there was none. */
  public static String afterRetries(int retries) {
    return retries == 0 ? "" : " after " + retries + (retries == 1 ? " retry" : " retries");
  }

  /** "60s", "1.5s" or "300 ms". */
  public static String seconds(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) return ms + " ms";
    return ms % 1000 == 0 ? (ms / 1000) + "s" : String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
