package io.voicehelper.edge.http.limits;

import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.edge.http.internal.ProblemHandling;
import io.voicehelper.entities.conversation.TokenEstimator;
import io.voicehelper.entities.limits.LimitsClient;
import io.voicehelper.entities.limits.TenantLimiterEntity.RequestDecision;
import io.voicehelper.entities.limits.TenantLimitsEntity.Reservation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaRange;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.headers.Accept;
import org.apache.pekko.http.javadsl.server.Complete;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.RouteResult;
import org.apache.pekko.http.javadsl.server.RouteResults;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge side of the cluster-wide limits: directives that ask the tenant's limiter before a request or a stream,
 * and the token reservation around a model call. Each costs one ask through sharding. Refusals are RFC 9457 problems:
 * 429 with {@code Retry-After} ({@code rate-limited}, {@code too-many-streams}, {@code quota-exhausted}), or 503
 * ({@code limits-unavailable}) when a limit cannot be checked and the edge fails closed.
 *
 * <p>Failure policy (see {@code docs/limits.md}): request rates and stream slots fail open by default (a limiter
 * that is moving to another node must not take the API down); the token quota fails closed (budgets are enforced
 * before the model call, and its ledger lives in the same journal the conversation needs anyway).
 */
public final class LimitDirectives {

  private static final Logger log = LoggerFactory.getLogger(LimitDirectives.class);
  private static final long WARN_EVERY_NANOS = Duration.ofSeconds(10).toNanos();

  private final LimitsClient client;
  private final LimitEdgeSettings settings;
  private final TokenEstimator estimator;
  private final Clock clock;
  private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

  public LimitDirectives(LimitsClient client, LimitEdgeSettings settings) {
    this(client, settings, TokenEstimator.HEURISTIC, Clock.systemUTC());
  }

  private final EmptyBuckets emptyBuckets = new EmptyBuckets();

