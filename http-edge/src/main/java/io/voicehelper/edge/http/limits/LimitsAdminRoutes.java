package io.voicehelper.edge.http.limits;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.edge.http.internal.Json;
import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.edge.http.internal.ProblemHandling;
import io.voicehelper.entities.conversation.Rejection;
import io.voicehelper.entities.limits.LimitOverrides;
import io.voicehelper.entities.limits.LimitsClient;
import io.voicehelper.entities.limits.TenantLimiterEntity;
import io.voicehelper.entities.limits.TenantLimits;
import io.voicehelper.entities.limits.TenantLimitsEntity;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.StreamLimitReachedException;
import org.apache.pekko.util.ByteString;

/**
 * The admin API of a tenant's limits, at {@code /api/v1/admin/limits}: read the limits in force and the usage of the
 * period, and set the tenant's own limits.
 *
 * <ul>
 *   <li>{@code GET /api/v1/admin/limits}: limits, which of them are overridden, token usage, active streams.
 *   <li>{@code GET /api/v1/admin/limits/usage}: token usage and active streams only.
 *   <li>{@code PATCH /api/v1/admin/limits}: JSON merge patch of the overrides: a member sets that limit, {@code null}
 *       returns it to the default, an absent member leaves it as it is.
 *   <li>{@code PUT /api/v1/admin/limits}: replaces the overrides; absent members return to the defaults.
 * </ul>
 *
 * <p>The caller decides who the tenant is and whether they may manage its limits (authentication lives elsewhere);
 * every change is recorded with {@code actor} by {@link TenantLimitsEntity} and reported to its auditor.
 */
public final class LimitsAdminRoutes extends AllDirectives {

  static final String PATH = "/api/v1/admin/limits";
  private static final List<String> MEMBERS = List.of("requestsPerSecond", "burst", "userRequestsPerSecond",
      "userBurst", "maxConcurrentStreams", "tokenQuota");
  private static final long MAX_BODY = 4096;
  private static final Duration BODY_TIMEOUT = Duration.ofSeconds(5);

  private final LimitsClient client;
  private final Json json = new Json(4, 256);

  public LimitsAdminRoutes(LimitsClient client) {
    this.client = client;
  }

  /** The routes for {@code tenantId}; without {@code mayManage} every request is 403. Changes are recorded as "admin". */
  public Route route(String tenantId, boolean mayManage) {
    return route(tenantId, "admin", mayManage);
  }

