package io.voicehelper.streams.knowledge.lucene.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.SearchFilter;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.cn.smart.SmartChineseAnalyzer;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field.Store;
import org.apache.lucene.document.IntField;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;

/**
 * The layout of one chunk as a Lucene document, in one place: which fields exist, how they are analysed, and how a
 * {@link Chunk} is rebuilt from the stored ones. {@link #SCHEMA} names this layout; changing it forces a rebuild.
 */
public final class ChunkFields {

  /** Version of this layout, recorded in every commit. 2: document metadata. */
  public static final String SCHEMA = "2";

  /** The update key: {@code tenant|collection|chunkId} (chunk ids repeat across tenants whose collection ids do). */
  public static final String KEY = "key";
  public static final String CHUNK_ID = "chunk_id";
  public static final String TENANT = "tenant";
  public static final String COLLECTION = "collection";
  public static final String DOCUMENT = "document";
  public static final String VERSION = "version";
  public static final String POSITION = "position";
  public static final String HEADINGS = "headings";
  /** The text analysed by smartcn (Chinese words; English lower-cased and Porter-stemmed); stored. */
  public static final String TEXT = "text";
  /** The text as CJK bigrams and English-analysed words ({@link BigramEnglishAnalyzer}); not stored. */
  public static final String TEXT_BIGRAMS = "text_bigrams";
  public static final String TOKENS = "tokens";
  public static final String VECTOR = "vector";
  /** One {@code key=value} term per metadata pair (keys cannot hold '='), for exact filters; not stored. */
  public static final String METADATA = "metadata";
  /** The metadata as a JSON object, stored to rebuild the chunk. */
  public static final String METADATA_JSON = "metadata_json";

  /**
   * Vectors are L2-normalised (the {@link io.voicehelper.entities.knowledge.EmbeddedChunk} contract, and enforced
   * here), so the dot product is the cosine, without {@code COSINE}'s normalisation in every comparison.
   */
  public static final VectorSimilarityFunction SIMILARITY = VectorSimilarityFunction.DOT_PRODUCT;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> PAIRS = new TypeReference<>() {};

  private ChunkFields() {}

  /** Analyses {@link #TEXT} with smartcn and {@link #TEXT_BIGRAMS} into bigrams and English words. */
  public static Analyzer analyzer() {
    return new PerFieldAnalyzerWrapper(new SmartChineseAnalyzer(), Map.of(TEXT_BIGRAMS, new BigramEnglishAnalyzer()));
  }

  public static String key(Chunk chunk) {
    return key(chunk.document(), chunk.chunkId());
  }

  private static String key(DocumentRef doc, String chunkId) {
    return doc.tenantId() + "|" + doc.collectionId() + "|" + chunkId;
  }

  public static Term keyTerm(Chunk chunk) {
    return new Term(KEY, key(chunk));
  }

  /** The update key of the document's chunk {@code chunkId}. */
  public static Term keyTerm(DocumentRef document, String chunkId) {
    return new Term(KEY, key(document, chunkId));
  }

  /** The chunk as a document; {@code vector} must be normalised and of the index's dimension. */
  public static Document document(Chunk chunk, float[] vector) {
    DocumentRef ref = chunk.document();
    Document doc = new Document();
    doc.add(new StringField(KEY, key(chunk), Store.NO));
    doc.add(new StringField(CHUNK_ID, chunk.chunkId(), Store.YES));
    doc.add(new StringField(TENANT, ref.tenantId(), Store.YES));
    doc.add(new StringField(COLLECTION, ref.collectionId(), Store.YES));
    doc.add(new StringField(DOCUMENT, ref.documentId(), Store.YES));
    doc.add(new IntField(VERSION, chunk.version(), Store.YES));
    doc.add(new StoredField(POSITION, chunk.position()));
    doc.add(new StoredField(HEADINGS, toJson(chunk.headingPath())));
    doc.add(new TextField(TEXT, chunk.text(), Store.YES));
    doc.add(new TextField(TEXT_BIGRAMS, chunk.text(), Store.NO));
    doc.add(new StoredField(TOKENS, chunk.tokens()));
    doc.add(new KnnFloatVectorField(VECTOR, vector, SIMILARITY));
    chunk.metadata().forEach((key, value) -> doc.add(new StringField(METADATA, pair(key, value), Store.NO)));
    if (!chunk.metadata().isEmpty()) doc.add(new StoredField(METADATA_JSON, toJson(chunk.metadata())));
    return doc;
  }

