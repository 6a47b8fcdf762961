package io.voicehelper.streams.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import io.voicehelper.streams.generation.GenerationSettings.Provider;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

class GenerationSettingsTest {

  /** reference.conf as shipped, without environment overrides. */
  private static Config reference() {
    return ConfigFactory.parseResources("reference.conf")
        .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false))
        .getConfig(GenerationSettings.CONFIG_PATH);
  }

  private static GenerationSettings with(String overrides) {
    return GenerationSettings.fromConfig(ConfigFactory.parseString(overrides).withFallback(reference()));
  }

  @Test
  void defaultsToTemplateRepliesWithTheSeedsLimits() {
    GenerationSettings settings = GenerationSettings.fromConfig(reference());

    assertEquals(Provider.NONE, settings.provider());
    assertEquals("gpt-4o-mini", settings.model());
    assertEquals(Duration.ofSeconds(60), settings.timeout());
    assertEquals(3, settings.maxRetries());
    assertEquals(Duration.ofSeconds(1), settings.backoff(0));
    assertEquals(Duration.ofSeconds(2), settings.backoff(1));
    assertEquals(Duration.ofSeconds(4), settings.backoff(2));
    assertEquals(40, settings.templateTokensPerSecond());
    assertTrue(settings.systemPrompt().contains("customer-service assistant"));
  }

  @Test
  void choosesTheOpenAiCompatibleProviderWhenABaseUrlOrKeyIsSet() {
    GenerationSettings local = with("base-url = \"http://localhost:11434/v1\"");
    assertEquals(Provider.OPENAI_COMPATIBLE, local.provider());
    assertEquals("", local.apiKey());

    GenerationSettings keyOnly = with("api-key = sk-abc");
    assertEquals(Provider.OPENAI_COMPATIBLE, keyOnly.provider());
    assertEquals(GenerationSettings.OPENAI_BASE_URL, keyOnly.baseUrl());

    assertEquals(Provider.NONE, with("provider = none\nbase-url = \"http://x/v1\"").provider());
  }

  @Test
  void rejectsAnUnknownProvider() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with("provider = gpt"));
    assertTrue(e.getMessage().contains("voicehelper.llm.provider"), e.getMessage());
  }

  @Test
  void readsOptionalSamplingSettings() {
    GenerationSettings settings = with("temperature = null\nmax-output-tokens = 0");
    assertNull(settings.temperature());
    assertNull(settings.maxOutputTokens());
    assertEquals(0.3, with("").temperature());
  }

  @Test
  void honoursRetryAfterUpToItsCap() {
    GenerationSettings settings = with("retry-backoff = 1s\nmax-retry-delay = 10s");
    assertEquals(Duration.ofSeconds(2), settings.retryDelay(1, Duration.ofMillis(500)));
    assertEquals(Duration.ofSeconds(7), settings.retryDelay(0, Duration.ofSeconds(7)));
    assertEquals(Duration.ofSeconds(10), settings.retryDelay(0, Duration.ofMinutes(5)));
  }

  @Test
  void neverPrintsTheApiKey() {
    GenerationSettings settings = with("api-key = sk-very-secret");
    assertFalse(settings.toString().contains("sk-very-secret"), settings.toString());
  }

  @Test
  void factoryChoosesTheAdaptersByConfiguration() {
    ActorTestKit testKit = ActorTestKit.create();
    try {
      GenerationSettings none = with("");
      assertInstanceOf(TemplateReplyGenerator.class, Generation.replyGenerator(none, testKit.system()));
      assertInstanceOf(ExtractiveSummarizer.class, Generation.summarizer(none, testKit.system()));

      GenerationSettings openAi = with("base-url = \"http://127.0.0.1:1/v1\"");
      assertInstanceOf(OpenAiCompatibleReplyGenerator.class, Generation.replyGenerator(openAi, testKit.system()));
      assertInstanceOf(OpenAiCompatibleSummarizer.class, Generation.summarizer(openAi, testKit.system()));
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
