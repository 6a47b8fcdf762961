package io.voicehelper.entities.limits;

import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Port through which whoever made a model call reports its actual token usage against the reservation made for it
 * before the call (see {@link TenantLimitsEntity.Settle}). The conversation entity calls it once per reply, after
 * the reply's end is persisted.
 */
@FunctionalInterface
public interface QuotaSettlement {

  /**
   * Settles {@code reservationId} of {@code tenantId} with {@code actualTokens}; empty when the usage is unknown (the
   * reply was cut off by a node loss), which charges the reservation's estimate.
   */
  CompletionStage<Done> settle(String tenantId, String reservationId, OptionalInt actualTokens);

  /** Settles nothing: for nodes or tests without quotas. */
  QuotaSettlement NONE = (tenant, reservation, tokens) -> CompletableFuture.completedFuture(Done.getInstance());
}
