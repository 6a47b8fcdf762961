package io.voicehelper.edge.http;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * What the edge adds around every route, read once from {@code voicehelper.http.security}: CORS, security headers and
 * the access log.
 *
 * @param corsAllowedOrigins origins allowed to call the API from a browser ({@code *} for any); empty turns CORS off
 * @param corsMaxAge how long browsers may cache a preflight answer
 * @param hsts whether to send {@code Strict-Transport-Security} (only behind TLS)
 * @param accessLog whether to write the JSON access log
 */
public record EdgeSecurity(List<String> corsAllowedOrigins, Duration corsMaxAge, boolean hsts, boolean accessLog) {

  public static EdgeSecurity fromConfig(Config security) {
    return new EdgeSecurity(
        security.getStringList("cors.allowed-origins"),
        security.getDuration("cors.max-age"),
        security.getBoolean("hsts"),
        security.getBoolean("access-log"));
  }

  /** Everything off but the security headers: for tests and tools. */
  public static EdgeSecurity defaults() {
    return new EdgeSecurity(List.of(), Duration.ofMinutes(30), false, true);
  }
}
