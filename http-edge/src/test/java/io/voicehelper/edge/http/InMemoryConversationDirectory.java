package io.voicehelper.edge.http;

import io.voicehelper.entities.conversation.ConversationDirectory;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A {@link ConversationDirectory} for tests: lists what the test put in, per tenant, and records how it was asked
 * (and how often, so tests can prove a refused request did no work).
 */
final class InMemoryConversationDirectory implements ConversationDirectory {

  private record Listed(String tenant, Entry entry) {}

  private final List<Listed> entries = new CopyOnWriteArrayList<>();
  private volatile Supplier<CompletionStage<List<Entry>>> answer;
  volatile String defaultTenant;
  volatile String lastTenant;
  volatile int lastLimit;
  final AtomicInteger calls = new AtomicInteger();

  /** Lists {@code entry} for the kit's own tenant. */
  void add(Entry entry) {
    add(defaultTenant, entry);
  }

  void add(String tenant, Entry entry) {
    entries.add(new Listed(tenant, entry));
  }

  /** Answers the next and later calls with {@code answer} instead of the entries (null to go back). */
  void answerWith(Supplier<CompletionStage<List<Entry>>> answer) {
    this.answer = answer;
  }

  @Override
  public CompletionStage<List<Entry>> list(String tenantId, int limit) {
    calls.incrementAndGet();
    lastTenant = tenantId;
    lastLimit = limit;
    Supplier<CompletionStage<List<Entry>>> special = answer;
    if (special != null) return special.get();
    return CompletableFuture.completedFuture(entries.stream()
        .filter(l -> l.tenant().equals(tenantId))
        .map(Listed::entry)
        .sorted(Comparator.comparing(Entry::updatedAt).reversed())
        .limit(limit)
        .toList());
  }
}
