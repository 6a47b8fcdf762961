package io.voicehelper.entities.knowledge;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Port to an embedding model: in-process {@code bge-small-zh-v1.5} by default, any OpenAI-compatible endpoint by
 * configuration. Implementations run on their own dispatcher, never on the caller's thread.
 */
public interface Embedder {

  /** One L2-normalised vector per text, in order. Fails the stage on a model error. */
  CompletionStage<List<float[]>> embedAll(List<String> texts);

  /** The vectors' length. */
  int dimension();

  /** Names the model and its version; stored with the index so that a model change forces a rebuild. */
  String modelId();
}
