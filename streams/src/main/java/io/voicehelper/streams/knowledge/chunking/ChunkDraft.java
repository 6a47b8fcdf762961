package io.voicehelper.streams.knowledge.chunking;

import java.util.List;

/**
 * A chunk before it is embedded: its position in the version, the headings above it (outermost first), its text and
 * its size in tokens.
 */
public record ChunkDraft(int position, List<String> headingPath, String text, int tokens) {

  public ChunkDraft {
    headingPath = List.copyOf(headingPath);
  }
}
