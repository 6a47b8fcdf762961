package io.voicehelper.edge.http.retrieval;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.edge.http.EdgeSettings;
import io.voicehelper.edge.http.auth.Authentication;
import io.voicehelper.edge.http.auth.Principal;
import io.voicehelper.edge.http.internal.Json;
import io.voicehelper.edge.http.internal.JsonBody;
import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.edge.http.internal.ProblemHandling;
import io.voicehelper.edge.http.internal.Requests;
import io.voicehelper.edge.http.limits.LimitDirectives;
import io.voicehelper.entities.identity.Permission;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.retrieval.Fusion;
import io.voicehelper.entities.retrieval.RetrievalQuery;
import io.voicehelper.entities.retrieval.RetrievalResult;
import io.voicehelper.entities.retrieval.RetrievalSettings;
import io.voicehelper.entities.retrieval.RetrievalUnavailableException;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import io.voicehelper.entities.retrieval.Retriever;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code POST /api/v1/retrieval/search} (docs/retrieval-api.md): the passages of the caller's knowledge base that
 * best answer a query, with every stage's scores. Needs {@code knowledge:read}; the tenant comes from the credential
 * and scopes the search, so another tenant's collection ids are unknown (404).
 */
public final class RetrievalRoutes extends AllDirectives {

  private static final Set<String> MEMBERS =
      Set.of("query", "collections", "documentId", "version", "metadata", "topK", "candidates", "fusion",
          "vectorWeight", "rrfK");
  /** Collections one query may name. */
  static final int MAX_COLLECTIONS = 100;

  private final Retriever retriever;
  private final KnowledgeCatalog catalog;
  private final RetrievalSettings settings;
  private final Authentication authentication;
  private final LimitDirectives limits;
  private final Json json;
  private final JsonBody body;
  private final Duration timeout;

  public RetrievalRoutes(ActorSystem<?> system, Retriever retriever, KnowledgeCatalog catalog,
      RetrievalSettings settings, EdgeSettings edge, Authentication authentication, LimitDirectives limits) {
    this.retriever = retriever;
    this.catalog = catalog;
    this.settings = settings;
    this.authentication = authentication;
    this.limits = limits;
    this.json = new Json(edge.maxJsonDepth(), (int) Math.min(Integer.MAX_VALUE, edge.maxBodyBytes()));
    this.body = new JsonBody(system, json, edge.maxBodyBytes(), edge.bodyReadTimeout());
    this.timeout = edge.askTimeout();
  }

  public Route route() {
    return ProblemHandling.handleFailures(
        path(PathMatchers.segment("api").slash("v1").slash("retrieval").slash("search"), () ->
            post(() -> authentication.authenticate(principal -> rateLimited(principal, () ->
                Authentication.authorize(principal, Permission.KNOWLEDGE_READ, () -> search(principal)))))));
  }

  private Route rateLimited(Principal principal, Supplier<Route> inner) {
    return limits == null ? inner.get() : limits.rateLimited(principal.tenantId(), principal.subject(), inner);
  }

  private Route search(Principal principal) {
    return body.object(request -> {
      RetrievalQuery query = query(principal.tenantId(), request);
      CompletionStage<RetrievalJson.Response> answered = knownCollections(query.filter())
          .thenCompose(known -> Requests.withTimeout(timeout, () -> retriever.retrieve(query)))
          .thenCompose(result -> named(principal.tenantId(), query, result))
          .exceptionally(failure -> {
            Throwable cause = ProblemHandling.unwrap(failure);
            if (cause instanceof RetrievalUnavailableException) {
              throw ProblemException.serviceUnavailable(
                  "Search is unavailable: neither the vector nor the keyword search answered. Retry it.",
                  Duration.ofSeconds(1));
            }
            if (cause instanceof RuntimeException runtime) throw runtime;
            throw new java.util.concurrent.CompletionException(cause);
          });
      return onSuccess(answered, response -> complete(json.response(200, response)));
    });
  }

  /** 404 for a collection the tenant does not have, rather than an empty result that hides a wrong id. */
  private CompletionStage<Void> knownCollections(SearchFilter filter) {
    if (filter.collectionIds().isEmpty()) return CompletableFuture.completedFuture(null);
    return Requests.withTimeout(timeout, () -> catalog.unknownCollections(filter.tenantId(), filter.collectionIds()))
        .thenAccept(unknown -> {
          if (!unknown.isEmpty()) throw ProblemException.notFound("collection", unknown.get(0));
        });
  }

  private CompletionStage<RetrievalJson.Response> named(String tenant, RetrievalQuery query, RetrievalResult result) {
    List<DocumentRef> documents = result.passages().stream().map(p -> p.chunk().document()).distinct().toList();
    return Requests.withTimeout(timeout, () -> catalog.documentNames(tenant, documents))
        .thenApply(names -> response(query, result, names));
  }

