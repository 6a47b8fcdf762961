package io.voicehelper.edge.http.auth;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Settings of authentication at the edge, read once from {@code voicehelper.auth} (see this module's
 * {@code reference.conf} for each key's meaning, unit and default).
 *
 * @param issuer {@code iss} of issued tokens, the only one accepted
 * @param audience {@code aud} of issued tokens, the only one accepted
 * @param accessTokenTtl lifetime of an access token
 * @param clockSkew tolerated clock difference between nodes
 * @param keys configured signing keys, newest (the signing one) first; empty: a generated key from the database
 * @param revocationRefreshInterval how often a node reads revocations
 * @param verifiedTokenCacheSize verified access tokens remembered per node (0: none)
 * @param apiKeyNegativeCacheSize unknown API keys remembered per node
 * @param apiKeyNegativeCacheTtl how long an unknown API key is remembered
 */
public record AuthSettings(
    String issuer,
    String audience,
    Duration accessTokenTtl,
    Duration clockSkew,
    List<Key> keys,
    Duration revocationRefreshInterval,
    int verifiedTokenCacheSize,
    int apiKeyNegativeCacheSize,
    Duration apiKeyNegativeCacheTtl) {

  /** An HMAC-SHA256 key with its {@code kid}. */
  public record Key(String kid, byte[] secret) {
    public Key {
      if (kid.isBlank() || kid.length() > 64) throw new IllegalArgumentException("a key id must be 1-64 characters");
      if (secret.length < 32) {
        throw new IllegalArgumentException("the secret of key '" + kid + "' must be at least 32 bytes (256 bits)");
      }
    }
  }

  public AuthSettings {
    keys = List.copyOf(keys);
    if (accessTokenTtl.isNegative() || accessTokenTtl.isZero()) {
      throw new IllegalArgumentException("voicehelper.auth.tokens.access-token-ttl must be positive");
    }
    if (revocationRefreshInterval.isNegative() || revocationRefreshInterval.isZero()) {
      throw new IllegalArgumentException("voicehelper.auth.tokens.revocation-refresh-interval must be positive");
    }
    if (verifiedTokenCacheSize < 0) {
      throw new IllegalArgumentException("voicehelper.auth.tokens.verified-cache-size must not be negative");
    }
    Set<String> kids = new HashSet<>();
    for (Key k : keys) {
      if (!kids.add(k.kid())) throw new IllegalArgumentException("key id '" + k.kid() + "' appears twice");
    }
  }

  /** Reads the {@code voicehelper.auth} section. */
  public static AuthSettings fromConfig(Config config) {
    Config tokens = config.getConfig("tokens");
    Config apiKeys = config.getConfig("api-keys");
    return new AuthSettings(
        tokens.getString("issuer"),
        tokens.getString("audience"),
        tokens.getDuration("access-token-ttl"),
        tokens.getDuration("clock-skew"),
        parseKeys(tokens.getString("keys")),
        tokens.getDuration("revocation-refresh-interval"),
        tokens.getInt("verified-cache-size"),
        apiKeys.getInt("negative-cache-size"),
        apiKeys.getDuration("negative-cache-ttl"));
  }

  /** {@code "kid1:base64,kid2:base64"}; the secret is standard or URL-safe base64. Never logs a secret. */
  public static List<Key> parseKeys(String value) {
    List<Key> keys = new ArrayList<>();
    for (String entry : value.split(",")) {
      String e = entry.strip();
      if (e.isEmpty()) continue;
      int colon = e.indexOf(':');
      if (colon < 1) {
        throw new IllegalArgumentException(
            "voicehelper.auth.tokens.keys (VOICEHELPER_JWT_KEYS) must be kid:base64secret entries");
      }
      String secret = e.substring(colon + 1).strip();
      byte[] bytes;
      try {
        bytes = secret.contains("-") || secret.contains("_")
            ? Base64.getUrlDecoder().decode(secret) : Base64.getDecoder().decode(secret);
      } catch (IllegalArgumentException notBase64) {
        throw new IllegalArgumentException("the secret of key '" + e.substring(0, colon) + "' is not base64");
      }
      keys.add(new Key(e.substring(0, colon).strip(), bytes));
    }
    return keys;
  }
}
