package io.voicehelper.streams.generation.internal;

import dev.langchain4j.exception.HttpException;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * A non-2xx answer of the model provider: LangChain4j's {@link HttpException} (so its error mapping still works)
 * plus the wait the provider asked for with {@code retry-after-ms} / {@code Retry-After}, if any.
 */
public final class ProviderHttpException extends HttpException {

  private final String body;
  private final Duration retryAfter;

  public ProviderHttpException(int statusCode, String body, Duration retryAfter) {
    super(statusCode, body);
    this.body = body == null ? "" : body;
    this.retryAfter = retryAfter;
  }

  static ProviderHttpException of(int statusCode, HttpHeaders headers, String body) {
    return new ProviderHttpException(statusCode, body, retryAfter(headers).orElse(null));
  }

  /** The response body as the provider sent it; for logs, never for users. */
  public String body() {
    return body;
  }

  /** The wait the provider asked for, or {@code null}. */
  public Duration retryAfter() {
    return retryAfter;
  }

  static Optional<Duration> retryAfter(HttpHeaders headers) {
    Optional<String> millis = headers.firstValue("retry-after-ms");
    if (millis.isPresent()) {
      try {
        return Optional.of(Duration.ofMillis((long) Double.parseDouble(millis.get().strip())));
      } catch (NumberFormatException ignored) {
        // fall through to Retry-After
      }
    }
    return headers.firstValue("retry-after").flatMap(ProviderHttpException::parseRetryAfter);
  }

  static Optional<Duration> parseRetryAfter(String value) {
    String v = value.strip();
    try {
      return Optional.of(Duration.ofMillis((long) (Double.parseDouble(v) * 1000)));
    } catch (NumberFormatException notSeconds) {
      try {
        Duration until = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
        return Optional.of(until.isNegative() ? Duration.ZERO : until);
      } catch (DateTimeParseException notADate) {
        return Optional.empty();
      }
    }
  }
}
