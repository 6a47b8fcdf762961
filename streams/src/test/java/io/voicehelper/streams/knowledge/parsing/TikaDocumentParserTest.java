package io.voicehelper.streams.knowledge.parsing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.voicehelper.entities.knowledge.DocumentPipeline;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Block;
import io.voicehelper.streams.knowledge.parsing.ParsedDocument.Kind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class TikaDocumentParserTest {

  private static final TikaDocumentParser PARSER = new TikaDocumentParser();

  private static ParsedDocument parse(byte[] bytes, String name) {
    return PARSER.parse(new ByteArrayInputStream(bytes), name);
  }

  private static String failure(byte[] bytes, String name) {
    return assertThrows(DocumentPipeline.Failed.class, () -> parse(bytes, name)).getMessage();
  }

  private static List<Block> ofKind(ParsedDocument document, Kind kind) {
    return document.blocks().stream().filter(b -> b.kind() == kind).toList();
  }

  // --- real files of each supported type ---

  @Test
  void pdfParagraphsAndTitleWithHyphenatedWordsRejoined() {
    byte[] pdf =
        TestDocuments.pdf(
            "Charger manual",
            "The charger fills the battery in two hours. Keep it dry and away from exam-\nple heat sources.",
            "Unplug it when the light turns green.");

    ParsedDocument document = parse(pdf, "manual.pdf");

    assertEquals("application/pdf", document.contentType());
    assertEquals("Charger manual", document.title());
    assertEquals(
        List.of(
            new Block(
                Kind.PARAGRAPH,
                "The charger fills the battery in two hours. Keep it dry and away from example heat sources.",
                0),
            new Block(Kind.PARAGRAPH, "Unplug it when the light turns green.", 0)),
        document.blocks());
  }

  @Test
  void docxHeadingsParagraphsListAndTable() {
    ParsedDocument document = parse(TestDocuments.docx(), "handbook.docx");

    assertEquals("application/vnd.openxmlformats-officedocument.wordprocessingml.document", document.contentType());
    assertEquals("Returns handbook", document.title());
    assertEquals(
        List.of(
            new Block(Kind.HEADING, "Returns", 1),
            new Block(Kind.PARAGRAPH, "You can return most items within 30 days of delivery.", 0),
            new Block(Kind.HEADING, "Conditions", 2),
            new Block(Kind.LIST_ITEM, "The item is unused.", 0),
            new Block(Kind.LIST_ITEM, "It is in its original packaging.", 0),
            new Block(Kind.TABLE, "Item | Days\nShoes | 30\nElectronics | 14", 0),
            new Block(Kind.HEADING, "Contact", 1),
            new Block(Kind.PARAGRAPH, "Write to support@example.com.", 0)),
        document.blocks());
  }

  @Test
  void pptxSlideTextWithoutMasterTemplateText() {
    ParsedDocument document = parse(TestDocuments.pptx(), "deck.pptx");

    assertEquals("application/vnd.openxmlformats-officedocument.presentationml.presentation", document.contentType());
    assertEquals(
        List.of("Shipping", "We ship to 40 countries.", "Delivery takes 3 to 5 days."),
        document.blocks().stream().map(Block::text).toList());
    assertTrue(document.blocks().stream().allMatch(b -> b.kind() == Kind.PARAGRAPH));
  }

  @Test
  void xlsxSheetNameIsAHeadingAndRowsATable() {
    ParsedDocument document = parse(TestDocuments.xlsx(), "prices.xlsx");

    assertEquals("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", document.contentType());
    assertEquals(
        List.of(new Block(Kind.HEADING, "Plans", 1), new Block(Kind.TABLE, "Plan | Price\nBasic | 9.5\nPro | 29", 0)),
        document.blocks());
  }

  @Test
  void htmlHeadingsListsAndTablesWithoutScriptsOrStyles() {
    String html =
        """
        <!DOCTYPE html>
        <html><head><title>Help center</title><style>p { color: red }</style></head>
        <body>
          <h1>Account</h1>
          <p>To reset your password,
             open <a href="/reset">the reset page</a>.</p>
          <script>var tracking = "not text";</script>
          <h2>Security</h2>
          <ul><li>Use a long password.</li><li>Turn on two-step login.</li></ul>
          <table>
            <tr><th>Plan</th><th>Devices</th></tr>
            <tr><td>Basic</td><td>1</td></tr>
            <tr><td>Family</td><td>5</td></tr>
          </table>
        </body></html>
        """;

    ParsedDocument document = parse(html.getBytes(UTF_8), "help.html");

    assertEquals("text/html", document.contentType());
    assertEquals("Help center", document.title());
    assertEquals(
        List.of(
            new Block(Kind.HEADING, "Account", 1),
            new Block(Kind.PARAGRAPH, "To reset your password, open the reset page.", 0),
            new Block(Kind.HEADING, "Security", 2),
            new Block(Kind.LIST_ITEM, "Use a long password.", 0),
            new Block(Kind.LIST_ITEM, "Turn on two-step login.", 0),
            new Block(Kind.TABLE, "Plan | Devices\nBasic | 1\nFamily | 5", 0)),
        document.blocks());
  }

  @Test
  void markdownWithChineseAndEnglish() {
    String markdown =
        """
        # 退货政策 Returns

        收到商品后 **30 天内**可以退货。请保留[原包装](https://example.com/pack)。
        Items must be unused.

        ## 条件 Conditions

        - 商品未使用
        - Original packaging
          with all accessories
        1. 联系客服

        | 商品 | 天数 |
        |------|-----:|
        | 鞋子 | 30 |
        | 电子产品 | 14 |

        ```
        code stays as text
        ```
        """;

    ParsedDocument document = parse(markdown.getBytes(UTF_8), "policy.md");

    assertEquals("text/markdown", document.contentType());
    assertEquals(
        List.of(
            new Block(Kind.HEADING, "退货政策 Returns", 1),
            new Block(Kind.PARAGRAPH, "收到商品后 30 天内可以退货。请保留原包装。 Items must be unused.", 0),
            new Block(Kind.HEADING, "条件 Conditions", 2),
            new Block(Kind.LIST_ITEM, "商品未使用", 0),
            new Block(Kind.LIST_ITEM, "Original packaging with all accessories", 0),
            new Block(Kind.LIST_ITEM, "联系客服", 0),
            new Block(Kind.TABLE, "商品 | 天数\n鞋子 | 30\n电子产品 | 14", 0),
            new Block(Kind.PARAGRAPH, "code stays as text", 0)),
        document.blocks());
  }

  @Test
  void plainTextParagraphsAreSeparatedByBlankLines() {
    String text = "Opening hours\u0007 are 9 to 5.\r\nWeekends closed.\r\n\r\n\r\n  客服电话：\n400-123-4567  \n";

    ParsedDocument document = parse(text.getBytes(UTF_8), "hours.txt");

    assertEquals("text/plain", document.contentType());
    assertEquals(
        List.of(
            new Block(Kind.PARAGRAPH, "Opening hours are 9 to 5. Weekends closed.", 0),
            new Block(Kind.PARAGRAPH, "客服电话： 400-123-4567", 0)),
        document.blocks());
  }

  @Test
  void chineseTextInGbkIsDecoded() {
    String text = "退货须知\n\n收到商品后三十天内可以申请退货，请保留购物凭证和原包装。客服会在两个工作日内联系您。";

    ParsedDocument document = parse(text.getBytes(Charset.forName("GB18030")), "须知.txt");

    assertEquals(
        List.of("退货须知", "收到商品后三十天内可以申请退货，请保留购物凭证和原包装。客服会在两个工作日内联系您。"),
        document.blocks().stream().map(Block::text).toList());
  }

  // --- detection by content, not by name ---

  @Test
  void aPdfNamedTxtIsReadAsPdf() {
    ParsedDocument document = parse(TestDocuments.pdf("Notes", "These are meeting notes."), "notes.txt");

    assertEquals("application/pdf", document.contentType());
    assertEquals(List.of(new Block(Kind.PARAGRAPH, "These are meeting notes.", 0)), document.blocks());
  }

  @Test
  void aPngNamedPdfIsRefusedNamingItsType() throws IOException {
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", png);

    String reason = failure(png.toByteArray(), "x.pdf");

    assertTrue(reason.contains("image/png") && reason.contains("not supported"), reason);
  }

  @Test
  void aZipNamedPdfIsRefusedNamingItsType() throws IOException {
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(zip)) {
      out.putNextEntry(new ZipEntry("readme.txt"));
      out.write("hello".getBytes(UTF_8));
      out.closeEntry();
    }

    String reason = failure(zip.toByteArray(), "x.pdf");

    assertTrue(reason.contains("application/zip") && reason.contains("not supported"), reason);
  }

  @Test
  void randomBytesNamedPdfAreRefused() {
    byte[] noise = new byte[4096];
    new Random(42).nextBytes(noise);

    String reason = failure(noise, "x.pdf");

    assertTrue(reason.contains("application/octet-stream") && reason.contains("not supported"), reason);
    assertTrue(failure(noise, "x.txt").contains("application/octet-stream"), "binary named .txt is not text");
  }

  @Test
  void aTruncatedPdfFailsAsDamaged() {
    byte[] pdf = TestDocuments.pdf("Manual", "Some text that will be cut off.");
    byte[] truncated = Arrays.copyOf(pdf, pdf.length / 3);

    String reason = failure(truncated, "manual.pdf");

    assertEquals("the file could not be read as a PDF document: it is damaged or incomplete", reason);
  }

  @Test
  void anEncryptedPdfFailsAsEncrypted() {
    String reason = failure(TestDocuments.encryptedPdf(), "secret.pdf");

    assertTrue(reason.contains("encrypted"), reason);
  }

  @Test
  void aCorruptDocxFailsAsDamaged() {
    byte[] docx = TestDocuments.docx();
    byte[] corrupt = Arrays.copyOf(docx, docx.length / 2);

    String reason = failure(corrupt, "handbook.docx");

    assertEquals("the file could not be read as a Word document: it is damaged or incomplete", reason);
  }

  @Test
  void anEmptyFileFails() {
    assertEquals("the file is empty", failure(new byte[0], "empty.pdf"));
  }

  @Test
  void aFileWithoutTextFails() {
    String reason = failure(TestDocuments.pdf("Blank"), "blank.pdf");

    assertEquals("the PDF contains no text (a scanned PDF needs OCR, which is not supported)", reason);
    assertEquals("the plain text file contains no text", failure(" \n\n\t \n".getBytes(UTF_8), "blank.txt"));
  }

  @Test
  void moreTextThanTheLimitFails() {
    TikaDocumentParser small = new TikaDocumentParser(100);
    byte[] longText = "word ".repeat(50).getBytes(UTF_8);
    String html = "<html><body><p>" + "word ".repeat(50) + "</p></body></html>";

    String textReason =
        assertThrows(DocumentPipeline.Failed.class, () -> small.parse(new ByteArrayInputStream(longText), "a.txt"))
            .getMessage();
    String htmlReason =
        assertThrows(
                DocumentPipeline.Failed.class,
                () -> small.parse(new ByteArrayInputStream(html.getBytes(UTF_8)), "a.html"))
            .getMessage();

    assertEquals("the document has more than 100 characters of text", textReason);
    assertEquals("the document has more than 100 characters of text", htmlReason);
    assertEquals(1, small.parse(new ByteArrayInputStream("word ".repeat(10).getBytes(UTF_8)), "a.txt").blocks().size());
  }

  @Test
  void theCallersStreamIsLeftOpen() {
    class TrackingStream extends ByteArrayInputStream {
      boolean closed;

      TrackingStream(byte[] bytes) {
        super(bytes);
      }

      @Override
      public void close() {
        closed = true;
      }
    }
    TrackingStream in = new TrackingStream(TestDocuments.docx());

    PARSER.parse(in, "handbook.docx");

    assertFalse(in.closed);
  }
}
