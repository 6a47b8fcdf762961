package io.voicehelper.entities.knowledge;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a search may return: always one tenant; optionally some collections, one document, one version of it, and
 * chunks whose document metadata has every given pair. Indexes hold only each document's published version, so a
 * filter naming another version finds nothing.
 *
 * @param tenantId the only tenant whose chunks are searched
 * @param collectionIds collections to search; empty: all of the tenant's
 * @param documentId one document only, if present
 * @param version only chunks of this version (≥ 1) of {@code documentId}; needs {@code documentId}
 * @param metadata pairs every returned chunk's document metadata must have (all of them); empty: no condition
 */
public record SearchFilter(
    String tenantId, Set<String> collectionIds, Optional<String> documentId, Optional<Integer> version,
    Map<String, String> metadata) {

  public SearchFilter {
    collectionIds = Set.copyOf(collectionIds);
    metadata = DocumentMetadata.of(metadata);
    if (version.isPresent() && documentId.isEmpty()) {
      throw new IllegalArgumentException("a version filter needs a document");
    }
    if (version.isPresent() && version.get() < 1) throw new IllegalArgumentException("versions start at 1");
  }

  /** Tenant, collections and document only. */
  public SearchFilter(String tenantId, Set<String> collectionIds, Optional<String> documentId) {
    this(tenantId, collectionIds, documentId, Optional.empty(), Map.of());
  }

  public static SearchFilter tenant(String tenantId) {
    return new SearchFilter(tenantId, Set.of(), Optional.empty());
  }

  /** Whether the document may hold chunks the filter allows (its version and metadata are the chunks'). */
  public boolean matches(DocumentRef ref) {
    return ref.tenantId().equals(tenantId)
        && (collectionIds.isEmpty() || collectionIds.contains(ref.collectionId()))
        && documentId.map(ref.documentId()::equals).orElse(true);
  }

  /** Whether the filter allows the chunk: its document, its version, and every metadata pair. */
  public boolean matches(Chunk chunk) {
    return matches(chunk.document())
        && version.map(v -> v == chunk.version()).orElse(true)
        && chunk.metadata().entrySet().containsAll(metadata.entrySet());
  }
}
