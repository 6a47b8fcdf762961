package io.voicehelper.streams.knowledge.milvus;

import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.SearchFilter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/** Milvus boolean filter expressions and collection names built from ids, with every string value escaped. */
final class MilvusExpressions {

  private MilvusExpressions() {}

  /**
   * A double-quoted Milvus string literal: backslash, quote and control characters are escaped the way the
   * expression grammar reads them, so that no id can end the literal and add a clause of its own.
   */
  static String literal(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"').toString();
  }

  /**
   * {@code tenant == "t" && collection in ["a", "b"] && document == "d" && version == 2 && metadata["k"] == "v"}:
   * what a search may return.
   */
  static String searchFilter(SearchFilter filter) {
    StringBuilder expr = new StringBuilder("tenant == ").append(literal(filter.tenantId()));
    if (!filter.collectionIds().isEmpty()) {
      List<String> sorted = filter.collectionIds().stream().sorted().toList();
      expr.append(" && collection in [")
          .append(sorted.stream().map(MilvusExpressions::literal).collect(Collectors.joining(", ")))
          .append(']');
    }
    filter.documentId().ifPresent(document -> expr.append(" && document == ").append(literal(document)));
    filter.version().ifPresent(version -> expr.append(" && version == ").append(version.intValue()));
    filter.metadata().forEach((key, value) ->
        expr.append(" && metadata[").append(literal(key)).append("] == ").append(literal(value)));
    return expr.toString();
  }

  /** The document's chunks, except those of {@code keepVersion} (0: all of them). */
  static String documentFilter(DocumentRef document, int keepVersion) {
    String expr = collectionFilter(document.tenantId(), document.collectionId())
        + " && document == " + literal(document.documentId());
    return keepVersion == 0 ? expr : expr + " && version != " + keepVersion;
  }

  /** The chunks of exactly {@code version} of the document. */
  static String versionFilter(DocumentRef document, int version) {
    return collectionFilter(document.tenantId(), document.collectionId())
        + " && document == " + literal(document.documentId()) + " && version == " + version;
  }

  /** Every chunk of the tenant's collection. */
  static String collectionFilter(String tenantId, String collectionId) {
    return "tenant == " + literal(tenantId) + " && collection == " + literal(collectionId);
  }

  /**
   * A valid Milvus collection name for a tenant: {@code <prefix>_t_<tenant>} when the tenant id is made of ASCII
   * letters, digits and '_' only (and short), else its safe characters and a hash of the whole id, so that two
   * tenants never share a collection.
   */
  static String tenantCollection(String prefix, String tenantId) {
    String safe = tenantId.replaceAll("[^A-Za-z0-9_]", "_");
    if (safe.equals(tenantId) && safe.length() <= 64) return prefix + "_t_" + safe;
    String head = safe.length() > 48 ? safe.substring(0, 48) : safe;
    return prefix + "_t_" + head + "_" + hash(tenantId);
  }

  static String hash(String value) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }
}
