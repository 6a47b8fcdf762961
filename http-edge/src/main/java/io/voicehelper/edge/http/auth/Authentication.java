package io.voicehelper.edge.http.auth;

import io.voicehelper.edge.http.internal.AccessLog;
import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.entities.identity.Accounts;
import io.voicehelper.entities.identity.Identity.ApiKey;
import io.voicehelper.entities.identity.Permission;
import io.voicehelper.entities.identity.Role;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The {@code authenticate} directive: establishes the {@link Principal} of a request from its credential alone, or
 * answers 401 (problem+json with {@code WWW-Authenticate}) before anything else runs. Credentials:
 * {@code Authorization: Bearer <access token>}, {@code Authorization: Bearer vh_...} or {@code X-API-Key: vh_...}.
 *
 * <p>Access tokens are checked locally (signature, algorithm, issuer, audience, expiry) and against the node's
 * {@link Revocations}; API keys against the node's key cache. No request needs the database once a node is warm.
 */
public final class Authentication extends AllDirectives {

  static final String REALM = "voicehelper";
  private static final int MAX_CREDENTIAL = 4096;

  private static final Logger log = LoggerFactory.getLogger(Authentication.class);

  private final Supplier<CompletionStage<AccessTokens>> loadTokens;
  private final AtomicReference<CompletableFuture<AccessTokens>> tokens;
  private final Revocations revocations;
  private final Clock clock;

  /** @param loadTokens loads the signing keys; called again on the next request if it failed */
  public Authentication(Supplier<CompletionStage<AccessTokens>> loadTokens, Revocations revocations, Clock clock) {
    this.loadTokens = loadTokens;
    this.tokens = new AtomicReference<>(loadTokens.get().toCompletableFuture());
    this.revocations = revocations;
    this.clock = clock;
  }

  /**
   * Authentication for a node: the configured signing keys or, when there are none, the development key from the
   * database; revocations read every {@code revocation-refresh-interval}.
   */
  public static Authentication start(ActorSystem<?> system, Accounts accounts, AuthSettings settings, Clock clock) {
    Supplier<CompletionStage<AccessTokens>> load;
    if (settings.keys().isEmpty()) {
      load = () -> accounts.developmentSigningKey().thenApply(key -> {
        log.warn("No access-token signing keys are configured (VOICEHELPER_JWT_KEYS): using the generated key '{}' "
            + "kept in the database. Configure keys in production.", key.kid());
        return new AccessTokens(settings, List.of(new AuthSettings.Key(key.kid(), key.secret())), clock);
      });
    } else {
      AccessTokens configured = new AccessTokens(settings, settings.keys(), clock);
      load = () -> CompletableFuture.completedFuture(configured);
    }
    Revocations revocations = new Revocations(accounts, settings, clock).start(system);
    return new Authentication(load, revocations, clock);
  }

  /** The token issuer and verifier, once the signing keys are loaded. */
  public CompletionStage<AccessTokens> tokens() {
    CompletableFuture<AccessTokens> current = tokens.get();
    if (current.isCompletedExceptionally()) {
      tokens.compareAndSet(current, loadTokens.get().toCompletableFuture());
    }
    return tokens.get();
  }

  public Revocations revocations() {
    return revocations;
  }

  /** Runs {@code inner} with the request's principal, or answers 401. */
  public Route authenticate(Function<Principal, Route> inner) {
    return extractRequest(request -> onSuccess(principal(request), principal -> {
      AccessLog.identify(request, principal.tenantId(), principal.subject());
      return inner.apply(principal);
    }));
  }

  /** Runs {@code inner} when the principal has {@code permission}, or answers 403. */
  public static Route authorize(Principal principal, Permission permission, Supplier<Route> inner) {
    if (!principal.has(permission)) {
      throw ProblemException.of(403, "forbidden", "Forbidden",
              "Your " + (principal.kind() == Principal.Kind.API_KEY ? "API key" : "role '"
                  + principal.role().wireName() + "'") + " does not allow this (it needs " + permission.wireName()
                  + ").")
          .with("requiredPermission", permission.wireName());
    }
    return inner.get();
  }

