package io.voicehelper.edge.http.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.edge.http.EdgeSettings;
import io.voicehelper.edge.http.internal.Json;
import io.voicehelper.edge.http.internal.JsonBody;
import io.voicehelper.edge.http.internal.ProblemHandling;
import io.voicehelper.entities.identity.Accounts;
import io.voicehelper.entities.identity.Identity.Session;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Sign-up, sign-in and sessions under {@code /api/v1/auth}: {@code register}, {@code login}, {@code refresh},
 * {@code logout}, {@code me} and {@code accept-invitation}. Only {@code logout} and {@code me} need a credential.
 */
public final class AuthRoutes extends AllDirectives {

  private final Accounts accounts;
  private final Authentication authentication;
  private final EdgeSettings settings;
  private final Json json;
  private final JsonBody body;

  private final ClientThrottle throttle;

  public AuthRoutes(ActorSystem<?> system, Accounts accounts, Authentication authentication, EdgeSettings settings,
      ClientThrottle throttle) {
    this.throttle = throttle;
    this.accounts = accounts;
    this.authentication = authentication;
    this.settings = settings;
    this.json = new Json(settings.maxJsonDepth(), (int) Math.min(Integer.MAX_VALUE, settings.maxBodyBytes()));
    this.body = new JsonBody(system, json, settings.maxBodyBytes(), settings.bodyReadTimeout());
  }

  public Route route() {
    return ProblemHandling.handleFailures(
        pathPrefix(PathMatchers.segment("api").slash("v1").slash("auth"), () -> extractClientIP(remote -> {
          String ip = Authentication.clientIp(remote);
          return concat(
              path("register", () -> post(() -> throttled(ip, () -> body.object(b -> tokens(201, () ->
                  accounts.register(JsonBody.string(b, "tenantName"), JsonBody.string(b, "email"),
                      JsonBody.string(b, "password"), ip)))))),
              path("login", () -> post(() -> throttled(ip, () -> body.object(b -> tokens(200, () ->
                  accounts.login(JsonBody.string(b, "email"), JsonBody.string(b, "password"), ip)))))),
              path("refresh", () -> post(() -> throttled(ip, () -> body.object(b -> tokens(200, () ->
                  accounts.refresh(JsonBody.string(b, "refreshToken"), ip)))))),
              path("accept-invitation", () -> post(() -> throttled(ip, () -> body.object(b -> tokens(201, () ->
                  accounts.acceptInvitation(JsonBody.string(b, "token"), JsonBody.string(b, "password"), ip)))))),
              path("logout", () -> post(() -> authentication.authenticate(principal ->
                  Authentication.requireUser(principal, () -> logout(principal, ip))))),
              path("me", () -> get(() -> authentication.authenticate(principal ->
                  Authentication.requireUser(principal, () -> me(principal))))));
        })));
  }

  /** The anonymous endpoints count against the client address's attempts before any work is done. */
  private Route throttled(String ip, Supplier<Route> inner) {
    throttle.attempt(ip);
    return inner.get();
  }

  private Route tokens(int status, Supplier<CompletionStage<Session>> call) {
    CompletionStage<Session> session = IdentityProblems.call(settings.askTimeout(), null, call);
    return completeWithFuture(session.thenCombine(authentication.tokens(), (s, tokens) -> {
      AccessTokens.Issued access = tokens.issue(s.user(), s.tokenVersion());
      return json.response(status, new AuthJson.Tokens(access.token(), s.refreshToken(), "Bearer",
              access.expiresInSeconds(), s.refreshExpiresAt(), AuthJson.UserView.of(s.user()),
              AuthJson.TenantView.of(s.tenant())))
          .addHeader(RawHeader.create("Cache-Control", "no-store"));
    }));
  }

  /** The body is optional: {@code {"refreshToken": ...}} also revokes that session's refresh tokens. */
  private Route logout(Principal principal, String ip) {
    return extractRequest(request -> request.entity().isKnownEmpty()
        ? logoutWith(principal, ip, null)
        : body.object(b -> logoutWith(principal, ip, JsonBody.string(b, "refreshToken"))));
  }

  private Route logoutWith(Principal principal, String ip, String refreshToken) {
    CompletionStage<HttpResponse> done = IdentityProblems.call(settings.askTimeout(), null,
            () -> accounts.logout(principal.actor(ip), refreshToken))
        .thenCompose(d -> authentication.revocations().refreshNow())
        .thenApply(d -> HttpResponse.create().withStatus(StatusCodes.NO_CONTENT));
    return completeWithFuture(done);
  }

  private Route me(Principal principal) {
    return completeWithFuture(IdentityProblems.call(settings.askTimeout(), principal.subject(),
            () -> accounts.me(principal.tenantId(), principal.subject()))
        .thenApply(account -> json.response(200, new AuthJson.Me(AuthJson.UserView.of(account.user()),
            AuthJson.TenantView.of(account.tenant()), AuthJson.names(principal.permissions())))));
  }
}
