package io.voicehelper.edge.http.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.voicehelper.entities.TestClock;
import io.voicehelper.entities.identity.Role;
import io.voicehelper.entities.identity.Identity.User;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessTokensTest {

  private static final AuthSettings.Key KEY =
      new AuthSettings.Key("k1", "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));

  private static AuthSettings settings(int cacheSize) {
    return new AuthSettings("voicehelper", "voicehelper-api", Duration.ofMinutes(5), Duration.ofSeconds(30),
        List.of(KEY), Duration.ofSeconds(5), cacheSize, 100, Duration.ofSeconds(5));
  }

  private static User user() {
    return new User("u1", "t1", "someone@example.com", Role.MEMBER, false, Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Test
  void aCachedTokenStillExpires() throws Exception {
    for (int cacheSize : new int[] {0, 100}) {
      TestClock clock = new TestClock("2026-06-01T10:00:00Z");
      AccessTokens tokens = new AccessTokens(settings(cacheSize), List.of(KEY), clock);
      String token = tokens.issue(user(), 1).token();
      assertEquals("t1", tokens.verify(token).tenantId());
      assertEquals("u1", tokens.verify(token).userId());
      clock.advance(Duration.ofMinutes(5).plusSeconds(29));
      assertEquals("t1", tokens.verify(token).tenantId(), "within the allowed skew");
      clock.advance(Duration.ofSeconds(2));
      AccessTokens.InvalidToken refused = assertThrows(AccessTokens.InvalidToken.class, () -> tokens.verify(token));
      assertEquals("expired", refused.getMessage());
    }
  }

  @Test
  void aChangedByteOfACachedTokenIsAMissAndFails() throws Exception {
    AccessTokens tokens = new AccessTokens(settings(100), List.of(KEY), new TestClock("2026-06-01T10:00:00Z"));
    String token = tokens.issue(user(), 1).token();
    tokens.verify(token);
    int last = token.length() - 2;
    String tampered = token.substring(0, last) + (token.charAt(last) == 'A' ? 'B' : 'A') + token.substring(last + 1);
    assertThrows(AccessTokens.InvalidToken.class, () -> tokens.verify(tampered));
    assertEquals("u1", tokens.verify(token).userId());
  }
}
