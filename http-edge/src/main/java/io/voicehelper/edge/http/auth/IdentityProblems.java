package io.voicehelper.edge.http.auth;

import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.edge.http.internal.ProblemHandling;
import io.voicehelper.entities.identity.IdentityRejection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/** Calls into {@link io.voicehelper.entities.identity.Accounts} with a timeout, their refusals mapped to problems. */
final class IdentityProblems {

  private IdentityProblems() {}

  /** Runs {@code call}; {@code id} names the resource in a 404. */
  static <T> CompletionStage<T> call(Duration timeout, String id, Supplier<CompletionStage<T>> call) {
    CompletableFuture<T> result;
    try {
      result = call.get().toCompletableFuture().thenApply(x -> x);
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((value, failure) -> {
      if (failure == null) return value;
      throw problem(ProblemHandling.unwrap(failure), id);
    });
  }

  private static RuntimeException problem(Throwable cause, String id) {
    if (cause instanceof IdentityRejection rejection) {
      return switch (rejection.reason()) {
        case INVALID_CREDENTIALS -> ProblemException.of(401, "invalid-credentials", "Sign-in failed",
                rejection.detail())
            .withHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"" + Authentication.REALM + "\""));
        case INVALID_TOKEN -> Authentication.invalid(rejection.detail());
        case EMAIL_TAKEN -> ProblemException.of(409, "email-taken", "Email taken", rejection.detail());
        case INVALID -> ProblemException.badRequest("invalid-request", rejection.detail());
        case FORBIDDEN -> ProblemException.of(403, "forbidden", "Forbidden", rejection.detail());
        case NOT_FOUND -> ProblemException.notFound(rejection.detail(), id == null ? "" : id);
      };
    }
    if (cause instanceof TimeoutException) {
      return ProblemException.serviceUnavailable("The identity store did not answer in time. Retry the request.",
          Duration.ofSeconds(1));
    }
    return cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
  }
}
