package io.voicehelper.streams.knowledge.lucene;

import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.EmbeddedChunk;
import io.voicehelper.entities.knowledge.SearchHit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Chunks with small hand-made vectors, and waiting for stages, for the knowledge-store tests. */
public final class KnowledgeFixtures {

  private KnowledgeFixtures() {}

  public static EmbeddedChunk chunk(DocumentRef doc, int version, int position, String text, float... vector) {
    return new EmbeddedChunk(new Chunk(Chunk.idFor(doc, version, position, text), doc, version, position,
        List.of("Guide", "Section " + position), text, text.length() / 2 + 1), vector);
  }

  /** The same chunk with its version's user metadata. */
  public static EmbeddedChunk withMetadata(EmbeddedChunk embedded, Map<String, String> metadata) {
    Chunk c = embedded.chunk();
    return new EmbeddedChunk(new Chunk(c.chunkId(), c.document(), c.version(), c.position(), c.headingPath(), c.text(),
        c.tokens(), metadata), embedded.vector());
  }

  public static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  public static List<String> texts(List<SearchHit> hits) {
    return hits.stream().map(hit -> hit.chunk().text()).toList();
  }

  public static List<String> ids(List<SearchHit> hits) {
    return hits.stream().map(hit -> hit.chunk().chunkId()).toList();
  }
}
