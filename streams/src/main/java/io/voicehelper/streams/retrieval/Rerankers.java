package io.voicehelper.streams.retrieval;

import com.typesafe.config.Config;
import io.voicehelper.streams.generation.GenerationSettings;
import io.voicehelper.streams.generation.OpenAiCompatibleCompletion;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;

/** The reranker {@code voicehelper.retrieval.rerank} asks for. */
public final class Rerankers {

  public static final String CONFIG_PATH = "voicehelper.retrieval.rerank";

  private Rerankers() {}

  /** {@code blocking} runs a cross-encoder's scoring. */
  public static Reranker fromConfig(Config rerank, GenerationSettings llm, ActorSystem<?> system, Executor blocking) {
    String provider = rerank.getString("provider").strip().toLowerCase(Locale.ROOT);
    return switch (provider) {
      case "none", "fusion" -> Reranker.FUSION_ORDER;
      case "llm" -> {
        if (llm.provider() != GenerationSettings.Provider.OPENAI_COMPATIBLE) {
          throw new IllegalArgumentException(CONFIG_PATH + ".provider = llm needs a model: set voicehelper.llm.provider"
              + " = openai-compatible (VOICEHELPER_LLM_PROVIDER) and its base-url");
        }
        yield new LlmListwiseReranker(new OpenAiCompatibleCompletion(llm, system, 0.0),
            rerank.getInt("llm.max-passage-chars"));
      }
      case "cross-encoder" -> CrossEncoderReranker.onnx(
          Path.of(rerank.getString("cross-encoder.model-path")),
          Path.of(rerank.getString("cross-encoder.tokenizer-path")),
          rerank.getInt("cross-encoder.max-length"), blocking);
      default -> throw new IllegalArgumentException(
          CONFIG_PATH + ".provider must be none, llm or cross-encoder, not '" + provider + "'");
    };
  }
}
