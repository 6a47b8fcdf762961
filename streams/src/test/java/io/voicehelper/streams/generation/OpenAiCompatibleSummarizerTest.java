package io.voicehelper.streams.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.entities.conversation.ChatTurn;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LogCapturingExtension.class)
class OpenAiCompatibleSummarizerTest {

  private static final List<ChatTurn> TURNS = List.of(
      ChatTurn.user("我是李雷，订单 42 还没到。"),
      ChatTurn.assistant("抱歉，我查一下订单 42 的物流。"));

  private static ActorTestKit testKit;
  private FakeOpenAiServer fake;

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void stopFake() {
    if (fake != null) fake.close();
  }

  private OpenAiCompatibleSummarizer summarizer(String overrides) {
    return new OpenAiCompatibleSummarizer(
        OpenAiCompatibleReplyGeneratorTest.settings(fake.baseUrl(), overrides), testKit.system());
  }

  @Test
  void summarizesThroughTheChatCompletionsEndpoint() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.completion("gpt-fake", "  李雷询问订单 42 的物流，客服正在查询。 ", 120, 20));

    String summary = summarizer("").summarize("客户之前问过退货政策。", TURNS)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertEquals("李雷询问订单 42 的物流，客服正在查询。", summary);
    assertEquals(1, fake.requestCount());
    JsonNode body = fake.requests().get(0).body();
    assertFalse(body.path("stream").asBoolean(false), "a plain, non-streaming completion");
    assertEquals("test-model", body.path("model").asText());
    JsonNode messages = body.path("messages");
    assertEquals("system", messages.get(0).path("role").asText());
    assertTrue(messages.get(0).path("content").asText().contains("open questions"));
    String prompt = messages.get(1).path("content").asText();
    assertTrue(prompt.contains("客户之前问过退货政策。"), prompt);
    assertTrue(prompt.contains("Customer: 我是李雷，订单 42 还没到。"), prompt);
    assertTrue(prompt.contains("Assistant: 抱歉，我查一下订单 42 的物流。"), prompt);
  }

  @Test
  void retriesServerErrorsItselfOnlyAndThenFails() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.error(503, "{\"error\":{\"message\":\"overloaded\"}}"));

    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> summarizer("max-retries = 2").summarize("", TURNS).toCompletableFuture().get(10, TimeUnit.SECONDS));

    assertInstanceOf(GenerationFailure.class, failure.getCause());
    assertEquals("summarizing failed: the model provider returned HTTP 503 after 2 retries",
        failure.getCause().getMessage());
    assertEquals(3, fake.requestCount(), "1 call + 2 retries, none by LangChain4j itself");
  }

  @Test
  void doesNotRetryARejectedKey() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.error(401, "{\"error\":{\"message\":\"bad key sk-secret\"}}"));

    ExecutionException failure = assertThrows(ExecutionException.class,
        () -> summarizer("").summarize("", TURNS).toCompletableFuture().get(10, TimeUnit.SECONDS));

    assertEquals("summarizing failed: the model provider rejected the API key (HTTP 401): check OPENAI_API_KEY",
        failure.getCause().getMessage());
    assertEquals(1, fake.requestCount());
  }
}