  /** Runs {@code inner} when the principal is a signed-in user (not an API key), or answers 403. */
  public static Route requireUser(Principal principal, Supplier<Route> inner) {
    if (principal.kind() != Principal.Kind.USER) {
      throw ProblemException.of(403, "forbidden", "Forbidden", "This needs a signed-in user, not an API key.");
    }
    return inner.get();
  }

  CompletionStage<Principal> principal(HttpRequest request) {
    Optional<String> apiKeyHeader = request.getHeader("X-API-Key").map(HttpHeader::value);
    Optional<String> authorization = request.getHeader("Authorization").map(HttpHeader::value);
    if (apiKeyHeader.isPresent()) {
      if (authorization.isPresent()) return failed(invalid("Send either Authorization or X-API-Key, not both."));
      return apiKey(apiKeyHeader.get().strip());
    }
    if (authorization.isEmpty()) return failed(missing());
    String value = authorization.get().strip();
    if (value.length() < 7 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return failed(invalid("Use 'Authorization: Bearer <token>'."));
    }
    return credential(value.substring(7).strip());
  }

  /**
   * The principal of a bare credential, an access token or an API key, as clients send it where they cannot set
   * headers (a browser's WebSocket); fails with the 401 problem a header with it would get.
   */
  public CompletionStage<Principal> credential(String credential) {
    if (credential == null || credential.isEmpty() || credential.length() > MAX_CREDENTIAL) {
      return failed(invalid("The token is malformed."));
    }
    if (credential.startsWith(Accounts.API_KEY_PREFIX)) return apiKey(credential);
    return tokens().thenApply(verifier -> {
      AccessTokens.Claims claims;
      try {
        claims = verifier.verify(credential);
      } catch (AccessTokens.InvalidToken e) {
        throw invalid("The access token is invalid (" + e.getMessage() + ").");
      }
      if (revocations.revoked(claims.userId(), claims.tokenVersion())) {
        throw invalid("The access token has been revoked. Refresh it or sign in again.");
      }
      return new Principal(claims.tenantId(), claims.userId(), claims.role(), claims.role().permissions(),
          Principal.Kind.USER);
    });
  }

  private CompletionStage<Principal> apiKey(String secret) {
    if (!secret.startsWith(Accounts.API_KEY_PREFIX) || secret.length() > 200) {
      return failed(invalid("The API key is malformed."));
    }
    return revocations.apiKey(secret).thenApply(found -> {
      if (found.isEmpty() || !found.get().usableAt(clock.instant())) {
        throw invalid("The API key is unknown, expired or revoked.");
      }
      ApiKey key = found.get();
      return new Principal(key.tenantId(), key.id(), Role.INTEGRATOR, key.permissions(), Principal.Kind.API_KEY);
    });
  }

  private static CompletionStage<Principal> failed(ProblemException problem) {
    return CompletableFuture.failedFuture(problem);
  }

  /** 401 for a request without any credential. */
  static ProblemException missing() {
    return ProblemException.of(401, "unauthenticated", "Authentication required",
            "Sign in and send 'Authorization: Bearer <access token>', or send an API key.")
        .withHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"" + REALM + "\""));
  }

  /** 401 for a credential that is not (or no longer) valid. */
  public static ProblemException invalid(String detail) {
    return ProblemException.of(401, "invalid-credential", "Invalid credential", detail)
        .withHeader(RawHeader.create("WWW-Authenticate",
            "Bearer realm=\"" + REALM + "\", error=\"invalid_token\", error_description=\"" + detail.replace('"', '\'')
                + "\""));
  }

  /** The client's address as Pekko HTTP sees it ({@code remote-address-attribute}), or {@code "unknown"}. */
  public static String clientIp(RemoteAddress address) {
    return address.getAddress().map(a -> a.getHostAddress()).orElse("unknown");
  }
}
