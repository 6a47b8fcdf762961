package io.voicehelper.edge.http.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.edge.http.EdgeSettings;
import io.voicehelper.edge.http.internal.Json;
import io.voicehelper.edge.http.internal.JsonBody;
import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.edge.http.internal.ProblemHandling;
import io.voicehelper.entities.identity.Accounts;
import io.voicehelper.entities.identity.Permission;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Tenant administration under {@code /api/v1/admin}: users and roles, invitations, API keys and the audit log, each
 * behind its permission, always within the principal's own tenant (another tenant's ids answer 404).
 */
public final class AdminRoutes extends AllDirectives {

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  private static final int DEFAULT_AUDIT_LIMIT = 50;

  private final Accounts accounts;
  private final Authentication authentication;
  private final EdgeSettings settings;
  private final Clock clock;
  private final Json json;
  private final JsonBody body;

  public AdminRoutes(
      ActorSystem<?> system, Accounts accounts, Authentication authentication, EdgeSettings settings, Clock clock) {
    this.accounts = accounts;
    this.authentication = authentication;
    this.settings = settings;
    this.clock = clock;
    this.json = new Json(settings.maxJsonDepth(), (int) Math.min(Integer.MAX_VALUE, settings.maxBodyBytes()));
    this.body = new JsonBody(system, json, settings.maxBodyBytes(), settings.bodyReadTimeout());
  }

  public Route route() {
    return ProblemHandling.handleFailures(
        pathPrefix(PathMatchers.segment("api").slash("v1").slash("admin"), () ->
            authentication.authenticate(principal -> extractClientIP(remote -> {
              String ip = Authentication.clientIp(remote);
              return concat(
                  path("users", () -> get(() -> Authentication.authorize(principal, Permission.USERS_READ, () ->
                      listUsers(principal, ip)))),
                  path(PathMatchers.segment("users").slash(PathMatchers.segment()), id -> patch(() ->
                      Authentication.authorize(principal, Permission.USERS_MANAGE, () ->
                          updateUser(principal, ip, id)))),
                  path("invitations", () -> post(() ->
                      Authentication.authorize(principal, Permission.INVITATIONS_MANAGE, () -> invite(principal, ip)))),
                  path("api-keys", () -> Authentication.authorize(principal, Permission.API_KEYS_MANAGE, () -> concat(
                      get(() -> listKeys(principal, ip)),
                      post(() -> createKey(principal, ip))))),
                  path(PathMatchers.segment("api-keys").slash(PathMatchers.segment()), id -> delete(() ->
                      Authentication.authorize(principal, Permission.API_KEYS_MANAGE, () ->
                          revokeKey(principal, ip, id)))),
                  path("audit", () -> get(() -> Authentication.authorize(principal, Permission.AUDIT_READ, () ->
                      audit(principal, ip)))));
            }))));
  }

  private Route listUsers(Principal principal, String ip) {
    return completeWithFuture(IdentityProblems.call(settings.askTimeout(), null,
            () -> accounts.users(principal.actor(ip)))
        .thenApply(users -> json.response(200,
            new AuthJson.Users(users.stream().map(AuthJson.UserView::of).toList()))));
  }

  private Route updateUser(Principal principal, String ip, String id) {
    requireId("user", id);
    return body.object(b -> {
      String role = JsonBody.string(b, "role");
      Boolean disabled = bool(b, "disabled");
      return completeWithFuture(IdentityProblems.call(settings.askTimeout(), id,
              () -> accounts.updateUser(principal.actor(ip), id, role, disabled))
          .thenCompose(user -> authentication.revocations().refreshNow().thenApply(d -> user))
          .thenApply(user -> json.response(200, AuthJson.UserView.of(user))));
    });
  }

