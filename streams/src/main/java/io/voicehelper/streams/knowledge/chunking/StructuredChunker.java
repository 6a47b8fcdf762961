package io.voicehelper.streams.knowledge.chunking;

import io.voicehelper.entities.conversation.TokenEstimator;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Block;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a document along its structure, then by size.
 *
 * <ul>
 *   <li>A heading of level L replaces the path's headings of level L and deeper, and ends the chunk before it: a
 *       chunk never spans two sections. Headings are not repeated in the text; they are the chunk's {@code
 *       headingPath}, which the indexer may prepend when it embeds.
 *   <li>Paragraphs and list items are packed whole, one after another (separated by a line break), while the chunk
 *       stays within {@code maxTokens}. A block longer than that is cut at sentence ends ({@link SentenceSplitter}),
 *       and a sentence still longer is cut by tokens, at a space where there is one.
 *   <li>A table that fits stays whole; a longer one is cut between rows, each part starting with the header row.
 *   <li>A chunk that follows another in the same section starts with the last whole sentences of it, at most
 *       {@code overlapTokens} of them (fewer when they would push the chunk over {@code maxTokens}). Table rows and
 *       pieces of a cut sentence are never repeated.
 * </ul>
 *
 * <p>No chunk's text exceeds {@code maxTokens} by {@link TokenEstimator#HEURISTIC}. The price is paid by two
 * edge cases: a row longer than the budget is cut by tokens (each piece under the header), and a table whose
 * header row leaves less than a quarter of the budget for rows is cut by tokens without repeating the header. A
 * section with a heading and no text gives no chunk. Deterministic and thread-safe.
 */
public final class StructuredChunker implements Chunker {

  private static final TokenEstimator TOKENS = TokenEstimator.HEURISTIC;

  private final ChunkingSettings settings;

  public StructuredChunker(ChunkingSettings settings) {
    this.settings = settings;
  }

  /** A chunker with {@link ChunkingSettings#DEFAULT}. */
  public StructuredChunker() {
    this(ChunkingSettings.DEFAULT);
  }

  @Override
  public List<ChunkDraft> chunk(ParsedDocument document) {
    Run run = new Run(settings.maxTokens(), settings.overlapTokens());
    for (Block block : document.blocks()) {
      switch (block.kind()) {
        case HEADING -> run.heading(block.level(), block.text());
        case TABLE -> run.table(block.text());
        case PARAGRAPH, LIST_ITEM -> run.prose(block.text());
      }
    }
    run.endSection();
    return List.copyOf(run.chunks);
  }

  /**
   * A piece of a chunk: a sentence (with the whitespace after it), a piece of a cut sentence, or a table (part).
   * Pieces of the same block are joined as they were; pieces of different blocks go on separate lines.
   */
  private record Piece(String text, int block, boolean wholeSentence) {}

  private record Heading(int level, String text) {}

  /** The state of one {@link #chunk} call. */
  private static final class Run {
    final int maxTokens;
    final int overlapTokens;
    final List<ChunkDraft> chunks = new ArrayList<>();
    final List<Heading> path = new ArrayList<>();
    final List<Piece> current = new ArrayList<>();
    /** How many of {@link #current}'s first pieces repeat the chunk before. */
    int repeated;
    int blocks;

    Run(int maxTokens, int overlapTokens) {
      this.maxTokens = maxTokens;
      this.overlapTokens = overlapTokens;
    }

    void heading(int level, String text) {
      endSection();
      path.removeIf(h -> h.level() >= level);
      path.add(new Heading(level, text));
    }

    void prose(String text) {
      int block = ++blocks;
      List<Piece> sentences = new ArrayList<>();
      for (String sentence : SentenceSplitter.split(text)) sentences.add(new Piece(sentence, block, true));
      if (TOKENS.estimate(text) <= maxTokens) {
        add(sentences); // a block that fits is never cut
        return;
      }
      for (Piece sentence : sentences) {
        if (TOKENS.estimate(sentence.text().strip()) <= maxTokens) {
          add(List.of(sentence));
        } else {
          for (String part : cutByTokens(sentence.text(), maxTokens)) add(List.of(new Piece(part, block, false)));
        }
      }
    }

