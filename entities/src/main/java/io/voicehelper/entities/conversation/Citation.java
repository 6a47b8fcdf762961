package io.voicehelper.entities.conversation;

import io.voicehelper.entities.CborSerializable;
import java.util.List;

/**
 * A source a reply cites as {@code [number]}: one chunk of one version of a document.
 *
 * @param number the marker in the reply's text, from 1
 * @param documentId the document's id
 * @param collectionId the collection holding it
 * @param documentName the document's name (its file name), or its id when the name is unknown
 * @param version the document version the chunk was cut from
 * @param chunkId the chunk's id
 * @param headingPath the headings above the chunk, outermost first
 * @param snippet the start of the chunk's text
 * @param score the retrieval score the chunk was ranked by
 */
public record Citation(
    int number,
    String documentId,
    String collectionId,
    String documentName,
    int version,
    String chunkId,
    List<String> headingPath,
    String snippet,
    double score)
    implements CborSerializable {

  public Citation {
    headingPath = headingPath == null ? List.of() : List.copyOf(headingPath);
  }
}
