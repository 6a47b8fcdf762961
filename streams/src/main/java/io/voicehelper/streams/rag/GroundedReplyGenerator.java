package io.voicehelper.streams.rag;

import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.Citation;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.TokenEstimator;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.entities.retrieval.RetrievalQuery;
import io.voicehelper.entities.retrieval.RetrievalResult;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import io.voicehelper.entities.retrieval.Retriever;
import io.voicehelper.streams.generation.GenerationSettings;
import io.voicehelper.streams.generation.internal.Texts;
import io.voicehelper.streams.rag.ModeRouter.Mode;
import io.voicehelper.streams.rag.ModeRouter.Route;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers from the tenant's documents: a {@link ReplyGenerator} decorator that, for each turn, routes the mode
 * ({@link ModeRouter}), and in rag mode rewrites the question with the history ({@link QueryRewriter}) and expands
 * it with configured {@link Synonyms}, retrieves
 * passages from the conversation's collections ({@link Retriever}), keeps the relevant ones as numbered sources and
 * either has the wrapped model answer from them ({@link GroundedPrompt}) or, without a model, quotes them
 * ({@link ExtractiveAnswerer}). Every reply ends with a {@link Grounding} (mode, reason, support, citations) before
 * its {@link Finished}. Chat turns, and rag turns whose retrieval finds nothing relevant, go to the wrapped model
 * unchanged.
 */
public final class GroundedReplyGenerator implements ReplyGenerator {

  private static final Logger log = LoggerFactory.getLogger(GroundedReplyGenerator.class);

  /** The model reported for extractive answers. */
  public static final String EXTRACTIVE_MODEL = "none (extractive)";
  /** The model reported for the honest "not covered" answer (no model is asked, whether one is configured or not). */
  public static final String NO_SOURCE_MODEL = "none (no source)";
  public static final String SUPPORT_GENERATED = "generated";
  public static final String SUPPORT_EXTRACTIVE = "extractive";
  public static final String SUPPORT_NONE = "none";

  private static final Pattern MARKER = Pattern.compile("\\[(\\d{1,3})]");

  /** What retrieval found for one turn. */
  private enum Outcome { FOUND, NOT_RELEVANT, NO_DOCUMENTS, UNAVAILABLE }

  /** The outcome of retrieval for one turn: the relevant sources, or why there are none. */
  private record Retrieved(Outcome outcome, List<NumberedSource> sources, String query, String reason) {

    static Retrieved none(Outcome outcome, String query, String reason) {
      return new Retrieved(outcome, List.of(), query, reason);
    }
  }

  private final ReplyGenerator model;
  private final boolean extractive;
  private final Retriever retriever;
  private final KnowledgeCatalog catalog;
  private final QueryRewriter rewriter;
  private final ModeRouter router;
  private final Optional<SemanticRouter> semantic;
  private final ExtractiveAnswerer answerer;
  private final Synonyms synonyms;
  private final RagSettings settings;
  private final int maxQueryLength;
  private final int tokensPerSecond;

  /**
   * @param model the generator that writes chat replies, and rag replies unless {@code extractive}
   * @param extractive true when there is no language model: rag turns are answered by quoting
   * @param maxQueryLength the longest query the retriever accepts, in characters
   * @param tokensPerSecond the pace of extractive answers (0: unpaced)
   */
  public GroundedReplyGenerator(ReplyGenerator model, boolean extractive, Retriever retriever,
      KnowledgeCatalog catalog, QueryRewriter rewriter, RagSettings settings, int maxQueryLength,
      int tokensPerSecond) {
    this(model, extractive, retriever, catalog, rewriter, Optional.empty(), settings, maxQueryLength,
        tokensPerSecond);
  }

  /** As above, with {@code semantic} routing the messages no keyword rule decides. */
  public GroundedReplyGenerator(ReplyGenerator model, boolean extractive, Retriever retriever,
      KnowledgeCatalog catalog, QueryRewriter rewriter, Optional<SemanticRouter> semantic, RagSettings settings,
      int maxQueryLength, int tokensPerSecond) {
    this.semantic = semantic;
    this.model = model;
    this.extractive = extractive;
    this.retriever = retriever;
    this.catalog = catalog;
    this.rewriter = rewriter;
    this.router = new ModeRouter(settings);
    this.answerer = new ExtractiveAnswerer(settings.maxSentences());
    this.synonyms = new Synonyms(settings.synonyms());
    this.settings = settings;
    this.maxQueryLength = maxQueryLength;
    this.tokensPerSecond = tokensPerSecond;
  }

