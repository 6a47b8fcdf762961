package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.entities.conversation.ScriptedReplyGenerator;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The anonymous auth endpoints are throttled per client address; signed-in requests are not affected. */
class AuthThrottleTest {

  private static EdgeTestKit kit;

  @BeforeAll
  static void start() throws Exception {
    // Four attempts at once, then one a minute: the kit's own sign-up takes the first.
    kit = EdgeTestKit.start("AuthThrottleTest", """
        voicehelper.auth.client-throttle.attempts-per-minute = 1
        voicehelper.auth.client-throttle.burst = 4
        """, ScriptedReplyGenerator.echo());
  }

  @AfterAll
  static void stop() {
    kit.close();
  }

  @Test
  void guessingFromOneAddressIsStoppedAcrossAccounts() throws Exception {
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> wrong = kit.anonymousPost("/api/v1/auth/login",
          "{\"email\":\"someone-" + i + "@example.com\",\"password\":\"not the password\"}");
      assertEquals(401, wrong.statusCode(), wrong.body());
    }
    // Even the right password is refused now, before any account is looked at.
    HttpResponse<String> refused = kit.anonymousPost("/api/v1/auth/login",
        "{\"email\":\"" + kit.owner.email() + "\",\"password\":\"" + EdgeTestKit.PASSWORD + "\"}");
    JsonNode problem = TestJson.assertProblem(refused, 429);
    assertTrue(problem.get("type").asText().endsWith("too-many-attempts"), problem.toString());
    assertTrue(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow()) >= 1);
    assertEquals(429, kit.anonymousPost("/api/v1/auth/register",
        "{\"tenantName\":\"X\",\"email\":\"x@example.com\",\"password\":\"a long password here\"}").statusCode());

    // A signed-in user is not throttled by it.
    assertEquals(200, kit.send(kit.request("/api/v1/conversations").GET().build()).statusCode());
  }
}