  public LimitDirectives(LimitsClient client, LimitEdgeSettings settings, TokenEstimator estimator, Clock clock) {
    this.client = client;
    this.settings = settings;
    this.estimator = estimator;
    this.clock = clock;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Request rates

  /**
   * Runs {@code inner} if the tenant's and the user's request buckets have a permit; otherwise answers 429
   * {@code rate-limited} with {@code Retry-After}. {@code userId} may be {@code null} (the tenant's bucket only).
   */
  public Route rateLimited(String tenantId, String userId, Supplier<Route> inner) {
    long now = System.nanoTime();
    OptionalLong knownWait = emptyBuckets.waitMillis(tenantId, userId, now);
    if (knownWait.isPresent()) {
      return Directives.failWith(
          rateLimited(emptyBuckets.byUser(tenantId, userId, now) ? "user" : "tenant", knownWait.getAsLong()));
    }
    CompletionStage<Optional<RequestDecision>> decision = orEmpty(() -> client.checkRequest(tenantId, userId));
    return Directives.onSuccess(decision, answer -> {
      if (answer.isEmpty()) return unavailable("request rate", tenantId, settings.failOpen(), inner);
      RequestDecision d = answer.get();
      if (d.allowed()) return inner.get();
      emptyBuckets.refused(tenantId, userId, d.limitedBy(), d.retryAfterMillis(), now);
      return Directives.failWith(rateLimited(d.limitedBy(), d.retryAfterMillis()));
    });
  }

  private static ProblemException rateLimited(String limitedBy, long retryAfterMillis) {
    boolean byUser = "user".equals(limitedBy);
    return ProblemException.of(429, "rate-limited", "Too many requests",
            (byUser ? "You are" : "Your organization is") + " sending requests faster than "
                + (byUser ? "your" : "its") + " rate limit allows. Retry after the time in Retry-After.")
        .with("limitedBy", limitedBy)
        .with("retryAfterMs", retryAfterMillis)
        .withRetryAfter(Duration.ofMillis(retryAfterMillis));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Concurrent streams

  /**
   * Runs {@code inner} holding one of the tenant's stream slots, or answers 429 {@code too-many-streams}. The slot is
   * held until the response's body ends, however it ends (completion, failure, client gone), and freed at once when
   * {@code inner} answers without a streamed body (an error, a rejection). While held, it is renewed; if this node
   * dies, the slot frees itself after the lease TTL.
   */
  public Route concurrentStream(String tenantId, Supplier<Route> inner) {
    CompletionStage<Optional<LimitsClient.StreamAdmission>> admission = orEmpty(() -> client.acquireStream(tenantId));
    return Directives.onSuccess(admission, answer -> {
      if (answer.isEmpty()) return unavailable("concurrent stream", tenantId, settings.failOpen(), inner);
      LimitsClient.StreamAdmission a = answer.get();
      if (!a.decision().granted()) {
        return Directives.failWith(ProblemException.of(429, "too-many-streams", "Too many concurrent streams",
                "Your organization already has " + a.decision().active() + " of its " + a.decision().max()
                    + " concurrent streams open. Retry when one has finished.")
            .with("maxConcurrentStreams", a.decision().max())
            .withRetryAfter(settings.streamRetryAfter()));
      }
      return holding(a.slot(), inner);
    });
  }

  /**
   * {@link #concurrentStream} for requests that explicitly accept {@code text/event-stream}; other requests run
   * {@code inner} without a slot. For endpoints that answer either a stream or JSON, such as posting a message.
   */
  public Route concurrentStreamIfEventStream(String tenantId, Supplier<Route> inner) {
    return Directives.extractRequest(request ->
        wantsEventStream(request) ? concurrentStream(tenantId, inner) : inner.get());
  }

  private Route holding(LimitsClient.StreamSlot slot, Supplier<Route> inner) {
    // Failures inside become responses here, so that every way out of inner passes the release below.
    Supplier<Route> answered = () -> ProblemHandling.handleFailures(inner.get());
    return Directives.mapRouteResultFuture(result -> result.handle((routeResult, failure) -> {
      if (failure != null) {
        slot.release();
        throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
      }
      return releasedWhenDone(routeResult, slot);
    }), answered);
  }

  private static RouteResult releasedWhenDone(RouteResult result, LimitsClient.StreamSlot slot) {
    if (!(result instanceof Complete complete)) {
      slot.release();
      return result;
    }
    HttpResponse response = complete.getResponse();
    ResponseEntity entity = response.entity();
    if (entity.isStrict() || entity.isKnownEmpty()) {
      slot.release();
      return result;
    }
    ResponseEntity watched = HttpEntities.createChunked(entity.getContentType(),
        entity.getDataBytes().watchTermination((mat, done) -> {
          done.whenComplete((ok, failure) -> slot.release());
          return mat;
        }));
    return RouteResults.complete(response.withEntity(watched));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Token quota

  /**
   * Reserves tokens for the model call a message will cause, then runs {@code call} with the reservation id (pass it
   * on in {@code SendMessage}; the conversation settles it with the actual usage when the reply ends). Fails with
   * 429 {@code quota-exhausted} before {@code call} when the tenant's quota is used up. The reservation is released
   * when {@code call} fails or its answer is a {@code duplicate} (an idempotent retry, answered without a new call).
   * {@code call} gets {@code null} when the ledger did not answer and the quota fails open.
   */
  public <T> CompletionStage<T> withTokenReservation(
      String tenantId, String content, Function<String, CompletionStage<T>> call, Predicate<T> duplicate) {
    long tokens = (long) estimator.estimate(content) + TokenEstimator.PER_MESSAGE_OVERHEAD + settings.reserveTokens();
    return orEmpty(() -> client.reserveTokens(tenantId, tokens)).thenCompose(answer -> {
      if (answer.isEmpty()) {
        warn("token quota", tenantId);
        if (settings.quotaFailOpen()) return call.apply(null);
        return CompletableFuture.failedFuture(unavailableProblem("token quota"));
      }
      Reservation r = answer.get();
      if (!r.granted()) return CompletableFuture.failedFuture(quotaExhausted(r));
      CompletionStage<T> result;
      try {
        result = call.apply(r.reservationId());
      } catch (RuntimeException e) {
        result = CompletableFuture.failedFuture(e);
      }
      return result.whenComplete((value, failure) -> {
        if (failure != null || duplicate.test(value)) client.releaseTokens(tenantId, r.reservationId());
      });
    });
  }

  private ProblemException quotaExhausted(Reservation r) {
    Instant now = clock.instant();
    Duration untilReset = Duration.between(now, r.resetsAt());
    return ProblemException.of(429, "quota-exhausted", "Token quota exhausted",
            "Your organization has used its quota of " + r.quota() + " model tokens for this period ("
                + r.used() + " used, " + r.reserved() + " held by replies in progress). It resets at "
                + r.resetsAt() + "; an administrator can raise it.")
        .with("quota", r.quota())
        .with("used", r.used())
        .with("reserved", r.reserved())
        .with("resetsAt", r.resetsAt().toString())
        .withRetryAfter(untilReset.isNegative() ? Duration.ofSeconds(1) : untilReset);
  }

  // ---------------------------------------------------------------------------------------------------------------

  private Route unavailable(String what, String tenantId, boolean failOpen, Supplier<Route> inner) {
    warn(what, tenantId);
    return failOpen ? inner.get() : Directives.failWith(unavailableProblem(what));
  }

  private ProblemException unavailableProblem(String what) {
    return ProblemException.of(503, "limits-unavailable", "Limits unavailable",
            "The " + what + " limit could not be checked just now. Retry the request.")
        .withRetryAfter(settings.unavailableRetryAfter());
  }

  /** Logs that a limit could not be checked, at most once per 10 s, so that an outage does not flood the log. */
  private void warn(String what, String tenantId) {
    long now = System.nanoTime();
    long last = lastWarning.get();
    if (now - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, now)) {
      boolean quota = "token quota".equals(what);
      log.warn("The {} limit of tenant {} did not answer within {}; failing {}", what, tenantId,
          quota ? settings.quotaAskTimeout() : settings.askTimeout(),
          quota ? (settings.quotaFailOpen() ? "open" : "closed") : (settings.failOpen() ? "open" : "closed"));
    }
  }

  /** The answer of an ask, or empty when it failed or timed out (or could not even be sent). */
  private static <T> CompletionStage<Optional<T>> orEmpty(Supplier<CompletionStage<T>> ask) {
    CompletionStage<T> answer;
    try {
      answer = ask.get();
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    return answer.handle((value, failure) -> failure == null ? Optional.of(value) : Optional.<T>empty());
  }

  private static boolean wantsEventStream(HttpRequest request) {
    Optional<Accept> accept = request.getHeader(Accept.class);
    if (accept.isEmpty()) return false;
    for (MediaRange range : accept.get().getMediaRanges()) {
      if (range.qValue() > 0 && range.matches(MediaTypes.TEXT_EVENT_STREAM) && !range.matches(MediaTypes.TEXT_PLAIN)) {
        return true;
      }
    }
    return false;
  }
}