  /**
   * The configured reply generator: {@code model} itself when {@code voicehelper.rag} is off; otherwise grounded in
   * the knowledge base, extractive when {@code llm} has no model, and rewriting follow-ups with the model when it
   * has one.
   */
  public static ReplyGenerator create(ReplyGenerator model, GenerationSettings llm, RagSettings settings,
      Retriever retriever, KnowledgeCatalog catalog, Embedder embedder, int maxQueryLength, ActorSystem<?> system) {
    if (!settings.enabled()) return model;
    boolean extractive = llm.provider() == GenerationSettings.Provider.NONE;
    RuleQueryRewriter rule = new RuleQueryRewriter(settings.shortQuestionTerms());
    QueryRewriter rewriter = extractive ? rule
        : new ModelQueryRewriter(model, rule, settings.historyTurns(), settings.rewriteTimeout(), system);
    log.info("Replies are grounded in the knowledge base ({})", extractive
        ? "no language model: extractive answers with citations" : "the model answers from numbered sources");
    Optional<SemanticRouter> semantic = settings.semanticRouting()
        ? Optional.of(new SemanticRouter(embedder, settings.chatDescriptions(), settings.ragDescriptions(),
            settings.semanticMargin()))
        : Optional.empty();
    return new GroundedReplyGenerator(model, extractive, retriever, catalog, rewriter, semantic, settings,
        maxQueryLength, llm.templateTokensPerSecond());
  }

