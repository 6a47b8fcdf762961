package io.voicehelper.entities.knowledge;

/**
 * A chunk with its embedding, as written to the chunk table (so an index can be rebuilt without embedding again) and
 * to the vector store.
 *
 * @param chunk the passage
 * @param vector the embedding of {@code chunk.text()}, of {@link Embedder#dimension()} floats, L2-normalised
 */
public record EmbeddedChunk(Chunk chunk, float[] vector) {}
