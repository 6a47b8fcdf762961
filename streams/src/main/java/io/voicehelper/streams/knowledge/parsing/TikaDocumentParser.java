package io.voicehelper.streams.knowledge.parsing;

import io.voicehelper.entities.knowledge.DocumentPipeline;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Block;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.io.IOUtils;
import org.apache.commons.io.input.CloseShieldInputStream;
import org.apache.tika.detect.DefaultDetector;
import org.apache.tika.detect.Detector;
import org.apache.tika.detect.EncodingDetector;
import org.apache.tika.detect.DefaultEncodingDetector;
import org.apache.tika.exception.EncryptedDocumentException;
import org.apache.tika.exception.TikaException;
import org.apache.tika.extractor.EmbeddedDocumentExtractor;
import org.apache.tika.io.TemporaryResources;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.mime.MediaType;
import org.apache.tika.mime.MediaTypeRegistry;
import org.apache.tika.parser.CompositeParser;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.parser.Parser;
import org.apache.tika.parser.html.JSoupParser;
import org.apache.tika.parser.microsoft.OfficeParser;
import org.apache.tika.parser.microsoft.OfficeParserConfig;
import org.apache.tika.parser.microsoft.ooxml.OOXMLParser;
import org.apache.tika.parser.pdf.PDFParser;
import org.apache.tika.parser.pdf.PDFParserConfig;
import org.apache.tika.detect.AutoDetectReader;
import org.xml.sax.ContentHandler;

/**
 * A {@link DocumentParser} over Apache Tika for PDF, Word (.docx and .doc), PowerPoint (.pptx), Excel (.xlsx), HTML,
 * Markdown and plain text.
 *
 * <p>The type is detected from the bytes (magic numbers, and the parts inside an Office file); the file name only
 * tells Markdown and HTML from plain text when the content is text, so a PDF named {@code notes.txt} is read as a
 * PDF and an image named {@code x.pdf} is refused. Only the parsers of the supported types are loaded: no external
 * programs, no OCR, no embedded files. Tika's XHTML events become blocks in {@link BlockContentHandler}; Markdown
 * and plain text are read here.
 *
 * <p>Parsing is blocking CPU and file work (Tika spools large inputs to temporary files): callers run it on the
 * knowledge pipeline's blocking dispatcher, never on the default one. Instances are thread-safe.
 */
public final class TikaDocumentParser implements DocumentParser {

  /** The default bound on extracted text: enough for a 10,000-page manual, small enough to hold in memory. */
  public static final long DEFAULT_MAX_CHARACTERS = 20_000_000L;

  private static final MediaType MARKDOWN = MediaType.text("markdown");
  private static final MediaType ENCRYPTED_OOXML = MediaType.application("x-tika-ooxml-protected");

  /** Supported types (detected base types) and how a user calls them. */
  private static final Map<MediaType, String> SUPPORTED =
      Map.of(
          MediaType.application("pdf"), "PDF",
          MediaType.application("vnd.openxmlformats-officedocument.wordprocessingml.document"), "Word",
          MediaType.application("msword"), "Word 97-2003",
          MediaType.application("vnd.openxmlformats-officedocument.presentationml.presentation"), "PowerPoint",
          MediaType.application("vnd.openxmlformats-officedocument.spreadsheetml.sheet"), "Excel",
          MediaType.TEXT_HTML, "HTML",
          MediaType.application("xhtml+xml"), "HTML",
          MARKDOWN, "Markdown",
          MediaType.TEXT_PLAIN, "plain text");

  private static final String SUPPORTED_LIST =
      "PDF, Word (.docx, .doc), PowerPoint (.pptx), Excel (.xlsx), HTML, Markdown and plain text";

  private final long maxCharacters;
  private final Detector detector = new DefaultDetector();
  private final EncodingDetector encodingDetector = new DefaultEncodingDetector();
  private final Parser parser =
      new CompositeParser(
          MediaTypeRegistry.getDefaultRegistry(), new PDFParser(), new OOXMLParser(), new OfficeParser(), new JSoupParser());

