package io.voicehelper.entities.retrieval;

import java.util.concurrent.CompletionStage;

/**
 * Port to retrieval: finds the passages of a tenant's knowledge base that answer a query. The default runs vector and
 * keyword (BM25) search in parallel, fuses and reranks them; if one half fails or times out the other answers alone
 * and the result says so. Used by the retrieval API and by conversations answering from documents.
 */
public interface Retriever {

  /** The best passages for the query, best first. Fails only when no half of the search could answer. */
  CompletionStage<RetrievalResult> retrieve(RetrievalQuery query);
}
