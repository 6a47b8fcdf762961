package io.voicehelper.streams.retrieval;

import io.voicehelper.entities.knowledge.SearchFilter;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A counter per tenant and per collection that moves whenever what a search of it can return changes (a version
 * published, a document or collection removed). Cached retrieval results are keyed by the counters of what they
 * searched, so a change makes them unreachable at once, without scanning the cache.
 */
public final class KnowledgeGenerations {

  private final ConcurrentHashMap<String, Long> counters = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong everything = new java.util.concurrent.atomic.AtomicLong();

  /** Everything may have changed (the index was rebuilt): every search moves on. */
  public void changedEverything() {
    everything.incrementAndGet();
  }

  /** The tenant's collection changed: searches of it, and searches of all of the tenant's collections, move on. */
  public void changed(String tenantId, String collectionId) {
    counters.merge(tenantId + "|" + collectionId, 1L, Long::sum);
    counters.merge(tenantId, 1L, Long::sum);
  }

  /** The counters a search with this filter depends on, as one comparable value. */
  public String stamp(SearchFilter filter) {
    StringBuilder stamp = new StringBuilder().append(everything.get()).append('/');
    if (filter.collectionIds().isEmpty()) return stamp.append(counters.getOrDefault(filter.tenantId(), 0L)).toString();
    for (String collection : new TreeSet<>(filter.collectionIds())) {
      stamp.append(collection).append('=')
          .append(counters.getOrDefault(filter.tenantId() + "|" + collection, 0L)).append(';');
    }
    return stamp.toString();
  }
}
