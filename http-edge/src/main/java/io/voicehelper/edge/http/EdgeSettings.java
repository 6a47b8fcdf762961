package io.voicehelper.edge.http;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the HTTP edge, read once from {@code voicehelper.http} (see this module's {@code reference.conf} for
 * what each one does, its unit and its default).
 *
 * @param host interface to bind
 * @param port TCP port to bind; 0 picks a free one
 * @param terminationDeadline how long open requests and streams get on shutdown
 * @param askTimeout how long a request waits for an entity or the directory
 * @param bodyReadTimeout how long a request body may take to arrive
 * @param maxBodyBytes largest JSON request body, in bytes
 * @param maxMessageLength longest user message, in Unicode code points
 * @param maxTitleLength longest conversation title, in Unicode code points
 * @param maxJsonDepth deepest nesting of a JSON request body
 * @param maxIdempotencyKeyLength longest {@code Idempotency-Key}
 * @param sseKeepAlive interval of keep-alive comments on an idle SSE stream
 * @param sseBufferSize events buffered per SSE stream
 * @param sseSlowConsumerTimeout how long an SSE client may leave an event untaken before its stream is closed
 * @param jsonReplyTimeout how long a JSON-mode message post waits for its reply
 * @param tooManyPendingRetryAfter {@code Retry-After} of a 429
 * @param listDefaultLimit conversations listed without {@code ?limit}
 * @param listMaxLimit largest {@code ?limit}
 */
public record EdgeSettings(
    String host,
    int port,
    Duration terminationDeadline,
    Duration askTimeout,
    Duration bodyReadTimeout,
    long maxBodyBytes,
    int maxMessageLength,
    int maxTitleLength,
    int maxJsonDepth,
    int maxIdempotencyKeyLength,
    Duration sseKeepAlive,
    int sseBufferSize,
    Duration sseSlowConsumerTimeout,
    Duration jsonReplyTimeout,
    Duration tooManyPendingRetryAfter,
    int listDefaultLimit,
    int listMaxLimit) {

  public EdgeSettings {
    if (port < 0 || port > 65535) throw new IllegalArgumentException("voicehelper.http.port must be 0..65535");
    if (maxBodyBytes < 1) throw new IllegalArgumentException("voicehelper.http.limits.max-body-size must be positive");
    if (sseBufferSize < 1) throw new IllegalArgumentException("voicehelper.http.sse.buffer-size must be positive");
    if (listDefaultLimit < 1 || listDefaultLimit > listMaxLimit) {
      throw new IllegalArgumentException("voicehelper.http.list.default-limit must be between 1 and max-limit");
    }
  }

  /** Reads the settings from the {@code voicehelper.http} section. */
  public static EdgeSettings fromConfig(Config config) {
    return new EdgeSettings(
        config.getString("host"),
        config.getInt("port"),
        config.getDuration("termination-deadline"),
        config.getDuration("ask-timeout"),
        config.getDuration("body-read-timeout"),
        config.getBytes("limits.max-body-size"),
        config.getInt("limits.max-message-length"),
        config.getInt("limits.max-title-length"),
        config.getInt("limits.max-json-depth"),
        config.getInt("limits.max-idempotency-key-length"),
        config.getDuration("sse.keep-alive"),
        config.getInt("sse.buffer-size"),
        config.getDuration("sse.slow-consumer-timeout"),
        config.getDuration("json-reply-timeout"),
        config.getDuration("too-many-pending-retry-after"),
        config.getInt("list.default-limit"),
        config.getInt("list.max-limit"));
  }
}
