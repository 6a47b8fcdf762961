package io.voicehelper.streams.knowledge.chunking;

import io.voicehelper.streams.knowledge.parsing.ParsedDocument;
import java.util.List;

/** Cuts a parsed document into chunks. Deterministic: the same document and settings give the same chunks. */
public interface Chunker {

  List<ChunkDraft> chunk(ParsedDocument document);
}
