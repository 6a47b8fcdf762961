package io.voicehelper.streams.knowledge.embedding;

import io.voicehelper.entities.knowledge.Embedder;
import java.util.concurrent.Executor;

/** Chooses the {@link Embedder} the settings name. */
public final class Embeddings {

  private Embeddings() {}

  /**
   * The configured embedder; the in-process model is loaded here, on the calling thread.
   *
   * @param executor where the model or its HTTP calls run: {@code voicehelper.knowledge.embedding.dispatcher}
   */
  public static Embedder create(EmbeddingSettings settings, Executor executor) {
    return switch (settings.provider()) {
      case IN_PROCESS -> new InProcessEmbedder(executor, settings.batchSize());
      case OPENAI -> new OpenAiCompatibleEmbedder(settings.openAi(), settings.batchSize(), executor);
    };
  }
}
