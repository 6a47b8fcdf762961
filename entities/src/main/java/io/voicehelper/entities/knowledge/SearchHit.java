package io.voicehelper.entities.knowledge;

/**
 * One chunk found by a search, with the store's own score (cosine similarity for vectors, BM25 for keywords; higher
 * is better; scores of different stores are not comparable).
 */
public record SearchHit(Chunk chunk, double score) {}