    void table(String text) {
      if (TOKENS.estimate(text) <= maxTokens) {
        add(List.of(new Piece(text, ++blocks, false)));
        return;
      }
      String[] lines = text.split("\n");
      String header = lines[0];
      int rowBudget = maxTokens - TOKENS.estimate(header) - 1; // the line break and rounding cost at most one
      if (lines.length == 1 || rowBudget < maxTokens / 4) { // no rows, or a header that leaves no room for them
        for (String part : cutByTokens(text, maxTokens)) add(List.of(new Piece(part, ++blocks, false)));
        return;
      }
      StringBuilder part = new StringBuilder(header);
      for (int i = 1; i < lines.length; i++) {
        String row = lines[i];
        if (TOKENS.estimate(part + "\n" + row) <= maxTokens) {
          part.append('\n').append(row);
          continue;
        }
        if (part.length() > header.length()) add(List.of(new Piece(part.toString(), ++blocks, false)));
        part.setLength(0);
        part.append(header);
        if (TOKENS.estimate(header + "\n" + row) <= maxTokens) {
          part.append('\n').append(row);
        } else {
          for (String rowPart : cutByTokens(row, rowBudget)) {
            add(List.of(new Piece(header + "\n" + rowPart.strip(), ++blocks, false)));
          }
        }
      }
      if (part.length() > header.length()) add(List.of(new Piece(part.toString(), ++blocks, false)));
    }

    /** Adds pieces that must stay together, starting a new chunk (with overlap) when they do not fit. */
    void add(List<Piece> pieces) {
      List<Piece> candidate = new ArrayList<>(current);
      candidate.addAll(pieces);
      if (fits(candidate)) {
        current.addAll(pieces);
        return;
      }
      if (current.size() > repeated) {
        emit();
        List<Piece> overlap = overlapOf(current);
        current.clear();
        current.addAll(overlap);
        repeated = overlap.size();
      }
      while (repeated > 0) { // drop the oldest repeated sentences until the new pieces fit
        candidate = new ArrayList<>(current);
        candidate.addAll(pieces);
        if (fits(candidate)) break;
        current.remove(0);
        repeated--;
      }
      current.addAll(pieces);
    }

    void endSection() {
      if (current.size() > repeated) emit();
      current.clear();
      repeated = 0;
    }

    private void emit() {
      String text = render(current);
      List<String> headings = new ArrayList<>();
      for (Heading h : path) headings.add(h.text());
      chunks.add(new ChunkDraft(chunks.size(), headings, text, TOKENS.estimate(text)));
    }

    /** The last whole sentences of {@code pieces} totalling at most {@link #overlapTokens}. */
    private List<Piece> overlapOf(List<Piece> pieces) {
      List<Piece> overlap = new ArrayList<>();
      for (int i = pieces.size() - 1; i >= 0 && pieces.get(i).wholeSentence(); i--) {
        List<Piece> candidate = new ArrayList<>();
        candidate.add(pieces.get(i));
        candidate.addAll(overlap);
        if (TOKENS.estimate(render(candidate)) > overlapTokens) break;
        overlap = candidate;
      }
      return overlap;
    }

    private boolean fits(List<Piece> pieces) {
      return TOKENS.estimate(render(pieces)) <= maxTokens;
    }

    private static String render(List<Piece> pieces) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < pieces.size(); i++) {
        if (i > 0 && pieces.get(i).block() != pieces.get(i - 1).block()) {
          trimEnd(text);
          text.append('\n');
        }
        text.append(pieces.get(i).text());
      }
      return text.toString().strip();
    }

    private static void trimEnd(StringBuilder text) {
      int end = text.length();
      while (end > 0 && Character.isWhitespace(text.charAt(end - 1))) end--;
      text.setLength(end);
    }
  }

  /**
   * Cuts {@code text} into pieces of at most {@code budget} tokens, counting as {@link TokenEstimator#HEURISTIC}
   * does; a piece ends after its last space when that keeps at least half of it.
   */
  static List<String> cutByTokens(String text, int budget) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    while (start < text.length()) {
      int cjk = 0;
      int other = 0;
      int end = start;
      int lastSpace = -1;
      while (end < text.length()) {
        int cp = text.codePointAt(end);
        int nextCjk = cjk + (TokenEstimator.isCjk(cp) ? 1 : 0);
        int nextOther = other + (TokenEstimator.isCjk(cp) ? 0 : 1);
        if (nextCjk + (nextOther + 3) / 4 > budget) break;
        cjk = nextCjk;
        other = nextOther;
        end += Character.charCount(cp);
        if (Character.isWhitespace(cp)) lastSpace = end;
      }
      if (end == start) end = start + Character.charCount(text.codePointAt(start)); // a budget below one token
      if (end < text.length() && lastSpace > start + (end - start) / 2) end = lastSpace;
      String part = text.substring(start, end);
      if (!part.isBlank()) parts.add(part);
      start = end;
    }
    return parts;
  }
}
