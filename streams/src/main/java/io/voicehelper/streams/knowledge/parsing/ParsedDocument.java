package io.voicehelper.streams.knowledge.parsing;

import java.util.List;

/**
 * A document's text as a sequence of structural blocks, in reading order.
 *
 * @param contentType the media type detected from the content (for example {@code application/pdf})
 * @param title the document's own title if it has one, else empty
 * @param blocks headings, paragraphs, list items and tables
 */
public record ParsedDocument(String contentType, String title, List<Block> blocks) {

  public ParsedDocument {
    blocks = List.copyOf(blocks);
  }

  /** What a block is. */
  public enum Kind {
    HEADING,
    PARAGRAPH,
    LIST_ITEM,
    /** A table: one line per row, cells separated by {@code " | "}. */
    TABLE
  }

  /**
   * One block of text, already cleaned (whitespace collapsed, control characters removed).
   *
   * @param level for a heading its level, 1 for the outermost; 0 for other blocks
   */
  public record Block(Kind kind, String text, int level) {}
}
