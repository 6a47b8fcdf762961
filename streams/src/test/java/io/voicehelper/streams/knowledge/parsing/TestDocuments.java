package io.voicehelper.streams.knowledge.parsing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.poi.xslf.usermodel.SlideLayout;
import org.apache.poi.xslf.usermodel.XMLSlideShow;
import org.apache.poi.xslf.usermodel.XSLFSlide;
import org.apache.poi.xslf.usermodel.XSLFSlideLayout;
import org.apache.poi.xssf.usermodel.XSSFRow;
import org.apache.poi.xssf.usermodel.XSSFSheet;
import org.apache.poi.xssf.usermodel.XSSFWorkbook;
import org.apache.poi.xwpf.usermodel.XWPFAbstractNum;
import org.apache.poi.xwpf.usermodel.XWPFDocument;
import org.apache.poi.xwpf.usermodel.XWPFNumbering;
import org.apache.poi.xwpf.usermodel.XWPFParagraph;
import org.apache.poi.xwpf.usermodel.XWPFStyle;
import org.apache.poi.xwpf.usermodel.XWPFStyles;
import org.apache.poi.xwpf.usermodel.XWPFTable;
import org.openxmlformats.schemas.wordprocessingml.x2006.main.CTAbstractNum;
import org.openxmlformats.schemas.wordprocessingml.x2006.main.CTLvl;
import org.openxmlformats.schemas.wordprocessingml.x2006.main.CTStyle;
import org.openxmlformats.schemas.wordprocessingml.x2006.main.STNumberFormat;
import org.openxmlformats.schemas.wordprocessingml.x2006.main.STStyleType;

/** Real files written with PDFBox and POI, the libraries' own writers, so the parser reads what users upload. */
final class TestDocuments {

  private TestDocuments() {}

  /**
   * A one-page PDF: a title in its metadata, two paragraphs (the first with a word hyphenated across a line). English
   * only: the standard 14 fonts have no Chinese glyphs and no CJK font ships with the build machine.
   */
  static byte[] pdf(String title, String... paragraphs) {
    try (PDDocument document = new PDDocument()) {
      writePages(document, title, paragraphs);
      return save(document);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] encryptedPdf() {
    try (PDDocument document = new PDDocument()) {
      writePages(document, "Secret", "Only for the owner.");
      StandardProtectionPolicy policy = new StandardProtectionPolicy("owner-pw", "user-pw", new AccessPermission());
      policy.setEncryptionKeyLength(128);
      document.protect(policy);
      return save(document);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Each paragraph's lines are laid out 14 pt apart, paragraphs 40 pt apart; "\n" in a paragraph breaks a line. */
  private static void writePages(PDDocument document, String title, String... paragraphs) throws IOException {
    document.getDocumentInformation().setTitle(title);
    PDPage page = new PDPage();
    document.addPage(page);
    try (PDPageContentStream content = new PDPageContentStream(document, page)) {
      content.beginText();
      content.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
      content.newLineAtOffset(72, 700);
      for (String paragraph : paragraphs) {
        for (String line : paragraph.split("\n")) {
          content.showText(line);
          content.newLineAtOffset(0, -14);
        }
        content.newLineAtOffset(0, -26);
      }
      content.endText();
    }
  }

  private static byte[] save(PDDocument document) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    document.save(out);
    return out.toByteArray();
  }

  /**
   * A Word file as Word writes one: "Heading 1"/"Heading 2" styles, a paragraph, a bulleted list in the "List
   * Paragraph" style, and a 3×2 table.
   */
  static byte[] docx() {
    try (XWPFDocument document = new XWPFDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      XWPFStyles styles = document.createStyles();
      addStyle(styles, "Heading1", "heading 1");
      addStyle(styles, "Heading2", "heading 2");
      addStyle(styles, "ListParagraph", "List Paragraph");
      document.getProperties().getCoreProperties().setTitle("Returns handbook");

      paragraph(document, "Heading1", "Returns");
      paragraph(document, null, "You can return most items within 30 days of delivery.");
      paragraph(document, "Heading2", "Conditions");
      BigInteger bullets = bulletNumbering(document);
      for (String item : List.of("The item is unused.", "It is in its original packaging.")) {
        paragraph(document, "ListParagraph", item).setNumID(bullets);
      }
      XWPFTable table = document.createTable(3, 2);
      String[][] cells = {{"Item", "Days"}, {"Shoes", "30"}, {"Electronics", "14"}};
      for (int r = 0; r < cells.length; r++) {
        for (int c = 0; c < 2; c++) table.getRow(r).getCell(c).setText(cells[r][c]);
      }
      paragraph(document, "Heading1", "Contact");
      paragraph(document, null, "Write to support@example.com.");
      document.write(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static XWPFParagraph paragraph(XWPFDocument document, String style, String text) {
    XWPFParagraph paragraph = document.createParagraph();
    if (style != null) paragraph.setStyle(style);
    paragraph.createRun().setText(text);
    return paragraph;
  }

  private static void addStyle(XWPFStyles styles, String id, String name) {
    CTStyle style = CTStyle.Factory.newInstance();
    style.setStyleId(id);
    style.addNewName().setVal(name);
    style.setType(STStyleType.PARAGRAPH);
    styles.addStyle(new XWPFStyle(style));
  }

  private static BigInteger bulletNumbering(XWPFDocument document) {
    CTAbstractNum abstractNum = CTAbstractNum.Factory.newInstance();
    abstractNum.setAbstractNumId(BigInteger.ZERO);
    CTLvl level = abstractNum.addNewLvl();
    level.setIlvl(BigInteger.ZERO);
    level.addNewNumFmt().setVal(STNumberFormat.BULLET);
    level.addNewLvlText().setVal("•");
    XWPFNumbering numbering = document.createNumbering();
    return numbering.addNum(numbering.addAbstractNum(new XWPFAbstractNum(abstractNum)));
  }

  /** One slide with a title and two lines of body text. */
  static byte[] pptx() {
    try (XMLSlideShow show = new XMLSlideShow(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      XSLFSlideLayout layout = show.getSlideMasters().get(0).getLayout(SlideLayout.TITLE_AND_CONTENT);
      XSLFSlide slide = show.createSlide(layout);
      slide.getPlaceholder(0).setText("Shipping");
      slide.getPlaceholder(1).setText("We ship to 40 countries.\nDelivery takes 3 to 5 days.");
      show.write(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One sheet "Plans" with a header row and two rows. */
  static byte[] xlsx() {
    try (XSSFWorkbook workbook = new XSSFWorkbook(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      XSSFSheet sheet = workbook.createSheet("Plans");
      Object[][] rows = {{"Plan", "Price"}, {"Basic", 9.5}, {"Pro", 29.0}};
      for (int r = 0; r < rows.length; r++) {
        XSSFRow row = sheet.createRow(r);
        for (int c = 0; c < rows[r].length; c++) {
          if (rows[r][c] instanceof Double number) row.createCell(c).setCellValue(number);
          else row.createCell(c).setCellValue((String) rows[r][c]);
        }
      }
      workbook.write(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
