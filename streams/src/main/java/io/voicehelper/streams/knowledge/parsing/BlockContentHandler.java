package io.voicehelper.streams.knowledge.parsing;

import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Block;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.xml.sax.Attributes;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Turns Tika's XHTML events into {@link Block}s: {@code h1}–{@code h6} become headings, {@code li} list items, a
 * table one block with a line per row, any other text a paragraph. Counts the characters it receives and stops the
 * parse with {@link TooMuchTextException} beyond the limit, so a huge document never sits in memory whole.
 */
final class BlockContentHandler extends DefaultHandler {

  /** Elements whose start or end ends the text before them. */
  private static final Set<String> BLOCK_ELEMENTS =
      Set.of(
          "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre",
          "section", "article", "header", "footer", "aside", "nav", "main", "address", "figure", "figcaption", "hr",
          "form", "fieldset", "body");

  /** Elements whose text is not document text. */
  private static final Set<String> SKIPPED_ELEMENTS = Set.of("head", "title", "script", "style", "noscript", "template");

  /** A bullet a word processor put before a list paragraph's text. */
  private static final Pattern BULLET = Pattern.compile("^[•·▪◦‣⁃●○■□➢►✓✔\\-*]\\s+");

  private final long maxCharacters;
  private final boolean dehyphenate;
  private final List<Block> blocks = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();
  /** Open block elements, innermost first: their names, or "li" for a paragraph styled as a list. */
  private final Deque<String> open = new ArrayDeque<>();

  private long characters;
  private int skipDepth;
  private int tableDepth;
  private final List<String> rows = new ArrayList<>();
  private final List<String> cells = new ArrayList<>();
  private final StringBuilder cell = new StringBuilder();
  private boolean inCell;

  BlockContentHandler(long maxCharacters, boolean dehyphenate) {
    this.maxCharacters = maxCharacters;
    this.dehyphenate = dehyphenate;
  }

  /** The blocks read so far, in reading order. */
  List<Block> blocks() {
    flushText();
    return List.copyOf(blocks);
  }

  @Override
  public void startElement(String uri, String localName, String qName, Attributes attributes) {
    String name = name(localName, qName);
    if (SKIPPED_ELEMENTS.contains(name)) {
      skipDepth++;
      return;
    }
    if (tableDepth > 0) {
      startInTable(name);
      return;
    }
    if (name.equals("table")) {
      flushText();
      tableDepth = 1;
      rows.clear();
    } else if (name.equals("br")) {
      text.append('\n');
    } else if (BLOCK_ELEMENTS.contains(name)) {
      flushText();
      open.push(name.equals("p") && isListStyle(attributes) ? "li" : name);
    }
  }

  @Override
  public void endElement(String uri, String localName, String qName) {
    String name = name(localName, qName);
    if (SKIPPED_ELEMENTS.contains(name)) {
      skipDepth = Math.max(0, skipDepth - 1);
      return;
    }
    if (tableDepth > 0) {
      endInTable(name);
      return;
    }
    if (BLOCK_ELEMENTS.contains(name)) {
      flushText();
      if (!open.isEmpty()) open.pop();
    }
  }

  @Override
  public void characters(char[] ch, int start, int length) throws TooMuchTextException {
    if (skipDepth > 0) return;
    characters += length;
    if (characters > maxCharacters) throw new TooMuchTextException(maxCharacters);
    if (tableDepth > 0) {
      if (inCell) cell.append(ch, start, length);
    } else {
      text.append(ch, start, length);
    }
  }

  @Override
  public void ignorableWhitespace(char[] ch, int start, int length) throws TooMuchTextException {
    characters(ch, start, length); // Tika sends the line breaks inside a PDF paragraph this way: they separate words
  }

  private void startInTable(String name) {
    switch (name) {
      case "table" -> tableDepth++;
      case "tr" -> {
        if (tableDepth == 1) cells.clear();
      }
      case "td", "th" -> {
        if (tableDepth == 1) {
          cell.setLength(0);
          inCell = true;
        } else {
          cell.append(' ');
        }
      }
      default -> {
        if (inCell) cell.append(' '); // paragraphs and line breaks inside a cell
      }
    }
  }

  private void endInTable(String name) {
    switch (name) {
      case "table" -> {
        tableDepth--;
        if (tableDepth == 0) {
          if (!rows.isEmpty()) blocks.add(new Block(Kind.TABLE, String.join("\n", rows), 0));
          rows.clear();
        }
      }
      case "td", "th" -> {
        if (tableDepth == 1) {
          cells.add(TextCleaner.clean(cell, dehyphenate));
          inCell = false;
        } else {
          cell.append(' ');
        }
      }
      case "tr" -> {
        if (tableDepth == 1) {
          if (cells.stream().anyMatch(c -> !c.isEmpty())) rows.add(String.join(" | ", cells));
          cells.clear();
        }
      }
      default -> {
        if (inCell) cell.append(' ');
      }
    }
  }

  private void flushText() {
    if (text.length() == 0) return;
    String cleaned = TextCleaner.clean(text, dehyphenate);
    text.setLength(0);
    if (cleaned.isEmpty()) return;
    int headingLevel = 0;
    boolean listItem = false;
    for (String element : open) { // innermost first
      if (headingLevel == 0 && element.length() == 2 && element.charAt(0) == 'h' && Character.isDigit(element.charAt(1))) {
        headingLevel = element.charAt(1) - '0';
      }
      if (element.equals("li")) listItem = true;
    }
    if (headingLevel > 0) {
      blocks.add(new Block(Kind.HEADING, cleaned, headingLevel));
    } else if (listItem) {
      String item = BULLET.matcher(cleaned).replaceFirst("");
      if (!item.isEmpty()) blocks.add(new Block(Kind.LIST_ITEM, item, 0));
    } else {
      blocks.add(new Block(Kind.PARAGRAPH, cleaned, 0));
    }
  }

  /** Word's bulleted and numbered paragraphs are styled "List Paragraph", "List Bullet"…; Tika passes it as class. */
  private static boolean isListStyle(Attributes attributes) {
    String style = attributes.getValue("class");
    return style != null && style.toLowerCase(Locale.ROOT).contains("list");
  }

  private static String name(String localName, String qName) {
    String name = localName == null || localName.isEmpty() ? qName : localName;
    return name.toLowerCase(Locale.ROOT);
  }
}