  /** The routes for {@code tenantId}, recording {@code actor} (a user id) as the author of changes. */
  public Route route(String tenantId, String actor, boolean mayManage) {
    return ProblemHandling.handleFailures(
        pathPrefix(PathMatchers.segment("api").slash("v1").slash("admin").slash("limits"), () -> {
          if (!mayManage) {
            return failWith(ProblemException.of(403, "forbidden", "Forbidden",
                "Managing the limits of this organization needs the permission to manage it."));
          }
          return concat(
              pathEndOrSingleSlash(() -> concat(
                  get(() -> show(tenantId)),
                  patch(() -> body(node -> set(tenantId, actor, node, true))),
                  put(() -> body(node -> set(tenantId, actor, node, false))))),
              path("usage", () -> get(() -> completeWithFuture(usage(tenantId).thenApply(u -> json.response(200, u))))));
        }));
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** The limits of a tenant as the API shows them; {@code overridden} names the members that are the tenant's own. */
  public record LimitsBody(
      String tenant,
      double requestsPerSecond,
      int burst,
      double userRequestsPerSecond,
      int userBurst,
      int maxConcurrentStreams,
      long tokenQuota,
      List<String> overridden,
      UsageBody usage) {}

  /** Usage in the current period; {@code activeStreams} is null when the limiter did not answer. */
  public record UsageBody(
      String period,
      Instant periodStart,
      Instant resetsAt,
      long tokenQuota,
      long tokensUsed,
      long tokensReserved,
      Long tokensRemaining,
      Integer activeStreams) {}

  private Route show(String tenantId) {
    return completeWithFuture(client.limits(tenantId).handle(this::orProblem)
        .thenCombine(usage(tenantId), (view, usage) -> json.response(200, body(view, usage))));
  }

  private CompletionStage<UsageBody> usage(String tenantId) {
    CompletionStage<TenantLimitsEntity.Usage> tokens = client.usage(tenantId).handle(this::orProblem);
    CompletionStage<Optional<TenantLimiterEntity.LimiterStatus>> streams = client.limiterStatus(tenantId)
        .handle((status, failure) -> Optional.ofNullable(failure == null ? status : null));
    return tokens.thenCombine(streams, (u, s) -> new UsageBody(u.period(), u.periodStart(), u.resetsAt(), u.quota(),
        u.used(), u.reserved(), u.quota() < 0 ? null : Math.max(0, u.quota() - u.used() - u.reserved()),
        s.map(TenantLimiterEntity.LimiterStatus::activeStreams).orElse(null)));
  }

  private static LimitsBody body(TenantLimitsEntity.LimitsView view, UsageBody usage) {
    TenantLimits l = view.limits();
    LimitOverrides o = view.overrides();
    List<String> overridden = new java.util.ArrayList<>();
    Object[] values = {o.requestsPerSecond(), o.burst(), o.userRequestsPerSecond(), o.userBurst(),
        o.maxConcurrentStreams(), o.tokenQuota()};
    for (int i = 0; i < MEMBERS.size(); i++) if (values[i] != null) overridden.add(MEMBERS.get(i));
    return new LimitsBody(view.tenantId(), l.requestsPerSecond(), l.burst(), l.userRequestsPerSecond(), l.userBurst(),
        l.maxConcurrentStreams(), l.tokenQuota(), List.copyOf(overridden), usage);
  }

  private Route set(String tenantId, String actor, JsonNode body, boolean merge) {
    if (!body.isObject()) throw ProblemException.badRequest("invalid-body", "The request body must be a JSON object.");
    Iterator<String> names = body.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!MEMBERS.contains(name)) {
        throw ProblemException.badRequest("unknown-limit",
            "'" + name + "' is not a limit. Known limits: " + String.join(", ", MEMBERS) + ".");
      }
    }
    CompletionStage<LimitOverrides> base = merge
        ? client.limits(tenantId).handle(this::orProblem).thenApply(TenantLimitsEntity.LimitsView::overrides)
        : CompletableFuture.completedFuture(LimitOverrides.NONE);
    CompletionStage<HttpResponse> answer = base
        .thenApply(current -> patched(current, body))
        .thenCompose(overrides -> client.setLimits(tenantId, overrides, actor).handle(this::orProblem))
        .thenCompose(view -> usage(tenantId).thenApply(usage -> json.response(200, body(view, usage))));
    return completeWithFuture(answer);
  }

  private static LimitOverrides patched(LimitOverrides o, JsonNode body) {
    return new LimitOverrides(
        number(body, "requestsPerSecond", o.requestsPerSecond(), n -> positive(n, "requestsPerSecond")),
        number(body, "burst", o.burst(), n -> (int) whole(n, "burst", 1, Integer.MAX_VALUE)),
        number(body, "userRequestsPerSecond", o.userRequestsPerSecond(), n -> positive(n, "userRequestsPerSecond")),
        number(body, "userBurst", o.userBurst(), n -> (int) whole(n, "userBurst", 1, Integer.MAX_VALUE)),
        number(body, "maxConcurrentStreams", o.maxConcurrentStreams(),
            n -> (int) whole(n, "maxConcurrentStreams", 0, Integer.MAX_VALUE)),
        number(body, "tokenQuota", o.tokenQuota(), n -> whole(n, "tokenQuota", -1, Long.MAX_VALUE)));
  }

  private static <T> T number(JsonNode body, String name, T current, Function<JsonNode, T> parse) {
    if (!body.has(name)) return current;
    JsonNode value = body.get(name);
    if (value.isNull()) return null;
    if (!value.isNumber()) throw ProblemException.badRequest("invalid-limit", "'" + name + "' must be a number.");
    return parse.apply(value);
  }

  private static Double positive(JsonNode value, String name) {
    double d = value.asDouble();
    if (!(d > 0) || Double.isInfinite(d)) {
      throw ProblemException.badRequest("invalid-limit", "'" + name + "' must be a positive number.");
    }
    return d;
  }

  private static long whole(JsonNode value, String name, long min, long max) {
    if (!value.canConvertToExactIntegral() || !value.canConvertToLong()
        || value.asLong() < min || value.asLong() > max) {
      throw ProblemException.badRequest("invalid-limit",
          "'" + name + "' must be a whole number of at least " + min + ".");
    }
    return value.asLong();
  }

  /** Reads a small JSON body: 415 for another type, 413 when too large, 400 when malformed. */
  private Route body(Function<JsonNode, Route> inner) {
    return extractMaterializer(materializer -> extractRequest(request -> {
      HttpEntity entity = request.entity();
      ContentType type = entity.getContentType();
      String sub = type.mediaType().subType();
      if (!"application".equals(type.mediaType().mainType()) || !("json".equals(sub) || sub.endsWith("+json"))) {
        throw ProblemException.unsupportedMediaType(entity.isKnownEmpty() ? null : type.mediaType().toString());
      }
      CompletionStage<ByteString> bytes = entity.getDataBytes()
          .limitWeighted(MAX_BODY, chunk -> (long) chunk.size())
          .completionTimeout(BODY_TIMEOUT)
          .runFold(ByteString.emptyByteString(), ByteString::concat, materializer)
          .exceptionally(failure -> {
            if (ProblemHandling.unwrap(failure) instanceof StreamLimitReachedException) {
              throw ProblemException.payloadTooLarge(MAX_BODY);
            }
            throw ProblemException.badRequest("unreadable-body", "The request body could not be read.");
          });
      return onSuccess(bytes, read -> {
        if (read.isEmpty()) throw ProblemException.badRequest("missing-body", "This request needs a JSON object.");
        return inner.apply(json.parse(read));
      });
    }));
  }

  /** Maps a failed ask of the limits entities to a problem. */
  private <T> T orProblem(T value, Throwable failure) {
    if (failure == null) return value;
    Throwable cause = ProblemHandling.unwrap(failure);
    Optional<Rejection> rejection = Rejection.of(cause);
    if (rejection.isPresent() && rejection.get() == Rejection.INVALID) {
      throw ProblemException.badRequest("invalid-limit", Rejection.detail(cause));
    }
    if (cause instanceof TimeoutException) {
      throw ProblemException.serviceUnavailable("The limits did not answer in time. Retry the request.",
          Duration.ofSeconds(1));
    }
    throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
  }
}
