package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ReplyGenerator.Finished;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tokens a reply's helper calls to the model used (routing, query rewriting, passage grading, support checks,
 * drafts that were not kept), added to the reply's own {@link Finished} so that the tenant's quota is charged for
 * every call a reply made. Shared by the asynchronous steps of one reply, hence atomic.
 */
public final class ModelUsage {

  private final AtomicInteger inputTokens = new AtomicInteger();
  private final AtomicInteger outputTokens = new AtomicInteger();
  private final AtomicInteger calls = new AtomicInteger();

  /** Records one call: the provider's counts where it reported them, else the estimates. */
  void add(Integer reportedInput, Integer reportedOutput, int estimatedInput, int estimatedOutput) {
    inputTokens.addAndGet(reportedInput != null ? reportedInput : estimatedInput);
    outputTokens.addAndGet(reportedOutput != null ? reportedOutput : estimatedOutput);
    calls.incrementAndGet();
  }

  int calls() {
    return calls.get();
  }

  /**
   * The reply's end with these calls' tokens added. Unchanged when there were none; otherwise a count the provider
   * did not report for the reply itself is estimated, so the sum is complete.
   */
  Finished charge(Finished finished, int estimatedInput, int estimatedOutput) {
    if (calls.get() == 0) return finished;
    int in = (finished.inputTokens() != null ? finished.inputTokens() : estimatedInput) + inputTokens.get();
    int out = (finished.outputTokens() != null ? finished.outputTokens() : estimatedOutput) + outputTokens.get();
    return new Finished(finished.model(), in, out);
  }
}
