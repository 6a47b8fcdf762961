package io.voicehelper.streams.generation;

import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.Summarizer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the generation adapters by configuration: an OpenAI-compatible model when one is configured, otherwise
 * the embedded template replies and extractive summaries.
 *
 * <pre>{@code
 * GenerationSettings llm = GenerationSettings.fromSystem(system);
 * ConversationEntity.init(system, ..., Generation.replyGenerator(llm, system), Generation.summarizer(llm, system), ...);
 * }</pre>
 */
public final class Generation {

  private static final Logger log = LoggerFactory.getLogger(Generation.class);

  private Generation() {}

  /** The reply generator {@code settings} ask for. */
  public static ReplyGenerator replyGenerator(GenerationSettings settings, ActorSystem<?> system) {
    log.info("Replies come from {}", settings.describe());
    return switch (settings.provider()) {
      case OPENAI_COMPATIBLE -> new OpenAiCompatibleReplyGenerator(settings);
      case NONE -> new TemplateReplyGenerator(settings.templateTokensPerSecond());
    };
  }

  /** The summarizer {@code settings} ask for. */
  public static Summarizer summarizer(GenerationSettings settings, ActorSystem<?> system) {
    return switch (settings.provider()) {
      case OPENAI_COMPATIBLE -> new OpenAiCompatibleSummarizer(settings, system);
      case NONE -> new ExtractiveSummarizer(settings.extractiveSummaryMaxChars());
    };
  }

  /** The reply generator configured under {@code voicehelper.llm} of {@code system}. */
  public static ReplyGenerator replyGenerator(ActorSystem<?> system) {
    return replyGenerator(GenerationSettings.fromSystem(system), system);
  }

  /** The summarizer configured under {@code voicehelper.llm} of {@code system}. */
  public static Summarizer summarizer(ActorSystem<?> system) {
    return summarizer(GenerationSettings.fromSystem(system), system);
  }
}
