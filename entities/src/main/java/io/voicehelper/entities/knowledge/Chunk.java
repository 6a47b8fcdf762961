package io.voicehelper.entities.knowledge;

import java.util.List;
import java.util.Map;

/**
 * A passage of one version of a document, as stored in the durable chunk table and in the search indexes.
 *
 * @param chunkId derived from the document, the version, the position and the text's hash (see {@link #idFor}), so
 *     indexing the same version again writes the same ids and never duplicates a chunk
 * @param document which document
 * @param version the document version the chunk was cut from (1, 2, ...)
 * @param position the chunk's index in the version, from 0
 * @param headingPath the headings above the chunk, outermost first (empty when the document has none)
 * @param text the chunk's text
 * @param tokens the chunk's size in tokens as the chunker counted them
 * @param metadata the user metadata of the chunk's document version (see {@link DocumentMetadata}), sorted by key
 */
public record Chunk(
    String chunkId, DocumentRef document, int version, int position, List<String> headingPath, String text,
    int tokens, Map<String, String> metadata) {

  public Chunk {
    headingPath = List.copyOf(headingPath);
    metadata = DocumentMetadata.of(metadata);
  }

  /** A chunk of a version without metadata. */
  public Chunk(
      String chunkId, DocumentRef document, int version, int position, List<String> headingPath, String text,
      int tokens) {
    this(chunkId, document, version, position, headingPath, text, tokens, Map.of());
  }

  /**
   * {@code <document>-v<version>-<position>-<16 hex digits>}, the digits from SHA-256 of the tenant, collection and
   * document ids and the text: unique across tenants and collections even where document ids repeat (every tenant's
   * sample collection has the same ids), and the same whenever the same text is indexed again.
   */
  public static String idFor(DocumentRef document, int version, int position, String text) {
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      sha.update((document.entityId() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      byte[] digest = sha.digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return document.documentId() + "-v" + version + "-" + position + "-"
          + java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }
}
