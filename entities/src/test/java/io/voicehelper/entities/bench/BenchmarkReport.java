package io.voicehelper.entities.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes one benchmark's section of {@code docs/benchmarks.md}: the text between {@code <!-- bench:ID -->} and
 * {@code <!-- /bench:ID -->} is replaced in place, or the section is appended when the file has none; everything else
 * in the file stays as it is, so several benchmarks can share it.
 */
public final class BenchmarkReport {

  private BenchmarkReport() {}

  /** {@code docs/benchmarks.md} of the repository, seen from a module's directory (where Surefire runs a test). */
  public static Path file() {
    return Path.of(System.getProperty("user.dir")).resolveSibling("docs").resolve("benchmarks.md");
  }

  /** Replaces or appends section {@code id} of {@link #file()} with {@code markdown}. */
  public static void writeSection(String id, String markdown) throws IOException {
    Path file = file();
    String document = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    Files.writeString(file, withSection(document, id, markdown), StandardCharsets.UTF_8);
  }

  /** {@code document} with section {@code id} replaced by {@code markdown}, or with it appended if it has none. */
  public static String withSection(String document, String id, String markdown) {
    if (!id.matches("[a-z0-9-]+")) throw new IllegalArgumentException("a section id is lower-case words: " + id);
    String start = "<!-- bench:" + id + " -->";
    String end = "<!-- /bench:" + id + " -->";
    String section = start + "\n" + markdown.strip() + "\n" + end;
    int from = document.indexOf(start);
    if (from < 0) {
      if (document.isBlank()) return section + "\n";
      return document.stripTrailing() + "\n\n" + section + "\n";
    }
    int to = document.indexOf(end, from);
    if (to < 0) throw new IllegalStateException("section " + id + " has no end marker " + end);
    if (document.indexOf(start, from + start.length()) >= 0) {
      throw new IllegalStateException("section " + id + " appears more than once");
    }
    return document.substring(0, from) + section + document.substring(to + end.length());
  }
}
