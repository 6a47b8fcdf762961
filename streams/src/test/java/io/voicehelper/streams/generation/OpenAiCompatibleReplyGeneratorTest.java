package io.voicehelper.streams.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.ReplyGenerator.Finished;
import io.voicehelper.entities.conversation.ReplyGenerator.Output;
import io.voicehelper.entities.conversation.ReplyGenerator.Request;
import io.voicehelper.entities.conversation.ReplyGenerator.Token;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(LogCapturingExtension.class)
class OpenAiCompatibleReplyGeneratorTest {

  private static final String MODEL = "gpt-fake-2024";
  private static final Request REQUEST = new Request("acme|c-1", "reply-1", List.of(
      ChatTurn.system("Summary of the earlier conversation:\nCustomer Li asked about order 42."),
      ChatTurn.user("Where is my order 42?"),
      ChatTurn.assistant("Let me check that for you."),
      ChatTurn.user("Thanks, please hurry.")));

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

  /** Settings against {@code baseUrl}: short backoff for tests, the rest from reference.conf. */
  static GenerationSettings settings(String baseUrl, String overrides) {
    return GenerationSettings.fromConfig(
        ConfigFactory.parseString(overrides)
            .withFallback(ConfigFactory.parseString(
                "provider = auto\nbase-url = \"" + baseUrl + "\"\napi-key = \"sk-test\"\nmodel = \"test-model\"\n"
                    + "retry-backoff = 10ms\ntimeout = 5s\nmax-retries = 3\nmax-retry-delay = 5s"))
            .withFallback(ConfigFactory.defaultReference().getConfig(GenerationSettings.CONFIG_PATH)));
  }

  private OpenAiCompatibleReplyGenerator generator(String overrides) {
    return new OpenAiCompatibleReplyGenerator(settings(fake.baseUrl(), overrides));
  }

  private static List<Output> run(Source<Output, NotUsed> outputs) throws Exception {
    return outputs.runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** Runs the source to its failure, collecting what it emitted before. */
  private record Failed(List<Output> emitted, Throwable failure) {}

  private static Failed runToFailure(Source<Output, NotUsed> outputs) throws Exception {
    ConcurrentLinkedQueue<Output> emitted = new ConcurrentLinkedQueue<>();
    CompletionStage<Done> done = outputs.runWith(Sink.foreach(emitted::add), testKit.system());
    try {
      done.toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return new Failed(List.copyOf(emitted), e.getCause());
    }
    throw new AssertionError("the stream completed instead of failing: " + emitted);
  }

  private static List<Output> tokens(String... texts) {
    return java.util.Arrays.stream(texts).<Output>map(Token::new).toList();
  }

  @Test
  void streamsTokensInOrderThenFinishedWithModelAndUsage() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.stream(MODEL, List.of("Your", " order", " ships", " today."), 57, 4));

    List<Output> outputs = run(generator("").generate(REQUEST));

    List<Output> expected = new java.util.ArrayList<>(tokens("Your", " order", " ships", " today."));
    expected.add(new Finished(MODEL, 57, 4));
    assertEquals(expected, outputs);

