package io.voicehelper.entities.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BenchmarkReportTest {

  private static final String DOCUMENT = """
      # Benchmarks

      Intro.

      <!-- bench:sse -->
      ## SSE
      old numbers
      <!-- /bench:sse -->

      <!-- bench:indexing -->
      ## Indexing
      old numbers
      <!-- /bench:indexing -->

      Closing words.
      """;

  @Test
  void aSectionIsReplacedInPlaceAndTheRestOfTheFileIsLeftAsItIs() {
    String expected = DOCUMENT.replace("## SSE\nold numbers\n", "## SSE\nnew numbers\n");
    assertNotEquals(DOCUMENT, expected);
    assertEquals(expected, BenchmarkReport.withSection(DOCUMENT, "sse", "## SSE\nnew numbers\n"));
  }

  @Test
  void aMissingSectionIsAppended() {
    assertEquals(DOCUMENT + "\n<!-- bench:vad -->\n## VAD\n<!-- /bench:vad -->\n",
        BenchmarkReport.withSection(DOCUMENT, "vad", "## VAD"));
    assertEquals("<!-- bench:vad -->\n## VAD\n<!-- /bench:vad -->\n", BenchmarkReport.withSection("", "vad", "## VAD"));
  }

  @Test
  void aSectionWithoutItsEndMarkerIsRefusedRatherThanTruncatingTheFile() {
    assertThrows(IllegalStateException.class,
        () -> BenchmarkReport.withSection("<!-- bench:sse -->\n## SSE\n", "sse", "new"));
  }
}
