package io.voicehelper.streams.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.ReplyGenerator.Finished;
import io.voicehelper.entities.conversation.ReplyGenerator.Output;
import io.voicehelper.entities.conversation.ReplyGenerator.Request;
import io.voicehelper.entities.conversation.ReplyGenerator.Token;
import io.voicehelper.entities.conversation.TokenEstimator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TemplateReplyGeneratorTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  private static List<Output> run(TemplateReplyGenerator generator, String userMessage) throws Exception {
    Request request = new Request("acme|c-1", "r-1",
        List.of(ChatTurn.user("earlier question"), ChatTurn.assistant("earlier answer"), ChatTurn.user(userMessage)));
    return generator.generate(request).runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static String text(List<Output> outputs) {
    return outputs.stream().filter(o -> o instanceof Token).map(o -> ((Token) o).text()).collect(Collectors.joining());
  }

  @Test
  void streamsALabelledEnglishTemplateWordByWordThenFinished() throws Exception {
    List<Output> outputs = run(new TemplateReplyGenerator(10_000), "How do I reset my password?");

    String text = text(outputs);
    assertEquals(TemplateReplyGenerator.reply("How do I reset my password?"), text);
    assertTrue(text.startsWith("[No language model is configured]"), text);
    assertTrue(text.contains("\"How do I reset my password?\""), "quotes the user's message");
    assertTrue(text.contains("OPENAI_BASE_URL") && text.contains("OPENAI_API_KEY") && text.contains("OPENAI_MODEL"));
    assertTrue(text.contains("knowledge base"));
    assertTrue(outputs.size() > 40, "streamed as many small tokens, not one block");
    assertEquals(List.of(new Token("[No "), new Token("language "), new Token("model ")), outputs.subList(0, 3));
    Finished finished = assertInstanceOf(Finished.class, outputs.get(outputs.size() - 1));
    assertEquals(TemplateReplyGenerator.MODEL, finished.model());
    assertEquals(TokenEstimator.HEURISTIC.estimate(text), finished.outputTokens());
    assertTrue(finished.inputTokens() > 3 * TokenEstimator.PER_MESSAGE_OVERHEAD);
  }

  @Test
  void answersChineseInChineseCharacterByCharacter() throws Exception {
    List<Output> outputs = run(new TemplateReplyGenerator(10_000), "我的订单什么时候到？");

    String text = text(outputs);
    assertTrue(text.startsWith("【未配置语言模型】"), text);
    assertTrue(text.contains("“我的订单什么时候到？”"), text);
    assertTrue(text.contains("OPENAI_BASE_URL"));
    assertTrue(outputs.contains(new Token("订")) && outputs.contains(new Token("单")), "one token per Han character");
  }

  @Test
  void quotesLongMessagesShortened() {
    String reply = TemplateReplyGenerator.reply("word ".repeat(100));
    assertTrue(reply.contains("word word") && reply.contains("…\""), reply);
    assertTrue(reply.length() < 700, reply);
  }

  @Test
  void pacesTokensWithTheConfiguredRate() throws Exception {
    long start = System.nanoTime();
    List<Output> outputs = run(new TemplateReplyGenerator(200), "Hi");
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    int tokens = outputs.size() - 1;
    long atLeast = (tokens - 2) * 1000L / 200;
    assertTrue(elapsedMillis >= atLeast, tokens + " tokens at 200/s took only " + elapsedMillis + " ms");
  }

  @Test
  void zeroStreamsUnpacedTheSameTokens() throws Exception {
    List<Output> paced = run(new TemplateReplyGenerator(10_000), "How do I reset my password?");
    List<Output> unpaced = run(new TemplateReplyGenerator(0), "How do I reset my password?");
    assertEquals(paced, unpaced);
  }
}