  private Route invite(Principal principal, String ip) {
    return body.object(b -> completeWithFuture(IdentityProblems.call(settings.askTimeout(), null,
            () -> accounts.invite(principal.actor(ip), JsonBody.string(b, "email"), JsonBody.string(b, "role")))
        .thenApply(created -> json.response(201, new AuthJson.InvitationCreated(created.invitation().id(),
            created.invitation().email(), created.invitation().role().wireName(), created.token(),
            created.invitation().expiresAt())))));
  }

  private Route listKeys(Principal principal, String ip) {
    Instant now = clock.instant();
    return completeWithFuture(IdentityProblems.call(settings.askTimeout(), null,
            () -> accounts.apiKeys(principal.actor(ip)))
        .thenApply(keys -> json.response(200,
            new AuthJson.ApiKeys(keys.stream().map(k -> AuthJson.ApiKeyView.of(k, now)).toList()))));
  }

  private Route createKey(Principal principal, String ip) {
    return body.object(b -> {
      String name = JsonBody.string(b, "name");
      List<String> permissions = strings(b, "permissions");
      Instant expiresAt = instant(JsonBody.string(b, "expiresAt"));
      return completeWithFuture(IdentityProblems.call(settings.askTimeout(), null,
              () -> accounts.createApiKey(principal.actor(ip), name, permissions, expiresAt))
          .thenApply(created -> json.response(201, new AuthJson.ApiKeyCreated(created.key().id(),
              created.key().name(), created.secret(), created.key().prefix(),
              AuthJson.names(created.key().permissions()), created.key().createdAt(), created.key().expiresAt()))));
    });
  }

  private Route revokeKey(Principal principal, String ip, String id) {
    requireId("api-key", id);
    return completeWithFuture(IdentityProblems.call(settings.askTimeout(), id,
            () -> accounts.revokeApiKey(principal.actor(ip), id))
        .thenCompose(key -> authentication.revocations().refreshNow())
        .thenApply(d -> HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)));
  }

  private Route audit(Principal principal, String ip) {
    return parameterOptional("limit", limitParam -> {
      int limit = limit(limitParam);
      return completeWithFuture(IdentityProblems.call(settings.askTimeout(), null,
              () -> accounts.audit(principal.actor(ip), limit))
          .thenApply(entries -> json.response(200,
              new AuthJson.Audit(entries.stream().map(AuthJson.AuditView::of).toList()))));
    });
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static void requireId(String what, String id) {
    if (!ID.matcher(id).matches()) throw ProblemException.notFound(what, id.length() > 64 ? id.substring(0, 64) : id);
  }

  private static int limit(Optional<String> value) {
    if (value.isEmpty()) return DEFAULT_AUDIT_LIMIT;
    try {
      int limit = Integer.parseInt(value.get().strip());
      if (limit >= 1) return Math.min(limit, 500);
    } catch (NumberFormatException ignored) {
      // answered below
    }
    throw ProblemException.badRequest("invalid-limit", "'limit' must be a positive whole number.");
  }

  private static Boolean bool(JsonNode body, String member) {
    JsonNode value = body.get(member);
    if (value == null || value.isNull()) return null;
    if (!value.isBoolean()) throw ProblemException.badRequest("invalid-" + member, "'" + member + "' must be true or false.");
    return value.booleanValue();
  }

  private static List<String> strings(JsonNode body, String member) {
    JsonNode value = body.get(member);
    if (value == null || value.isNull()) return List.of();
    if (!value.isArray()) throw ProblemException.badRequest("invalid-" + member, "'" + member + "' must be an array.");
    List<String> items = new ArrayList<>();
    for (JsonNode item : value) {
      if (!item.isTextual()) {
        throw ProblemException.badRequest("invalid-" + member, "'" + member + "' must be an array of strings.");
      }
      items.add(item.textValue());
    }
    return items;
  }

  private static Instant instant(String value) {
    if (value == null) return null;
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ProblemException.badRequest("invalid-expiresAt",
          "'expiresAt' must be an ISO-8601 instant such as 2030-01-01T00:00:00Z.");
    }
  }
}