    assertEquals(1, fake.requestCount());
    FakeOpenAiServer.Recorded request = fake.requests().get(0);
    assertEquals("Bearer sk-test", request.authorization());
    JsonNode body = request.body();
    assertEquals("test-model", body.path("model").asText());
    assertTrue(body.path("stream").asBoolean());
    assertTrue(body.path("stream_options").path("include_usage").asBoolean());
    JsonNode messages = body.path("messages");
    assertEquals(List.of("system", "system", "user", "assistant", "user"),
        java.util.stream.StreamSupport.stream(messages.spliterator(), false).map(m -> m.path("role").asText()).toList());
    assertTrue(messages.get(0).path("content").asText().contains("customer-service assistant"),
        "the configured system prompt comes first");
    assertTrue(messages.get(1).path("content").asText().contains("order 42"));
    assertEquals("Thanks, please hurry.", messages.get(4).path("content").asText());
  }

  @Test
  void reportsUnknownUsageAsNull() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.stream(MODEL, List.of("Hi"), null, null));

    List<Output> outputs = run(generator("").generate(REQUEST));

    assertEquals(List.of(new Token("Hi"), new Finished(MODEL, null, null)), outputs);
  }

  @Test
  void sendsAgainWhenTheConnectionClosedBeforeAnyAnswerEvenWithoutRetries() throws Exception {
    fake = FakeOpenAiServer.start(
        FakeOpenAiServer.hangUpWithoutAnswer(),
        FakeOpenAiServer.stream(MODEL, List.of("Hello"), 10, 1));

    List<Output> outputs = run(generator("max-retries = 0").generate(REQUEST));

    assertEquals(List.of(new Token("Hello"), new Finished(MODEL, 10, 1)), outputs);
    assertEquals(2, fake.requestCount());
  }

  @Test
  void retriesAServerErrorBeforeTheFirstTokenAndEmitsTokensOnce() throws Exception {
    fake = FakeOpenAiServer.start(
        FakeOpenAiServer.error(500, "{\"error\":{\"message\":\"The server had an error\"}}"),
        FakeOpenAiServer.stream(MODEL, List.of("Hello", " again"), 10, 2));

    List<Output> outputs = run(generator("").generate(REQUEST));

    assertEquals(List.of(new Token("Hello"), new Token(" again"), new Finished(MODEL, 10, 2)), outputs);
    assertEquals(2, fake.requestCount());
  }

  @Test
  void failsWithAClearErrorAfterExactlyThreeRetriesWhenRateLimited() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.error(429,
        "{\"error\":{\"message\":\"Rate limit reached for org-secret\",\"type\":\"requests\"}}", "Retry-After", "0"));

    Failed failed = runToFailure(generator("").generate(REQUEST));

    assertEquals(List.of(), failed.emitted());
    assertInstanceOf(GenerationFailure.class, failed.failure());
    assertEquals("the model provider returned HTTP 429 (rate limited) after 3 retries", failed.failure().getMessage());
    assertEquals(4, fake.requestCount(), "1 call + 3 retries, none by LangChain4j itself");
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 401, 403, 404})
  void doesNotRetryClientErrors(int status) throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.error(status,
        "{\"error\":{\"message\":\"Incorrect API key provided: sk-secret-123\",\"type\":\"invalid_request_error\"}}"));

    Failed failed = runToFailure(generator("").generate(REQUEST));

    assertEquals(1, fake.requestCount());
    String message = failed.failure().getMessage();
    assertTrue(message.contains("HTTP " + status), message);
    assertFalse(message.contains("retr"), message);
    assertFalse(message.contains("\n"), message);
    if (status == 401) {
      assertEquals("the model provider rejected the API key (HTTP 401): check OPENAI_API_KEY", message);
    }
    if (status == 404) assertTrue(message.contains("OPENAI_BASE_URL") && message.contains("test-model"), message);
    if (status != 400) assertFalse(message.contains("sk-secret"), "no provider text that may echo a key");
  }

  @Test
  void timesOutAStallBeforeTheFirstTokenAndRetries() throws Exception {
    fake = FakeOpenAiServer.start(
        FakeOpenAiServer.stallAfterHeaders(MODEL),
        FakeOpenAiServer.stream(MODEL, List.of("Back", " online"), 10, 2));

    List<Output> outputs = run(generator("timeout = 1s").generate(REQUEST));

    assertEquals(List.of(new Token("Back"), new Token(" online"), new Finished(MODEL, 10, 2)), outputs);
    assertEquals(2, fake.requestCount());
  }

  @Test
  void failsWhenEveryAttemptStallsBeforeTheFirstToken() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.stallAfterHeaders(MODEL));

    Failed failed = runToFailure(generator("timeout = 500ms\nmax-retries = 1").generate(REQUEST));

    assertEquals("the model provider sent no token within 500 ms after 1 retry", failed.failure().getMessage());
    assertEquals(2, fake.requestCount());
  }

  @Test
  void failsAStallAfterTokensWithoutRetryingAndEmitsTheTokensOnce() throws Exception {
    fake = FakeOpenAiServer.start(
        FakeOpenAiServer.tokensThenStall(MODEL, List.of("Part", "ial")),
        FakeOpenAiServer.stream(MODEL, List.of("Should", " not", " appear"), 10, 3));

    Failed failed = runToFailure(generator("timeout = 1s").generate(REQUEST));

    assertEquals(tokens("Part", "ial"), failed.emitted());
    assertEquals("the model stream stalled: no token for 1s after 2 tokens", failed.failure().getMessage());
    assertEquals(1, fake.requestCount());
  }

  @Test
  void failsAStreamCutOffBeforeItsEnd() throws Exception {
    fake = FakeOpenAiServer.start(
        FakeOpenAiServer.tokensThenHangUp(MODEL, List.of("Half", " a")),
        FakeOpenAiServer.stream(MODEL, List.of("Should", " not", " appear"), 10, 3));

    Failed failed = runToFailure(generator("").generate(REQUEST));

    assertEquals(tokens("Half", " a"), failed.emitted());
    assertTrue(failed.failure().getMessage().startsWith("the model stream broke off after 2 tokens"),
        failed.failure().getMessage());
    assertEquals(1, fake.requestCount());
  }

  @Test
  void retriesConnectionErrorsThenFailsClearly() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    GenerationSettings settings = settings("http://127.0.0.1:" + closedPort + "/v1", "");

    Failed failed = runToFailure(new OpenAiCompatibleReplyGenerator(settings).generate(REQUEST));

    String message = failed.failure().getMessage();
    assertTrue(message.startsWith("could not connect to the model provider at 127.0.0.1:" + closedPort), message);
    assertTrue(message.endsWith("after 3 retries"), message);
  }

  @Test
  void waitsAsLongAsRetryAfterAsks() throws Exception {
    fake = FakeOpenAiServer.start(
        FakeOpenAiServer.error(429, "{\"error\":{\"message\":\"slow down\"}}", "Retry-After", "1"),
        FakeOpenAiServer.stream(MODEL, List.of("Ok"), 1, 1));

    List<Output> outputs = run(generator("").generate(REQUEST));

    assertEquals(List.of(new Token("Ok"), new Finished(MODEL, 1, 1)), outputs);
    List<FakeOpenAiServer.Recorded> requests = fake.requests();
    Duration waited = Duration.ofNanos(requests.get(1).receivedNanos() - requests.get(0).receivedNanos());
    assertTrue(waited.toMillis() >= 950, "retried after " + waited.toMillis() + " ms, not after Retry-After: 1");
  }

  @Test
  void cancellingTheStreamClosesTheHttpRequest() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.endlessTokens(MODEL));

    List<Output> outputs = run(generator("stream-buffer = 4").generate(REQUEST).take(3));

    assertEquals(tokens("t0 ", "t1 ", "t2 "), outputs);
    assertTrue(fake.clientGone.get(10, TimeUnit.SECONDS), "the fake saw its connection closed");
    assertEquals(1, fake.requestCount());
  }

  @Test
  void abortingBeforeTheFirstTokenClosesTheHttpRequest() throws Exception {
    fake = FakeOpenAiServer.start(FakeOpenAiServer.keepAlivesWithoutTokens());

    Pair<UniqueKillSwitch, CompletionStage<List<Output>>> running = generator("").generate(REQUEST)
        .viaMat(KillSwitches.single(), Keep.right())
        .toMat(Sink.seq(), Keep.both())
        .run(testKit.system());
    fake.headersSent.get(10, TimeUnit.SECONDS);
    running.first().abort(new IllegalStateException("the client went away"));

    assertTrue(fake.clientGone.get(10, TimeUnit.SECONDS), "the fake saw its connection closed");
    assertEquals(1, fake.requestCount());
  }
}
