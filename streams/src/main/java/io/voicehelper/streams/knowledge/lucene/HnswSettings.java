package io.voicehelper.streams.knowledge.lucene;

import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;

/**
 * The HNSW graph's shape in a {@link LuceneKnowledgeIndex}. Only segments written after a change use it; readers do
 * not depend on it.
 *
 * @param maxConn neighbours per node: more is better recall and more memory (Lucene's bound is 512)
 * @param beamWidth candidates considered while inserting: more is better recall and slower writes (bound 3200)
 * @param searchBeam the fewest candidates a search keeps while walking the graph (efSearch); a search for more uses
 *     its limit. Lucene's own beam is the limit, which for a top 10 or 20 misses a quarter to a third of the true
 *     nearest chunks at 100,000 chunks (docs/benchmarks.md); more is better recall and slower searches
 */
public record HnswSettings(int maxConn, int beamWidth, int searchBeam) {

  /** 16 neighbours, beam 100: Lucene's own defaults; search beam 100 (recall@10 about 0.93 at 100,000 chunks). */
  public static final HnswSettings DEFAULT = new HnswSettings(16, 100, 100);

  public HnswSettings {
    if (maxConn < 1 || maxConn > Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN) {
      throw new IllegalArgumentException("maxConn must be in 1.." + Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN);
    }
    if (beamWidth < 1 || beamWidth > Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH) {
      throw new IllegalArgumentException("beamWidth must be in 1.." + Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH);
    }
    if (searchBeam < 1) throw new IllegalArgumentException("searchBeam must be >= 1");
  }
}
