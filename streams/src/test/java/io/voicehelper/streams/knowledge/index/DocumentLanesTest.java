package io.voicehelper.streams.knowledge.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.knowledge.DocumentRef;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Changes of one document wait for each other, failed or not; other documents do not wait; nothing is kept. */
class DocumentLanesTest {

  private static final DocumentRef DOC = new DocumentRef("acme", "faq", "doc-1");
  private static final DocumentRef OTHER = new DocumentRef("acme", "faq", "doc-2");

  private final DocumentLanes lanes = new DocumentLanes();
  private final List<String> started = new CopyOnWriteArrayList<>();

  private CompletionStage<String> change(DocumentRef document, String name, CompletableFuture<String> result) {
    return lanes.run(document, () -> {
      started.add(name);
      return result;
    });
  }

  @Test
  void aDocumentsChangesRunOneAfterAnotherAndOtherDocumentsDoNotWait() throws Exception {
    CompletableFuture<String> publish = new CompletableFuture<>();
    CompletableFuture<String> sync = new CompletableFuture<>();
    CompletionStage<String> first = change(DOC, "publish", publish);
    CompletionStage<String> second = change(DOC, "sync", sync);
    CompletionStage<String> other = change(OTHER, "other", CompletableFuture.completedFuture("done"));
    assertEquals(List.of("publish", "other"), started);
    assertEquals("done", other.toCompletableFuture().get(1, TimeUnit.SECONDS));

    publish.completeExceptionally(new IllegalStateException("index gone"));
    assertTrue(first.toCompletableFuture().isCompletedExceptionally());
    assertEquals(List.of("publish", "other", "sync"), started, "a failed change lets the next one run");
    assertFalse(second.toCompletableFuture().isDone());
    sync.complete("synced");
    assertEquals("synced", second.toCompletableFuture().get(1, TimeUnit.SECONDS));
    assertEquals(0, lanes.size(), "no entry is kept once a document's changes are done");
  }
}