  /** The chunk a stored document holds. */
  public static Chunk chunk(Document stored) {
    DocumentRef ref = new DocumentRef(stored.get(TENANT), stored.get(COLLECTION), stored.get(DOCUMENT));
    String metadata = stored.get(METADATA_JSON);
    return new Chunk(stored.get(CHUNK_ID), ref, stored.getField(VERSION).numericValue().intValue(),
        stored.getField(POSITION).numericValue().intValue(), fromJson(stored.get(HEADINGS), STRINGS),
        stored.get(TEXT), stored.getField(TOKENS).numericValue().intValue(),
        metadata == null ? Map.of() : fromJson(metadata, PAIRS));
  }

  private static String pair(String key, String value) {
    return key + "=" + value;
  }

  /**
   * What {@code filter} allows: always its tenant, and its collections, document, version and metadata pairs (every
   * one of them) when it names them.
   */
  public static Query filter(SearchFilter filter) {
    BooleanQuery.Builder query = new BooleanQuery.Builder()
        .add(new TermQuery(new Term(TENANT, filter.tenantId())), Occur.FILTER);
    if (!filter.collectionIds().isEmpty()) {
      query.add(new TermInSetQuery(COLLECTION, filter.collectionIds().stream().map(BytesRef::new).toList()),
          Occur.FILTER);
    }
    filter.documentId().ifPresent(id -> query.add(new TermQuery(new Term(DOCUMENT, id)), Occur.FILTER));
    filter.version().ifPresent(version -> query.add(IntField.newExactQuery(VERSION, version), Occur.FILTER));
    filter.metadata().forEach((key, value) ->
        query.add(new TermQuery(new Term(METADATA, pair(key, value))), Occur.FILTER));
    return query.build();
  }

  /** Every chunk of the document except those of {@code keepVersion} (all of them for 0). */
  public static Query documentExcept(DocumentRef document, int keepVersion) {
    BooleanQuery.Builder query = new BooleanQuery.Builder()
        .add(new TermQuery(new Term(TENANT, document.tenantId())), Occur.FILTER)
        .add(new TermQuery(new Term(COLLECTION, document.collectionId())), Occur.FILTER)
        .add(new TermQuery(new Term(DOCUMENT, document.documentId())), Occur.FILTER);
    if (keepVersion != 0) query.add(IntField.newExactQuery(VERSION, keepVersion), Occur.MUST_NOT);
    return query.build();
  }

  /** The chunks of exactly {@code version} of the document. */
  public static Query documentVersion(DocumentRef document, int version) {
    return new BooleanQuery.Builder()
        .add(new TermQuery(new Term(TENANT, document.tenantId())), Occur.FILTER)
        .add(new TermQuery(new Term(COLLECTION, document.collectionId())), Occur.FILTER)
        .add(new TermQuery(new Term(DOCUMENT, document.documentId())), Occur.FILTER)
        .add(IntField.newExactQuery(VERSION, version), Occur.FILTER)
        .build();
  }

  /** Every chunk of one tenant's collection. */
  public static Query collection(String tenantId, String collectionId) {
    return new BooleanQuery.Builder()
        .add(new TermQuery(new Term(TENANT, tenantId)), Occur.FILTER)
        .add(new TermQuery(new Term(COLLECTION, collectionId)), Occur.FILTER)
        .build();
  }

  /** Headings (a list) or metadata (a map) of strings as JSON. */
  private static String toJson(Object strings) {
    try {
      return JSON.writeValueAsString(strings);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("strings are always JSON", e);
    }
  }

  private static <T> T fromJson(String json, TypeReference<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a stored field does not hold " + type.getType() + " as JSON: " + json, e);
    }
  }
}
