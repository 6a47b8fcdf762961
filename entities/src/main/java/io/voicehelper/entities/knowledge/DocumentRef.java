package io.voicehelper.entities.knowledge;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Which document: always within one tenant and one collection. The tenant comes from the caller's credential.
 *
 * @param tenantId the owning tenant
 * @param collectionId the collection within the tenant
 * @param documentId the document within the collection
 */
public record DocumentRef(String tenantId, String collectionId, String documentId) {

  private static final String SEPARATOR = "|";

  public DocumentRef {
    for (String part : new String[] {tenantId, collectionId, documentId}) {
      if (part == null || part.isEmpty() || part.contains(SEPARATOR)) {
        throw new IllegalArgumentException("ids must be non-empty and must not contain '|'");
      }
    }
  }

  /** The sharding entity id: {@code tenant|collection|document}. */
  public String entityId() {
    return tenantId + SEPARATOR + collectionId + SEPARATOR + documentId;
  }

  public static DocumentRef fromEntityId(String entityId) {
    String[] parts = entityId.split("\\|", -1);
    if (parts.length != 3) throw new IllegalArgumentException("not a document entity id: " + entityId);
    return new DocumentRef(parts[0], parts[1], parts[2]);
  }

  /**
   * The id of the document that a file named {@code name} belongs to in a collection: the same name (ignoring case
   * and surrounding blanks) always gives the same document, so uploading it again makes a new version, without a
   * lookup that two concurrent uploads could race on.
   */
  public static String documentIdForName(String collectionId, String name) {
    String key = collectionId + "\n" + name.strip().toLowerCase(Locale.ROOT);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return "doc-" + HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }
}