  /** A parser that accepts up to {@link #DEFAULT_MAX_CHARACTERS} characters of text. */
  public TikaDocumentParser() {
    this(DEFAULT_MAX_CHARACTERS);
  }

  /** A parser that refuses documents with more than {@code maxCharacters} characters of text. */
  public TikaDocumentParser(long maxCharacters) {
    if (maxCharacters <= 0) throw new IllegalArgumentException("maxCharacters must be positive: " + maxCharacters);
    this.maxCharacters = maxCharacters;
  }

  @Override
  public ParsedDocument parse(InputStream in, String fileName) {
    try (TemporaryResources tmp = new TemporaryResources()) {
      TikaInputStream stream = TikaInputStream.get(CloseShieldInputStream.wrap(in), tmp, new Metadata());
      if (isEmpty(stream)) throw new DocumentPipeline.Failed("the file is empty");
      MediaType detected = detector.detect(stream, new Metadata()).getBaseType(); // content only: no name
      String name = fileName == null ? "" : fileName.toLowerCase(Locale.ROOT);
      if (detected.equals(MediaType.OCTET_STREAM) && hasTextName(name) && looksLikeText(stream)) {
        detected = MediaType.TEXT_PLAIN; // text in a legacy encoding (GBK, Big5) that Tika's magic does not see
      }
      MediaType type = refineTextByName(detected, name);
      if (type.equals(ENCRYPTED_OOXML)) throw encrypted();
      String label = SUPPORTED.get(type);
      if (label == null) {
        throw new DocumentPipeline.Failed(
            "files of type " + type + " are not supported; supported are " + SUPPORTED_LIST);
      }
      ParsedDocument document =
          type.equals(MARKDOWN) || type.equals(MediaType.TEXT_PLAIN)
              ? readText(stream, type)
              : parseWithTika(stream, type, label);
      if (document.blocks().isEmpty()) {
        throw new DocumentPipeline.Failed(
            type.equals(MediaType.application("pdf"))
                ? "the PDF contains no text (a scanned PDF needs OCR, which is not supported)"
                : "the " + label + " file contains no text");
      }
      return document;
    } catch (IOException e) {
      throw new DocumentPipeline.Failed("the file could not be read", e);
    }
  }

  private ParsedDocument parseWithTika(TikaInputStream stream, MediaType type, String label) {
    Metadata metadata = new Metadata();
    metadata.set(Metadata.CONTENT_TYPE, type.toString()); // the composite parser picks its parser by this
    boolean pdf = type.equals(MediaType.application("pdf"));
    BlockContentHandler handler = new BlockContentHandler(maxCharacters, pdf);
    try {
      parser.parse(stream, handler, metadata, parseContext());
    } catch (EncryptedDocumentException e) {
      throw encrypted();
    } catch (Exception e) { // TikaException, SAXException, IOException, and parsers' own runtime failures
      if (hasCause(e, TooMuchTextException.class)) throw tooMuchText();
      if (hasCause(e, EncryptedDocumentException.class)) throw encrypted();
      String article = label.matches("^[AEIOU].*") ? "an " : "a ";
      throw new DocumentPipeline.Failed(
          "the file could not be read as " + article + label + " document: it is damaged or incomplete", e);
    }
    String title = metadata.get(TikaCoreProperties.TITLE);
    return new ParsedDocument(
        type.toString(), title == null ? "" : TextCleaner.clean(title, false), handler.blocks());
  }

  private ParsedDocument readText(TikaInputStream stream, MediaType type) throws IOException {
    String text;
    try (Reader reader = new AutoDetectReader(CloseShieldInputStream.wrap(stream), new Metadata(), encodingDetector)) {
      StringBuilder out = new StringBuilder();
      char[] buffer = new char[8192];
      for (int n; (n = reader.read(buffer)) >= 0; ) {
        out.append(buffer, 0, n);
        if (out.length() > maxCharacters) throw tooMuchText();
      }
      text = out.toString();
    } catch (TikaException e) {
      throw new DocumentPipeline.Failed("the text file's character encoding could not be recognised", e);
    }
    List<Block> blocks = type.equals(MARKDOWN) ? MarkdownReader.read(text) : plainTextBlocks(text);
    return new ParsedDocument(type.toString(), "", blocks);
  }

