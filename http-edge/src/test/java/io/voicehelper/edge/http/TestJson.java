package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.regex.Pattern;

/** JSON and problem+json assertions for the edge tests. */
final class TestJson {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** What must never reach a client: Java class names, stack frames, source positions. */
  private static final Pattern LEAK = Pattern.compile(
      "(?i)exception|throwable|\\bat [a-z]+\\.|\\.java:|java\\.|javax\\.|org\\.apache|scala\\.|jackson|io\\.voicehelper");

  private TestJson() {}

  static JsonNode read(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException("not JSON: " + json, e);
    }
  }

  /** Asserts an RFC 9457 problem with {@code status} and returns its body. */
  static JsonNode assertProblem(HttpResponse<String> response, int status) {
    String body = response.body();
    assertEquals(status, response.statusCode(), body);
    assertEquals("application/problem+json",
        response.headers().firstValue("Content-Type").orElse("").split(";")[0].trim(), body);
    JsonNode problem = read(body);
    assertEquals(status, problem.get("status").asInt(), body);
    for (String member : new String[] {"type", "title", "detail", "instance"}) {
      assertTrue(problem.hasNonNull(member) && !problem.get(member).asText().isBlank(), member + " in " + body);
    }
    assertTrue(response.headers().firstValue("X-Request-Id").isPresent(), "X-Request-Id");
    assertFalse(LEAK.matcher(body).find(), "internal details leaked: " + body);
    return problem;
  }
}
