package io.voicehelper.streams.rag;

import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.streams.knowledge.embedding.Vectors;
import io.voicehelper.streams.rag.ModeRouter.Mode;
import io.voicehelper.streams.rag.ModeRouter.Route;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The second routing rule, for messages no keyword decides: the message's embedding is compared with embeddings of
 * short descriptions of each mode ("greetings and small talk", "questions about products and policies" …); the mode
 * whose closest description is more similar by at least {@code margin} wins. Within the margin, or when the
 * embedding model fails, it decides nothing.
 */
public final class SemanticRouter {

  private record Description(Mode mode, String text, float[] vector) {}

  private final Embedder embedder;
  private final List<String> chatDescriptions;
  private final List<String> ragDescriptions;
  private final double margin;
  // Embedded once, on first use; a failure is forgotten so that the next message tries again.
  private final AtomicReference<CompletableFuture<List<Description>>> descriptions = new AtomicReference<>();

  public SemanticRouter(Embedder embedder, List<String> chatDescriptions, List<String> ragDescriptions,
      double margin) {
    if (chatDescriptions.isEmpty() || ragDescriptions.isEmpty()) {
      throw new IllegalArgumentException("each mode needs at least one description");
    }
    this.embedder = embedder;
    this.chatDescriptions = List.copyOf(chatDescriptions);
    this.ragDescriptions = List.copyOf(ragDescriptions);
    this.margin = margin;
  }

  /** The route by similarity, or empty when the message is about as close to both modes. Never fails. */
  public CompletionStage<Optional<Route>> route(String message) {
    return descriptions().thenCompose(known -> embedder.embedAll(List.of(message)).thenApply(vectors -> {
      float[] v = vectors.get(0);
      Description chat = closest(known, Mode.CHAT, v);
      Description rag = closest(known, Mode.RAG, v);
      double chatScore = Vectors.dot(chat.vector(), v);
      double ragScore = Vectors.dot(rag.vector(), v);
      if (Math.abs(chatScore - ragScore) < margin) return Optional.<Route>empty();
      Description best = chatScore > ragScore ? chat : rag;
      return Optional.of(new Route(best.mode(), true, String.format(Locale.ROOT,
          "embedding rule: closest to '%s' (%.2f against %.2f)", best.text(), Math.max(chatScore, ragScore),
          Math.min(chatScore, ragScore))));
    })).exceptionally(failure -> Optional.empty());
  }

  private CompletableFuture<List<Description>> descriptions() {
    CompletableFuture<List<Description>> known = descriptions.get();
    if (known != null && !known.isCompletedExceptionally()) return known;
    List<String> texts = new ArrayList<>(chatDescriptions);
    texts.addAll(ragDescriptions);
    CompletableFuture<List<Description>> embedded = embedder.embedAll(texts).thenApply(vectors -> {
      List<Description> all = new ArrayList<>(texts.size());
      for (int i = 0; i < texts.size(); i++) {
        all.add(new Description(i < chatDescriptions.size() ? Mode.CHAT : Mode.RAG, texts.get(i), vectors.get(i)));
      }
      return List.copyOf(all);
    }).toCompletableFuture();
    descriptions.set(embedded);
    return embedded;
  }

  private static Description closest(List<Description> known, Mode mode, float[] v) {
    Description best = null;
    for (Description d : known) {
      if (d.mode() == mode && (best == null || Vectors.dot(d.vector(), v) > Vectors.dot(best.vector(), v))) best = d;
    }
    return best;
  }
}
