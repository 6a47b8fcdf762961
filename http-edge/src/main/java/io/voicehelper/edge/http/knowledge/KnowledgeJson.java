package io.voicehelper.edge.http.knowledge;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The JSON bodies of the knowledge API (docs/knowledge-api.md). */
final class KnowledgeJson {

  private KnowledgeJson() {}

  record CollectionItem(String id, String name, Instant createdAt) {}

  record CollectionList(List<CollectionItem> collections) {}

  record UploadAccepted(String id, String name, int version, String state, Map<String, String> metadata) {}

  record DocumentItem(
      String id, String name, String state, int latestVersion, int publishedVersion, int chunks, long sizeBytes,
      Instant updatedAt) {}

  record DocumentList(List<DocumentItem> documents) {}

  record Progress(int done, int total) {}

  record VersionItem(
      int version, String fileName, String state, String contentType, long sizeBytes, String sha256, int chunks,
      Instant createdAt, Instant supersededAt, String failureReason, String uploadedBy,
      Map<String, String> metadata) {}

  record DocumentDetail(
      String id, String collectionId, String name, String state, int publishedVersion, Progress progress,
      List<VersionItem> versions) {}

  record Reindexing(int documents) {}
}
