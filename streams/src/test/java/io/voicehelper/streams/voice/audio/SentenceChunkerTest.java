package io.voicehelper.streams.voice.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;

class SentenceChunkerTest {

  private static final VoiceAudioSettings.Chunker DEFAULTS =
      VoiceAudioSettings.fromConfig(ConfigFactory.defaultReference().getConfig(VoiceAudioSettings.CONFIG_PATH))
          .chunker();

  /** {@code text} fed one character at a time (the worst case for boundaries), then finished. */
  private static List<String> chunksOf(String text) {
    SentenceChunker chunker = new SentenceChunker(DEFAULTS);
    List<String> chunks = new ArrayList<>();
    text.codePoints().forEach(cp -> chunks.addAll(chunker.accept(new String(Character.toChars(cp)))));
    chunks.addAll(chunker.finish());
    return chunks;
  }

  @Test
  void eachSentenceIsEmittedAsSoonAsTheNextCharacterShowsItEnded() {
    SentenceChunker chunker = new SentenceChunker(DEFAULTS);
    assertEquals(List.of(), chunker.accept("Your order shipped yesterday."));
    assertEquals(List.of("Your order shipped yesterday."), chunker.accept(" It"));
    assertEquals(List.of(), chunker.accept(" arrives Friday!"));
    assertEquals(List.of("It arrives Friday!"), chunker.accept(" Anything else?"));
    assertEquals(List.of("Anything else?"), chunker.finish());
  }

  @Test
  void abbreviationsDecimalsUrlsAndListNumbersDoNotEndSentences() {
    assertEquals(
        List.of(
            "Some items, e.g. shoes, cost 3.5 dollars more.",
            "Mr. Smith can see it at https://shop.example.com/orders?id=7.",
            "Then call Dr. Lee.",
            "1. Open the app.",
            "2. Tap Orders."),
        chunksOf("Some items, e.g. shoes, cost 3.5 dollars more. Mr. Smith can see it at "
            + "https://shop.example.com/orders?id=7. Then call Dr. Lee.\n1. Open the app.\n2. Tap Orders."));
  }

  @Test
  void chineseSentencesEndAtTheirOwnPunctuation() {
    assertEquals(
        List.of("您的订单已经发货了。", "预计周五到达！", "还有其他问题吗？"),
        chunksOf("您的订单已经发货了。预计周五到达！还有其他问题吗？"));
  }

  @Test
  void theFirstChunkIsCutEarlyAtAComma() {
    List<String> chunks = chunksOf(
        "Thanks for waiting so patiently, I found your order and it left our warehouse this morning, "
            + "so it should arrive by Friday.");
    assertEquals("Thanks for waiting so patiently,", chunks.get(0));
    assertEquals(
        "I found your order and it left our warehouse this morning, so it should arrive by Friday.", chunks.get(1));
    assertEquals(2, chunks.size(), "only the first chunk is cut at a comma: " + chunks);
    assertEquals(List.of("Yes, it does."), chunksOf("Yes, it does."), "a comma before min chars does not cut");
    assertEquals(
        List.of("您好，感谢您耐心等待，我已经查到了您的订单信息，", "它今天上午已经从仓库发出，预计周五送达。"),
        chunksOf("您好，感谢您耐心等待，我已经查到了您的订单信息，它今天上午已经从仓库发出，预计周五送达。"));
    assertEquals(List.of("1,000 units arrived in the warehouse today."), chunksOf("1,000 units arrived in the warehouse today."));
  }

  @Test
  void longTextWithoutPunctuationIsCutAtASpace() {
    String words = "word ".repeat(100);
    List<String> chunks = chunksOf(words);
    assertTrue(chunks.size() >= 2, chunks.toString());
    for (String chunk : chunks) {
      assertTrue(chunk.length() <= DEFAULTS.maxChars(), chunk.length() + " chars");
      assertTrue(chunk.matches("(word ?)+"), "cut between words: " + chunk);
    }
    assertEquals(words.strip(), String.join(" ", chunks));
  }

  @Test
  void markdownAndCitationsAreNotSpoken() {
    assertEquals(
        List.of("Returns", "You can return items within 30 days.", "Keep the receipt, see the policy page.",
            "Refunds take 5 days."),
        chunksOf("## Returns\n- You can **return** items within *30 days* [1].\n- Keep the `receipt`, see "
            + "[the policy page](https://example.com/returns).[2] Refunds take 5 days.[^3]\n---\n"));
    assertEquals(List.of("退货请在三十天内申请。"), chunksOf("退货请在三十天内申请【1】。"));
    assertEquals("", SentenceChunker.speakable(" [1][2] ** "));
  }

  @Test
  void theRemainderIsFlushedOnCompletion() throws Exception {
    ActorTestKit testKit = ActorTestKit.create();
    try {
      List<String> chunks = Source.from(List.of("Hello the", "re. How can I", " help you today"))
          .via(SentenceChunker.flow(DEFAULTS))
          .runWith(Sink.seq(), testKit.system())
          .toCompletableFuture()
          .get(5, TimeUnit.SECONDS);
      assertEquals(List.of("Hello there.", "How can I help you today"), chunks);
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