  private RetrievalQuery query(String tenant, JsonNode request) {
    for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!MEMBERS.contains(name)) {
        throw ProblemException.badRequest("unknown-member", "Unknown member '" + clip(name) + "'; a search takes "
            + String.join(", ", MEMBERS.stream().sorted().toList()) + ".");
      }
    }
    String text = JsonBody.string(request, "query");
    if (text == null || text.isBlank()) throw ProblemException.badRequest("invalid-query", "'query' is required.");
    if (text.length() > settings.maxQueryLength()) {
      throw ProblemException.badRequest("invalid-query",
          "'query' is longer than " + settings.maxQueryLength() + " characters.");
    }
    int topK = integer(request, "topK", settings.topK(), settings.maxTopK());
    int candidates = integer(request, "candidates", Math.max(settings.candidates(), topK), settings.maxCandidates());
    Optional<String> document = Optional.ofNullable(JsonBody.string(request, "documentId"));
    document.ifPresent(id -> requireId("documentId", id));
    Optional<Integer> version = request.hasNonNull("version")
        ? Optional.of(integer(request, "version", 1, Integer.MAX_VALUE)) : Optional.empty();
    if (version.isPresent() && document.isEmpty()) {
      throw ProblemException.badRequest("invalid-version", "'version' needs 'documentId': a version is one document's.");
    }
    SearchFilter filter = new SearchFilter(tenant, collections(request), document, version,
        JsonBody.metadata(request.get("metadata")));
    return new RetrievalQuery(filter, text.strip(), candidates, topK, fusion(request));
  }

  private static Set<String> collections(JsonNode request) {
    JsonNode value = request.get("collections");
    if (value == null || value.isNull()) return Set.of();
    if (!value.isArray()) {
      throw ProblemException.badRequest("invalid-collections", "'collections' must be an array of collection ids.");
    }
    if (value.size() > MAX_COLLECTIONS) {
      throw ProblemException.badRequest("invalid-collections",
          "'collections' names more than " + MAX_COLLECTIONS + " collections.");
    }
    Set<String> ids = new LinkedHashSet<>();
    for (JsonNode id : value) {
      if (!id.isTextual()) {
        throw ProblemException.badRequest("invalid-collections", "'collections' must be an array of collection ids.");
      }
      requireId("collections", id.textValue());
      ids.add(id.textValue());
    }
    return ids;
  }

  private static void requireId(String member, String id) {
    try {
      Requests.requireId(member, id);
    } catch (ProblemException e) {
      throw ProblemException.badRequest("invalid-" + member, "'" + clip(id) + "' is not an id.");
    }
  }

  private Optional<Fusion> fusion(JsonNode request) {
    String name = JsonBody.string(request, "fusion");
    boolean tuned = request.hasNonNull("vectorWeight") || request.hasNonNull("rrfK");
    if (name == null && !tuned) return Optional.empty();
    Fusion defaults = settings.fusion();
    // A parameter without a fusion names its fusion: a weight means weighted, a constant means RRF.
    String chosen = name != null ? name.strip().toLowerCase(Locale.ROOT)
        : request.hasNonNull("vectorWeight") ? "weighted" : "rrf";
    int rrfK = integer(request, "rrfK", defaults instanceof Fusion.ReciprocalRank rrf ? rrf.k() : 60, 10_000);
    double weight = weight(request, defaults instanceof Fusion.Weighted w ? w.vectorWeight() : 0.5);
    try {
      return Optional.of(RetrievalSettings.fusion(chosen, rrfK, weight));
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest("invalid-fusion",
          "'fusion' must be one of rrf, weighted, vector, keyword.");
    }
  }

  private static double weight(JsonNode request, double fallback) {
    JsonNode value = request.get("vectorWeight");
    if (value == null || value.isNull()) return fallback;
    if (!value.isNumber() || !(value.asDouble() >= 0 && value.asDouble() <= 1)) {
      throw ProblemException.badRequest("invalid-vectorWeight", "'vectorWeight' must be a number from 0 to 1.");
    }
    return value.asDouble();
  }

  private static int integer(JsonNode request, String member, int fallback, int max) {
    JsonNode value = request.get(member);
    if (value == null || value.isNull()) return fallback;
    if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 1 || value.asInt() > max) {
      throw ProblemException.badRequest("invalid-" + member, "'" + member + "' must be an integer from 1 to " + max
          + ".");
    }
    return value.asInt();
  }

  private static String clip(String text) {
    return text.length() > 64 ? text.substring(0, 64) : text;
  }

  private RetrievalJson.Response response(RetrievalQuery query, RetrievalResult result,
      Map<DocumentRef, String> names) {
    List<RetrievalJson.Passage> passages = new ArrayList<>(result.passages().size());
    int rank = 0;
    for (RetrievedPassage p : result.passages()) {
      var chunk = p.chunk();
      passages.add(new RetrievalJson.Passage(++rank, chunk.chunkId(), chunk.document().collectionId(),
          chunk.document().documentId(), names.get(chunk.document()), chunk.version(), chunk.position(),
          chunk.headingPath(), chunk.metadata(), chunk.text(), p.score(),
          new RetrievalJson.Scores(
              p.vectorScore().isPresent() ? p.vectorScore().getAsDouble() : null,
              p.vectorRank().isPresent() ? p.vectorRank().getAsInt() : null,
              p.keywordScore().isPresent() ? p.keywordScore().getAsDouble() : null,
              p.keywordRank().isPresent() ? p.keywordRank().getAsInt() : null,
              p.fusedScore(),
              p.rerankScore().isPresent() ? p.rerankScore().getAsDouble() : null)));
    }
    RetrievalResult.Timings t = result.timings();
    return new RetrievalJson.Response(passages, result.mode().name().toLowerCase(Locale.ROOT), result.degraded(),
        fusionName(query), result.reranker(), result.cached(),
        new RetrievalJson.Timings(t.embedMs(), t.vectorMs(), t.keywordMs(), t.rerankMs(), t.totalMs()));
  }

  private String fusionName(RetrievalQuery query) {
    return name(query.fusion().orElse(settings.fusion()));
  }

  static String name(Fusion fusion) {
    if (fusion instanceof Fusion.ReciprocalRank) return "rrf";
    if (fusion instanceof Fusion.Weighted) return "weighted";
    if (fusion instanceof Fusion.VectorOnly) return "vector";
    return "keyword";
  }
}