  /** Plain text: paragraphs are separated by blank lines; the line breaks inside one are not structure. */
  private static List<Block> plainTextBlocks(String text) {
    List<Block> blocks = new ArrayList<>();
    for (String paragraph : text.split("\\r?\\n[ \\t\\x0B\\f]*(?:\\r?\\n)+")) {
      String cleaned = TextCleaner.clean(paragraph, false);
      if (!cleaned.isEmpty()) blocks.add(new Block(Kind.PARAGRAPH, cleaned, 0));
    }
    return blocks;
  }

  /** Content detection cannot tell Markdown or a bare HTML fragment from plain text; the (lower-case) name can. */
  private static MediaType refineTextByName(MediaType detected, String name) {
    if (!detected.equals(MediaType.TEXT_PLAIN)) return detected;
    if (isMarkdownName(name)) return MARKDOWN;
    if (name.endsWith(".html") || name.endsWith(".htm") || name.endsWith(".xhtml")) return MediaType.TEXT_HTML;
    return detected;
  }

  private static boolean isMarkdownName(String name) {
    return name.endsWith(".md") || name.endsWith(".markdown") || name.endsWith(".mdown") || name.endsWith(".mkd");
  }

  private static boolean hasTextName(String name) {
    return name.endsWith(".txt") || name.endsWith(".text") || isMarkdownName(name);
  }

  /** Whether the first 8 KiB have no NUL byte and almost no other control bytes, as any text encoding would. */
  private static boolean looksLikeText(TikaInputStream stream) throws IOException {
    byte[] head = new byte[8192];
    stream.mark(head.length);
    int length = IOUtils.read(stream, head);
    stream.reset();
    int control = 0;
    for (int i = 0; i < length; i++) {
      int b = head[i] & 0xFF;
      if (b == 0) return false;
      if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f') || b == 0x7F) control++;
    }
    return control * 100 < length;
  }

  private static ParseContext parseContext() {
    ParseContext context = new ParseContext();
    PDFParserConfig pdf = new PDFParserConfig();
    pdf.setOcrStrategy(PDFParserConfig.OCR_STRATEGY.NO_OCR);
    pdf.setExtractInlineImages(false);
    context.set(PDFParserConfig.class, pdf);
    OfficeParserConfig office = new OfficeParserConfig();
    office.setIncludeSlideMasterContent(false); // template text such as "Click to edit Master title style"
    office.setIncludeDeletedContent(false);
    office.setIncludeMoveFromContent(false);
    context.set(OfficeParserConfig.class, office);
    context.set(EmbeddedDocumentExtractor.class, SkipEmbedded.INSTANCE);
    return context;
  }

  private static boolean isEmpty(TikaInputStream stream) throws IOException {
    stream.mark(1);
    int first = stream.read();
    stream.reset();
    return first < 0;
  }

  private static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) return true;
    }
    return false;
  }

  private static DocumentPipeline.Failed encrypted() {
    return new DocumentPipeline.Failed("the file is encrypted or password-protected; upload it without a password");
  }

  private DocumentPipeline.Failed tooMuchText() {
    return new DocumentPipeline.Failed("the document has more than " + maxCharacters + " characters of text");
  }

  /**
   * Embedded files (images, attachments, OLE objects) are not read: their text is rarely answer material, and
   * without this Tika would build a full auto-detecting parser, probing for external programs, for each one.
   */
  private enum SkipEmbedded implements EmbeddedDocumentExtractor {
    INSTANCE;

    @Override
    public boolean shouldParseEmbedded(Metadata metadata) {
      return false;
    }

    @Override
    public void parseEmbedded(InputStream stream, ContentHandler handler, Metadata metadata, boolean outputHtml) {
      // nothing: shouldParseEmbedded refuses every embedded file
    }
  }
}
