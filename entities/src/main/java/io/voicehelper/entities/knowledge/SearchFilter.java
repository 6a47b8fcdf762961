package io.voicehelper.entities.knowledge;

import java.util.Optional;
import java.util.Set;

/**
 * What a search may return: always one tenant; optionally some collections or one document.
 *
 * @param tenantId the only tenant whose chunks are searched
 * @param collectionIds collections to search; empty: all of the tenant's
 * @param documentId one document only, if present
 */
public record SearchFilter(String tenantId, Set<String> collectionIds, Optional<String> documentId) {

  public SearchFilter {
    collectionIds = Set.copyOf(collectionIds);
  }

  public static SearchFilter tenant(String tenantId) {
    return new SearchFilter(tenantId, Set.of(), Optional.empty());
  }

  public boolean matches(DocumentRef ref) {
    return ref.tenantId().equals(tenantId)
        && (collectionIds.isEmpty() || collectionIds.contains(ref.collectionId()))
        && documentId.map(ref.documentId()::equals).orElse(true);
  }
}
