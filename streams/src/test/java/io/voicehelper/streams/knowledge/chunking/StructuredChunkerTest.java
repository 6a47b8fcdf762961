package io.voicehelper.streams.knowledge.chunking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.conversation.TokenEstimator;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Block;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StructuredChunkerTest {

  private static Block heading(int level, String text) {
    return new Block(Kind.HEADING, text, level);
  }

  private static Block paragraph(String text) {
    return new Block(Kind.PARAGRAPH, text, 0);
  }

  private static Block item(String text) {
    return new Block(Kind.LIST_ITEM, text, 0);
  }

  private static Block table(String text) {
    return new Block(Kind.TABLE, text, 0);
  }

  private static List<ChunkDraft> chunk(int max, int overlap, Block... blocks) {
    return new StructuredChunker(new ChunkingSettings(max, overlap))
        .chunk(new ParsedDocument("text/plain", "", List.of(blocks)));
  }

  /** "Sentence number 1 is here. Sentence number 2 is here. …" — 7 tokens a sentence. */
  private static String numberedSentences(int from, int to) {
    return IntStream.rangeClosed(from, to)
        .mapToObj(i -> "Sentence number " + i + " is here.")
        .collect(Collectors.joining(" "));
  }

  @Test
  void headingPathsFollowTheOutlineAndEachHeadingEndsAChunk() {
    List<ChunkDraft> chunks =
        chunk(
            300,
            50,
            paragraph("Before any heading."),
            heading(1, "Returns"),
            paragraph("Return within 30 days."),
            heading(2, "Conditions"),
            item("Unused."),
            item("Original packaging."),
            heading(3, "Exceptions"),
            heading(2, "Refunds"),
            paragraph("Refunds take 5 days."),
            heading(1, "Contact"),
            paragraph("Call us."));

    assertEquals(
        List.of(
            List.of(),
            List.of("Returns"),
            List.of("Returns", "Conditions"),
            List.of("Returns", "Refunds"),
            List.of("Contact")),
        chunks.stream().map(ChunkDraft::headingPath).toList());
    assertEquals(
        List.of("Before any heading.", "Return within 30 days.", "Unused.\nOriginal packaging.", "Refunds take 5 days.", "Call us."),
        chunks.stream().map(ChunkDraft::text).toList());
    assertEquals(List.of(0, 1, 2, 3, 4), chunks.stream().map(ChunkDraft::position).toList());
  }

  @Test
  void paragraphsArePackedWholeUpToTheLimit() {
    String p1 = numberedSentences(1, 3); // 21 tokens
    String p2 = numberedSentences(4, 6);
    String p3 = numberedSentences(7, 9);

    List<ChunkDraft> chunks = chunk(45, 0, paragraph(p1), paragraph(p2), paragraph(p3));

    assertEquals(List.of(p1 + "\n" + p2, p3), chunks.stream().map(ChunkDraft::text).toList());
    chunks.forEach(c -> assertEquals(TokenEstimator.HEURISTIC.estimate(c.text()), c.tokens()));
  }

  @Test
  void aTableThatFitsStaysWhole() {
    String table = "Plan | Price\nBasic | 9.5\nPro | 29";

    List<ChunkDraft> chunks = chunk(300, 50, paragraph("Our plans:"), table(table));

    assertEquals(List.of("Our plans:\n" + table), chunks.stream().map(ChunkDraft::text).toList());
  }

  @Test
  void aLongTableIsSplitByRowsWithTheHeaderRepeated() {
    String header = "Product name | Return window | Restocking fee";
    List<String> rows = IntStream.rangeClosed(1, 30).mapToObj(i -> "Product " + i + " | " + i + " days | none").toList();

    List<ChunkDraft> chunks = chunk(60, 10, table(header + "\n" + String.join("\n", rows)));

    assertTrue(chunks.size() > 1, "split into " + chunks.size());
    List<String> seenRows = new ArrayList<>();
    for (ChunkDraft chunk : chunks) {
      List<String> lines = List.of(chunk.text().split("\n"));
      assertEquals(header, lines.get(0));
      assertTrue(lines.size() > 1);
      assertTrue(chunk.tokens() <= 60, chunk.tokens() + " tokens");
      seenRows.addAll(lines.subList(1, lines.size()));
    }
    assertEquals(rows, seenRows); // every row once, in order: rows are not overlapped
  }

  @Test
  void aLongChineseParagraphIsCutAtSentenceEnds() {
    String text =
        "请先关闭路由器电源。等待三十秒后重新打开！指示灯变绿了吗？如果没有，请检查网线；"
            + "仍然不行的话，请拨打客服电话。我们会在两个工作日内回复您。感谢您的耐心等待！";

    List<ChunkDraft> chunks = chunk(30, 0, paragraph(text));

    assertTrue(chunks.size() > 1);
    for (ChunkDraft chunk : chunks) {
      assertTrue(chunk.tokens() <= 30, chunk.text());
      assertTrue("。！？；".indexOf(chunk.text().charAt(chunk.text().length() - 1)) >= 0, chunk.text());
    }
    assertEquals(text, chunks.stream().map(ChunkDraft::text).collect(Collectors.joining()));
  }

  @Test
  void aLongEnglishParagraphIsCutAtSentenceEndsButNotAtAbbreviations() {
    String text =
        "Mr. Lee asked about order No. 42 yesterday. It shipped on Monday, e.g. Before the holiday. "
            + "The courier lost it in transit. A replacement costs 3.50 dollars. We sent it by express.";

    List<ChunkDraft> chunks = chunk(14, 0, paragraph(text));

    assertEquals(
        List.of(
            "Mr. Lee asked about order No. 42 yesterday.",
            "It shipped on Monday, e.g. Before the holiday.",
            "The courier lost it in transit.",
            "A replacement costs 3.50 dollars. We sent it by express."), // two short ones fit together
        chunks.stream().map(ChunkDraft::text).toList());
  }

  @Test
  void aSentenceLongerThanTheLimitIsCutByTokens() {
    String text = "退".repeat(250); // 250 tokens, no punctuation at all

    List<ChunkDraft> chunks = chunk(100, 20, paragraph(text));

    assertEquals(List.of(100, 100, 50), chunks.stream().map(ChunkDraft::tokens).toList());
    assertEquals(text, chunks.stream().map(ChunkDraft::text).collect(Collectors.joining()));
  }

  @Test
  void aLongEnglishSentenceIsCutAtSpaces() {
    String text = "word ".repeat(200).strip(); // 999 characters, 250 tokens

    List<ChunkDraft> chunks = chunk(50, 0, paragraph(text));

    for (ChunkDraft chunk : chunks) {
      assertTrue(chunk.tokens() <= 50);
      assertTrue(chunk.text().matches("word( word)*"), chunk.text());
    }
    assertEquals(text, chunks.stream().map(ChunkDraft::text).collect(Collectors.joining(" ")));
  }

  @Test
  void theNextChunkStartsWithTheLastWholeSentencesOfThePreviousWithinTheOverlap() {
    List<ChunkDraft> chunks = chunk(40, 15, paragraph(numberedSentences(1, 20)));

    assertTrue(chunks.size() > 2);
    int overlapping = 0;
    for (int i = 1; i < chunks.size(); i++) {
      List<String> previous = sentences(chunks.get(i - 1).text());
      List<String> next = sentences(chunks.get(i).text());
      int shared = 0;
      while (shared < next.size() && previous.contains(next.get(shared))) shared++;
      List<String> repeated = next.subList(0, shared);
      assertEquals(previous.subList(previous.size() - shared, previous.size()), repeated, "a suffix of the previous");
      assertTrue(TokenEstimator.HEURISTIC.estimate(String.join(" ", repeated)) <= 15, repeated.toString());
      assertTrue(shared < next.size(), "a chunk has new text");
      if (shared > 0) overlapping++;
      assertTrue(chunks.get(i).tokens() <= 40);
    }
    assertEquals(chunks.size() - 1, overlapping, "every following chunk overlaps");
    // 7 tokens a sentence, 15 of overlap: two sentences are repeated (two take 15 tokens when joined)
    assertEquals(2, sentences(chunks.get(1).text()).stream().filter(sentences(chunks.get(0).text())::contains).count());
  }

  @Test
  void overlapNeverCrossesAHeadingOrComesFromATable() {
    List<ChunkDraft> chunks =
        chunk(
            30,
            20,
            heading(1, "A"),
            paragraph(numberedSentences(1, 3)),
            heading(1, "B"),
            paragraph(numberedSentences(4, 5)),
            table("H1 | H2\nv1 | v2\nv3 | v4\nv5 | v6"),
            paragraph(numberedSentences(6, 8)));

    assertEquals(
        List.of(
            numberedSentences(1, 3),
            numberedSentences(4, 5) + "\nH1 | H2\nv1 | v2\nv3 | v4\nv5 | v6",
            numberedSentences(6, 8)),
        chunks.stream().map(ChunkDraft::text).toList());
  }

  @Test
  void noChunkExceedsTheLimitPositionsAreConsecutiveAndTheResultIsDeterministic() {
    Random random = new Random(7);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      int kind = random.nextInt(10);
      if (kind == 0) {
        blocks.add(heading(1 + random.nextInt(3), "Section " + i));
      } else if (kind == 1) {
        StringBuilder rows = new StringBuilder("Name | Value | Note");
        for (int r = random.nextInt(40); r >= 0; r--) rows.append("\nrow ").append(r).append(" | ").append(r * 7).append(" | 备注内容");
        blocks.add(table(rows.toString()));
      } else if (kind == 2) {
        blocks.add(paragraph("很长的句子没有标点".repeat(1 + random.nextInt(60))));
      } else {
        StringBuilder text = new StringBuilder();
        for (int s = random.nextInt(30); s >= 0; s--) {
          text.append(random.nextBoolean() ? "这是第" + s + "个句子，内容有长有短。" : "This is sentence " + s + ", e.g. a test. ");
        }
        blocks.add(random.nextBoolean() ? paragraph(text.toString().strip()) : item(text.toString().strip()));
      }
    }
    ParsedDocument document = new ParsedDocument("text/plain", "", blocks);

    for (ChunkingSettings settings : List.of(new ChunkingSettings(300, 50), new ChunkingSettings(64, 20), new ChunkingSettings(17, 0))) {
      StructuredChunker chunker = new StructuredChunker(settings);
      List<ChunkDraft> chunks = chunker.chunk(document);
      for (int i = 0; i < chunks.size(); i++) {
        ChunkDraft chunk = chunks.get(i);
        assertEquals(i, chunk.position());
        assertTrue(chunk.tokens() <= settings.maxTokens(), settings + ": " + chunk.tokens() + " tokens: " + chunk.text());
        assertEquals(TokenEstimator.HEURISTIC.estimate(chunk.text()), chunk.tokens());
        assertTrue(!chunk.text().isBlank());
      }
      assertEquals(chunks, chunker.chunk(document));
    }
  }

  @Test
  void settingsAreValidatedAndReadFromConfig() {
    assertThrows(IllegalArgumentException.class, () -> new ChunkingSettings(0, 0));
    assertThrows(IllegalArgumentException.class, () -> new ChunkingSettings(100, 100));
    assertThrows(IllegalArgumentException.class, () -> new ChunkingSettings(100, -1));
    assertEquals(
        new ChunkingSettings(500, 80),
        ChunkingSettings.fromConfig(ConfigFactory.parseString("max-tokens = 500\noverlap-tokens = 80")));
    assertEquals(
        ChunkingSettings.DEFAULT,
        ChunkingSettings.fromConfig(ConfigFactory.load().getConfig(ChunkingSettings.CONFIG_PATH)));
  }

  private static List<String> sentences(String text) {
    return SentenceSplitter.split(text.replace('\n', ' ')).stream().map(String::strip).toList();
  }
}