  @Override
  public Source<Output, NotUsed> generate(Request request) {
    List<ChatTurn> context = request.context();
    int last = lastUserTurn(context);
    if (last < 0) return chat(request, "no user question in the context");
    String question = context.get(last).content();
    List<ChatTurn> history = context.subList(0, last);
    Route byKeywords = router.route(question);
    if (byKeywords.mode() == Mode.CHAT) return chat(request, byKeywords.reason());
    CompletionStage<Route> routed = byKeywords.decided() || semantic.isEmpty()
        ? CompletableFuture.completedFuture(byKeywords)
        : semantic.get().route(question).thenApply(bySimilarity -> bySimilarity.orElse(byKeywords));
    CompletionStage<Source<Output, NotUsed>> answer = routed.thenCompose(route -> route.mode() == Mode.CHAT
        ? CompletableFuture.completedFuture(chat(request, route.reason()))
        : answerInRagMode(request, question, history, route));
    return Source.completionStageSource(answer).mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  private CompletionStage<Source<Output, NotUsed>> answerInRagMode(Request request, String question,
      List<ChatTurn> history, Route route) {
    return rewriter.rewrite(question, history)
        .thenCompose(query -> retrieve(request, question, synonyms.expand(query)))
        .thenApply(retrieved -> switch (retrieved.outcome()) {
          case FOUND -> answer(request, question, history, retrieved, route);
          // A question the rules call documentary gets the honest answer; anything else is plain chat.
          case NOT_RELEVANT -> route.decided()
              ? notCovered(request, question, route.reason() + "; " + retrieved.reason())
              : chat(request, retrieved.reason());
          case NO_DOCUMENTS, UNAVAILABLE -> chat(request, retrieved.reason());
        });
  }

  /** Retrieves for the query and keeps the relevant passages, named and numbered; a fallback reason when none. */
  private CompletionStage<Retrieved> retrieve(Request request, String question, String query) {
    String tenant = request.tenantId();
    SearchFilter filter = new SearchFilter(tenant, Set.copyOf(request.collections()), Optional.empty());
    String text = query.length() > maxQueryLength ? query.substring(0, maxQueryLength) : query;
    CompletionStage<RetrievalResult> result;
    try {
      result = retriever.retrieve(new RetrievalQuery(filter, text, settings.candidates(), settings.topK(),
          Optional.empty()));
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result.handle((found, failure) -> {
      if (failure != null) {
        log.warn("Retrieval for reply {} of {} failed, answering without documents: {}", request.replyId(),
            request.conversationKey(), failure.toString());
        return CompletableFuture.completedFuture(Retrieved.none(Outcome.UNAVAILABLE, query,
            "retrieval unavailable: answered without documents"));
      }
      if (found.passages().isEmpty()) {
        return CompletableFuture.completedFuture(Retrieved.none(Outcome.NO_DOCUMENTS, query,
            "no indexed documents in the conversation's collections"));
      }
      List<RetrievedPassage> relevant = relevant(found.passages(), question, query);
      if (relevant.isEmpty()) {
        return CompletableFuture.completedFuture(Retrieved.none(Outcome.NOT_RELEVANT, query,
            "no passage relevant enough (" + found.passages().size() + " retrieved)"));
      }
      return named(tenant, relevant).thenApply(sources -> new Retrieved(Outcome.FOUND, sources, query, ""));
    }).thenCompose(stage -> stage);
  }

  /**
   * The passages that share enough key terms with the question or its rewrite, or are similar enough to it, at most
   * max-sources.
   */
  private List<RetrievedPassage> relevant(List<RetrievedPassage> passages, String question, String query) {
    Set<String> asked = QueryTerms.terms(question);
    Set<String> searched = QueryTerms.terms(query);
    List<RetrievedPassage> relevant = new ArrayList<>();
    for (RetrievedPassage p : passages) {
      String text = String.join(" ", p.chunk().headingPath()) + "\n" + p.chunk().text();
      double coverage = Math.max(QueryTerms.coverage(asked, text), QueryTerms.coverage(searched, text));
      boolean shared = coverage > 0 && coverage >= settings.minTermCoverage();
      boolean similar = p.vectorScore().isPresent() && p.vectorScore().getAsDouble() >= settings.minSimilarity();
      if (shared || similar) relevant.add(p);
      if (relevant.size() == settings.maxSources()) break;
    }
    return relevant;
  }

  private CompletionStage<List<NumberedSource>> named(String tenant, List<RetrievedPassage> passages) {
    Set<DocumentRef> refs = new LinkedHashSet<>();
    for (RetrievedPassage p : passages) refs.add(p.chunk().document());
    return catalog.documentNames(tenant, refs)
        .exceptionally(failure -> Map.of()) // names are a courtesy: the ids still cite the right documents
        .thenApply(names -> {
          List<NumberedSource> sources = new ArrayList<>(passages.size());
          for (RetrievedPassage p : passages) {
            DocumentRef ref = p.chunk().document();
            sources.add(new NumberedSource(sources.size() + 1, p, names.getOrDefault(ref, ref.documentId())));
          }
          return sources;
        });
  }

  private Source<Output, NotUsed> answer(Request request, String question, List<ChatTurn> history,
      Retrieved retrieved, Route route) {
    String reason = route.reason() + "; " + retrieved.sources().size() + " relevant passage"
        + (retrieved.sources().size() == 1 ? "" : "s") + " for '" + Texts.quote(retrieved.query(), 120) + "'";
    if (extractive) {
      ExtractiveAnswerer.Answer answer = answerer.answer(question, retrieved.query(), retrieved.sources());
      if (!answer.covered()) return notCovered(request, question, reason + "; no sentence matches the question");
      List<Citation> citations = retrieved.sources().stream()
          .filter(s -> answer.cited().contains(s.number())).map(NumberedSource::citation).toList();
      return written(request, answer.text(), EXTRACTIVE_MODEL,
          new Grounding(Mode.RAG.label(), reason, SUPPORT_EXTRACTIVE, citations));
    }
    List<ChatTurn> prompt = GroundedPrompt.build(question, history, retrieved.sources(), settings.historyTurns(),
        settings.maxSourceChars());
    List<Citation> all = retrieved.sources().stream().map(NumberedSource::citation).toList();
    return model.generate(request.withContext(prompt)).statefulMapConcat(() -> {
      StringBuilder text = new StringBuilder();
      return output -> {
        if (output instanceof Token token) text.append(token.text());
        if (!(output instanceof Finished)) return List.of(output);
        Grounding grounding = new Grounding(Mode.RAG.label(), reason, SUPPORT_GENERATED, cited(text, all));
        return List.of(grounding, output);
      };
    });
  }

  /** The citations whose [n] the text uses; all of them when it uses none (they were its whole context). */
  static List<Citation> cited(CharSequence text, List<Citation> all) {
    Set<Integer> used = new LinkedHashSet<>();
    Matcher m = MARKER.matcher(text);
    while (m.find()) used.add(Integer.parseInt(m.group(1)));
    List<Citation> cited = all.stream().filter(c -> used.contains(c.number())).toList();
    return cited.isEmpty() ? all : cited;
  }

  /** The honest answer: the documents do not cover the question (no model call, no citations). */
  private Source<Output, NotUsed> notCovered(Request request, String question, String reason) {
    return written(request, ExtractiveAnswerer.notCovered(question), NO_SOURCE_MODEL,
        new Grounding(Mode.RAG.label(), reason, SUPPORT_NONE, List.of()));
  }

  /** A reply written here, streamed token by token like a model's. */
  private Source<Output, NotUsed> written(Request request, String text, String modelName, Grounding grounding) {
    Finished finished = new Finished(modelName, Texts.contextTokens(request.context()),
        TokenEstimator.HEURISTIC.estimate(text));
    return Texts.streamed(text, tokensPerSecond).concat(Source.from(List.<Output>of(grounding, finished)));
  }

  /** The wrapped model answers as it would without documents; the grounding records why. */
  private Source<Output, NotUsed> chat(Request request, String reason) {
    Grounding grounding = new Grounding(Mode.CHAT.label(), reason, SUPPORT_NONE, List.of());
    return model.generate(request).mapConcat(output -> output instanceof Finished
        ? List.of(grounding, output) : List.of(output));
  }

  private static int lastUserTurn(List<ChatTurn> context) {
    for (int i = context.size() - 1; i >= 0; i--) {
      if (context.get(i).role() == ChatTurn.Role.USER) return i;
    }
    return -1;
  }
}
