package io.voicehelper.edge.http.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.voicehelper.entities.identity.Identity.User;
import io.voicehelper.entities.identity.Role;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Issues and verifies the access tokens: JWTs signed with HMAC-SHA256 by the newest key, verified with the key their
 * {@code kid} names. The algorithm is pinned per key, so {@code alg=none} and any other algorithm (the confusion
 * attacks) fail before a signature is even looked at. Verification is local: no database, no other node.
 */
public final class AccessTokens {

  /** The only algorithm our keys are for. */
  static final JWSAlgorithm ALGORITHM = JWSAlgorithm.HS256;

  static final String TENANT = "tid";
  static final String ROLE = "role";
  static final String VERSION = "ver";

  /** What a valid access token says. */
  public record Claims(String tenantId, String userId, Role role, int tokenVersion, Instant issuedAt) {}

  /** A new access token and its lifetime in seconds. */
  public record Issued(String token, long expiresInSeconds) {}

  /** Why a token was refused (for the {@code WWW-Authenticate} description; never more detail than this). */
  public static final class InvalidToken extends Exception {
    InvalidToken(String reason) {
      super(reason, null, false, false);
    }
  }

  private final AuthSettings settings;
  private final AuthSettings.Key signingKey;
  private final MACSigner signer;
  private final Map<String, MACVerifier> verifiers = new LinkedHashMap<>();
  private final Clock clock;
  private final Cache<String, Verified> verified;

  /** A verified token's claims and the instant (expiry plus allowed skew) until which they hold. */
  private record Verified(Claims claims, Instant validUntil) {}

  /** Tokens we issue are a few hundred characters; anything far longer is not cached. */
  private static final int MAX_CACHED_TOKEN_LENGTH = 2048;

  /** @param keys newest first: the first signs, all verify */
  public AccessTokens(AuthSettings settings, List<AuthSettings.Key> keys, Clock clock) {
    if (keys.isEmpty()) throw new IllegalArgumentException("at least one signing key is needed");
    this.settings = settings;
    this.clock = clock;
    this.signingKey = keys.get(0);
    this.verified = Caffeine.newBuilder().maximumSize(settings.verifiedTokenCacheSize())
        .expireAfterWrite(settings.accessTokenTtl().plus(settings.clockSkew())).build();
    try {
      this.signer = new MACSigner(signingKey.secret());
      for (AuthSettings.Key key : keys) verifiers.put(key.kid(), new MACVerifier(key.secret()));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable signing key: " + e.getMessage(), e);
    }
  }

  public Issued issue(User user, int tokenVersion) {
    Instant now = clock.instant();
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(settings.issuer())
        .audience(settings.audience())
        .subject(user.id())
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(settings.accessTokenTtl())))
        .jwtID(UUID.randomUUID().toString())
        .claim(TENANT, user.tenantId())
        .claim(ROLE, user.role().wireName())
        .claim(VERSION, tokenVersion)
        .build();
    JWSHeader header = new JWSHeader.Builder(ALGORITHM).keyID(signingKey.kid()).type(JOSEObjectType.JWT).build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing an access token failed", e);
    }
    return new Issued(jwt.serialize(), settings.accessTokenTtl().toSeconds());
  }

  /**
   * The claims of {@code token} if it is valid now. A token verified before is answered from a bounded cache of
   * verified tokens (keyed by the whole token, so a changed byte is a miss) after its expiry is checked again:
   * parsing and MAC verification are the largest part of an authenticated request that is refused by a limit.
   */
  public Claims verify(String token) throws InvalidToken {
    Verified cached = verified.getIfPresent(token);
    if (cached != null) {
      if (!clock.instant().isBefore(cached.validUntil())) {
        verified.invalidate(token);
        throw new InvalidToken("expired");
      }
      return cached.claims();
    }
    Verified fresh = verifyUncached(token);
    if (token.length() <= MAX_CACHED_TOKEN_LENGTH) verified.put(token, fresh);
    return fresh.claims();
  }

  private Verified verifyUncached(String token) throws InvalidToken {
    SignedJWT jwt;
    try {
      // A token with alg=none is not a JWS: parsing it fails here.
      jwt = SignedJWT.parse(token);
    } catch (ParseException e) {
      throw new InvalidToken("malformed token");
    }
    JWSHeader header = jwt.getHeader();
    if (!ALGORITHM.equals(header.getAlgorithm())) throw new InvalidToken("unexpected algorithm");
    MACVerifier verifier = header.getKeyID() == null ? null : verifiers.get(header.getKeyID());
    if (verifier == null) throw new InvalidToken("unknown key");
    try {
      if (!jwt.verify(verifier)) throw new InvalidToken("bad signature");
    } catch (JOSEException e) {
      throw new InvalidToken("bad signature");
    }
    JWTClaimsSet claims;
    try {
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new InvalidToken("malformed claims");
    }
    Instant now = clock.instant();
    if (!settings.issuer().equals(claims.getIssuer())) throw new InvalidToken("wrong issuer");
    if (claims.getAudience() == null || !claims.getAudience().contains(settings.audience())) {
      throw new InvalidToken("wrong audience");
    }
    Date exp = claims.getExpirationTime();
    if (exp == null || !now.isBefore(exp.toInstant().plus(settings.clockSkew()))) throw new InvalidToken("expired");
    Date iat = claims.getIssueTime();
    if (iat == null || iat.toInstant().isAfter(now.plus(settings.clockSkew()))) throw new InvalidToken("not yet valid");
    try {
      String tenant = claims.getStringClaim(TENANT);
      Optional<Role> role = Role.fromWireName(claims.getStringClaim(ROLE));
      Integer version = claims.getIntegerClaim(VERSION);
      if (tenant == null || claims.getSubject() == null || role.isEmpty() || version == null) {
        throw new InvalidToken("missing claims");
      }
      return new Verified(new Claims(tenant, claims.getSubject(), role.get(), version, iat.toInstant()),
          exp.toInstant().plus(settings.clockSkew()));
    } catch (ParseException e) {
      throw new InvalidToken("malformed claims");
    }
  }
}
