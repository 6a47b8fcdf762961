package io.voicehelper.entities.limits;

import io.voicehelper.entities.CborSerializable;
import java.time.Instant;

/**
 * Hook called on the node of a tenant's {@link TenantLimitsEntity} after a change of its limits is persisted, for the
 * audit log. The same change is also in the journal as a {@link TenantLimitsEntity.LimitsSet} event tagged
 * {@link TenantLimitsEntity#AUDIT_TAG}, so a projection can rebuild the audit trail.
 */
@FunctionalInterface
public interface LimitsAuditor {

  void limitsChanged(Change change);

  LimitsAuditor NONE = change -> {};

  /** A change of a tenant's limits: the overrides before and after, who made it and when. */
  record Change(
      String tenantId, LimitOverrides before, LimitOverrides after, TenantLimits effective, String changedBy,
      Instant at) implements CborSerializable {}
}
