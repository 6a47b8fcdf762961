package io.voicehelper.streams.knowledge.parsing;

import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Block;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the block structure of Markdown (CommonMark and GitHub tables): ATX and setext headings, bullet and ordered
 * list items, pipe tables, fenced code, block quotes and paragraphs; inline markup is reduced to its text. Written
 * here because no Markdown library is on the classpath and the block level is all that chunking needs.
 */
final class MarkdownReader {

  private static final Pattern ATX_HEADING = Pattern.compile("^ {0,3}(#{1,6})(?:[ \\t]+(.*?))?(?:[ \\t]+#+)?[ \\t]*$");
  private static final Pattern SETEXT_UNDERLINE = Pattern.compile("^ {0,3}(=+|-+)[ \\t]*$");
  private static final Pattern LIST_ITEM = Pattern.compile("^[ \\t]*(?:[-*+•]|\\d{1,9}[.)])[ \\t]+(?:\\[[ xX]\\][ \\t]+)?(.*)$");
  private static final Pattern THEMATIC_BREAK = Pattern.compile("^ {0,3}([-*_])(?:[ \\t]*\\1){2,}[ \\t]*$");
  private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,}).*$");
  private static final Pattern TABLE_DELIMITER =
      Pattern.compile("^[ \\t]*\\|?[ \\t]*:?-+:?[ \\t]*(?:\\|[ \\t]*:?-+:?[ \\t]*)*\\|?[ \\t]*$");
  private static final Pattern BLOCK_QUOTE = Pattern.compile("^ {0,3}> ?");

  private static final Pattern IMAGE = Pattern.compile("!\\[([^\\]]*)\\]\\([^)]*\\)");
  private static final Pattern LINK = Pattern.compile("\\[([^\\]]+)\\]\\([^)]*\\)");
  private static final Pattern STRONG = Pattern.compile("(\\*\\*|__)(\\S(?:.*?\\S)?)\\1");
  private static final Pattern EMPHASIS = Pattern.compile("(?<![\\w*])\\*(\\S(?:[^*]*?\\S)?)\\*(?![\\w*])");
  private static final Pattern CODE_SPAN = Pattern.compile("`+([^`]+)`+");
  private static final Pattern HTML_TAG = Pattern.compile("</?[a-zA-Z][^>]*>");

  private MarkdownReader() {}

  static List<Block> read(String markdown) {
    String[] lines = markdown.split("\\r?\\n|\\r", -1);
    List<Block> blocks = new ArrayList<>();
    StringBuilder paragraph = new StringBuilder();
    StringBuilder item = null;
    for (int i = 0; i < lines.length; i++) {
      String line = BLOCK_QUOTE.matcher(lines[i]).replaceFirst("");
      Matcher m;
      if (line.isBlank()) {
        flush(blocks, paragraph, Kind.PARAGRAPH);
        item = flushItem(blocks, item);
      } else if ((m = FENCE.matcher(line)).matches()) {
        flush(blocks, paragraph, Kind.PARAGRAPH);
        item = flushItem(blocks, item);
        String fence = m.group(1);
        StringBuilder code = new StringBuilder();
        while (i + 1 < lines.length && !lines[i + 1].trim().startsWith(fence)) {
          code.append(lines[++i]).append('\n');
        }
        i++; // the closing fence, if any
        addBlock(blocks, Kind.PARAGRAPH, code.toString(), 0, false);
      } else if ((m = ATX_HEADING.matcher(line)).matches()) {
        flush(blocks, paragraph, Kind.PARAGRAPH);
        item = flushItem(blocks, item);
        addBlock(blocks, Kind.HEADING, m.group(2) == null ? "" : m.group(2), m.group(1).length(), true);
      } else if (paragraph.length() > 0 && (m = SETEXT_UNDERLINE.matcher(line)).matches()) {
        addBlock(blocks, Kind.HEADING, paragraph.toString(), m.group(1).charAt(0) == '=' ? 1 : 2, true);
        paragraph.setLength(0);
      } else if (THEMATIC_BREAK.matcher(line).matches()) {
        flush(blocks, paragraph, Kind.PARAGRAPH);
        item = flushItem(blocks, item);
      } else if (line.contains("|") && i + 1 < lines.length && TABLE_DELIMITER.matcher(lines[i + 1]).matches()
          && lines[i + 1].contains("-")) {
        flush(blocks, paragraph, Kind.PARAGRAPH);
        item = flushItem(blocks, item);
        List<String> rows = new ArrayList<>();
        rows.add(tableRow(line));
        i++; // the delimiter row
        while (i + 1 < lines.length && !lines[i + 1].isBlank() && lines[i + 1].contains("|")) {
          rows.add(tableRow(lines[++i]));
        }
        rows.removeIf(row -> row.replace("|", "").isBlank());
        if (!rows.isEmpty()) blocks.add(new Block(Kind.TABLE, String.join("\n", rows), 0));
      } else if ((m = LIST_ITEM.matcher(line)).matches()) {
        flush(blocks, paragraph, Kind.PARAGRAPH);
        item = flushItem(blocks, item);
        item = new StringBuilder(m.group(1));
      } else if (item != null) {
        item.append(' ').append(line.trim()); // a continuation line of the item
      } else {
        paragraph.append(paragraph.length() > 0 ? "\n" : "").append(line.trim());
      }
    }
    flush(blocks, paragraph, Kind.PARAGRAPH);
    flushItem(blocks, item);
    return List.copyOf(blocks);
  }

  private static StringBuilder flushItem(List<Block> blocks, StringBuilder item) {
    if (item != null) addBlock(blocks, Kind.LIST_ITEM, item.toString(), 0, true);
    return null;
  }

  private static void flush(List<Block> blocks, StringBuilder text, Kind kind) {
    if (text.length() > 0) addBlock(blocks, kind, text.toString(), 0, true);
    text.setLength(0);
  }

  private static void addBlock(List<Block> blocks, Kind kind, String raw, int level, boolean inline) {
    String text = TextCleaner.clean(inline ? inlineText(raw) : raw, false);
    if (!text.isEmpty()) blocks.add(new Block(kind, text, level));
  }

  private static String tableRow(String line) {
    String row = line.trim();
    if (row.startsWith("|")) row = row.substring(1);
    if (row.endsWith("|") && !row.endsWith("\\|")) row = row.substring(0, row.length() - 1);
    List<String> cells = new ArrayList<>();
    for (String cell : row.split("(?<!\\\\)\\|", -1)) {
      cells.add(TextCleaner.clean(inlineText(cell.replace("\\|", "|")), false));
    }
    return String.join(" | ", cells);
  }

  /** The text of inline Markdown: links and images become their text, emphasis and code markers go. */
  static String inlineText(String raw) {
    String text = IMAGE.matcher(raw).replaceAll("$1");
    text = LINK.matcher(text).replaceAll("$1");
    text = CODE_SPAN.matcher(text).replaceAll("$1");
    text = STRONG.matcher(text).replaceAll("$2");
    text = EMPHASIS.matcher(text).replaceAll("$1");
    return HTML_TAG.matcher(text).replaceAll("");
  }
}
