package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.Citation;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import io.voicehelper.streams.generation.internal.Texts;

/**
 * A retrieved passage as source {@code [number]} of a reply, with its document's name.
 *
 * @param number from 1, in the order the sources are listed
 * @param passage the chunk and its scores
 * @param documentName the document's name, or its id when the catalog does not know it
 */
public record NumberedSource(int number, RetrievedPassage passage, String documentName) {

  static final int SNIPPET_CHARS = 200;

  public Chunk chunk() {
    return passage.chunk();
  }

  /** The heading path as one line: "Returns > Deadline", empty when there is none. */
  public String headings() {
    return String.join(" > ", chunk().headingPath());
  }

  /** The citation of this source. */
  public Citation citation() {
    Chunk c = chunk();
    return new Citation(number, c.document().documentId(), c.document().collectionId(), documentName, c.version(),
        c.chunkId(), c.headingPath(), Texts.quote(c.text(), SNIPPET_CHARS), passage.score());
  }
}
