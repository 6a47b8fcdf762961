package io.voicehelper.edge.http;

import io.voicehelper.entities.conversation.ConversationDirectory;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/** A {@link ConversationDirectory} for tests: lists what the test put in, and records how it was asked. */
final class InMemoryConversationDirectory implements ConversationDirectory {

  private final List<Entry> entries = new CopyOnWriteArrayList<>();
  private volatile Supplier<CompletionStage<List<Entry>>> answer;
  volatile String lastTenant;
  volatile int lastLimit;

  void add(Entry entry) {
    entries.add(entry);
  }

  /** Answers the next and later calls with {@code answer} instead of the entries (null to go back). */
  void answerWith(Supplier<CompletionStage<List<Entry>>> answer) {
    this.answer = answer;
  }

  @Override
  public CompletionStage<List<Entry>> list(String tenantId, int limit) {
    lastTenant = tenantId;
    lastLimit = limit;
    Supplier<CompletionStage<List<Entry>>> special = answer;
    if (special != null) return special.get();
    return CompletableFuture.completedFuture(entries.stream()
        .sorted(Comparator.comparing(Entry::updatedAt).reversed())
        .limit(limit)
        .toList());
  }
}
