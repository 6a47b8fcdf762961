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
import io.voicehelper.streams.rag.SupportChecker.Level;
import io.voicehelper.streams.rag.SupportChecker.Verdict;
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
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers from the tenant's documents: a {@link ReplyGenerator} decorator that, for each turn, routes the mode
 * (the keyword rules of {@link ModeRouter}, then the model's {@link ModelModeClassifier} when a model is configured,
 * then the {@link SemanticRouter} when enabled, then the question rule), and in rag mode runs Self-RAG rounds:
 * rewrite the question with the history ({@link QueryRewriter}) and expand it with configured {@link Synonyms},
 * retrieve from the conversation's collections ({@link Retriever}), grade the passages ({@link PassageGrader}),
 * answer from the relevant ones as numbered sources — the wrapped model with a {@link GroundedPrompt}, or, without
 * a model, quoting them ({@link ExtractiveAnswerer}) — and check the answer against the sources it cites
 * ({@link SupportChecker}). When no passage is relevant or the answer is not supported, the next round searches
 * again with another query ({@link QueryRewriter#retry}) and a wider net, up to the configured rounds; the best
 * answer is sent, and one that is not fully supported says so. Every reply ends with a {@link Grounding} (mode,
 * reason, support level, citations, rounds) before its {@link Finished}, whose token counts include every helper
 * call the reply made to the model. Chat turns, and undecided turns whose retrieval finds nothing relevant, go to
 * the wrapped model unchanged.
 */
public final class GroundedReplyGenerator implements ReplyGenerator {

  private static final Logger log = LoggerFactory.getLogger(GroundedReplyGenerator.class);

  /** The model reported for extractive answers. */
  public static final String EXTRACTIVE_MODEL = "none (extractive)";
  /** The model reported for the honest "not covered" answer (no model is asked, whether one is configured or not). */
  public static final String NO_SOURCE_MODEL = "none (no source)";
  /** The support of a reply without sources. */
  public static final String SUPPORT_NONE = "none";

  static final String NOTE_PARTIAL_ZH = "（提示：这个回答有部分内容未能在所引用的文档中核实，请以文档原文为准。）";
  static final String NOTE_PARTIAL_EN = "(Note: parts of this answer could not be verified in the cited documents; "
      + "please check the sources.)";
  static final String NOTE_UNSUPPORTED_ZH = "（提示：这个回答未能在所引用的文档中核实，请以文档原文为准或联系人工客服。）";
  static final String NOTE_UNSUPPORTED_EN = "(Note: this answer could not be verified in the cited documents; please "
      + "check the sources or ask a human agent.)";

  private static final Pattern MARKER = Pattern.compile("\\[(\\d{1,3})]");

  /** What retrieval found in one round. */
  private enum Outcome { FOUND, NOT_RELEVANT, NO_DOCUMENTS, UNAVAILABLE }

  /** The outcome of one round's retrieval and grading: the relevant sources, or why there are none. */
  private record Retrieved(Outcome outcome, List<NumberedSource> sources, String reason) {

    static Retrieved none(Outcome outcome, String reason) {
      return new Retrieved(outcome, List.of(), reason);
    }
  }

  /**
   * One round's answer, checked.
   *
   * @param finished the model's end of the draft (null for an answer written here)
   * @param prompt the context the model answered (empty for an answer written here), for estimating its tokens
   */
  private record Draft(int round, String text, String model, List<Citation> citations, Verdict verdict,
      Finished finished, List<ChatTurn> prompt) {}

  /** One turn in rag mode: what every round needs, and what the rounds found so far. */
  private final class Turn {
    final Request request;
    final String question;
    final List<ChatTurn> history;
    final Route route;
    final ModelUsage usage;
    final List<String> trail = new ArrayList<>();
    Draft best;

    Turn(Request request, String question, List<ChatTurn> history, Route route, ModelUsage usage) {
      this.request = request;
      this.question = question;
      this.history = history;
      this.route = route;
      this.usage = usage;
    }

    String reason() {
      return trail.isEmpty() ? route.reason() : route.reason() + "; " + String.join("; ", trail);
    }

    /** Keeps {@code draft} when it is better supported than the best so far (the earlier one on a tie). */
    void consider(Draft draft) {
      if (best == null || draft.verdict().level().compareTo(best.verdict().level()) < 0) {
        if (best != null && best.finished() != null) discard(best);
        best = draft;
      } else if (draft.finished() != null) {
        discard(draft);
      }
    }

    /** The last round answers live: the best draft so far is not sent, and is paid for. */
    void dropBest() {
      if (best != null && best.finished() != null) discard(best);
      best = null;
    }

    /** A model draft that is not sent is still paid for. */
    void discard(Draft draft) {
      usage.add(draft.finished().inputTokens(), draft.finished().outputTokens(), Texts.contextTokens(draft.prompt()),
          TokenEstimator.HEURISTIC.estimate(draft.text()));
    }
  }

  private final ReplyGenerator model;
  private final boolean extractive;
  private final Retriever retriever;
  private final KnowledgeCatalog catalog;
  private final QueryRewriter rewriter;
  private final ModeRouter router;
  private final Optional<ModelModeClassifier> classifier;
  private final Optional<SemanticRouter> semantic;
  private final PassageGrader grader;
  private final Optional<SupportChecker> checker;
  private final ExtractiveAnswerer answerer;
  private final Synonyms synonyms;
  private final RagSettings settings;
  private final int maxQueryLength;
  private final int tokensPerSecond;
  private final ActorSystem<?> system;

  /**
   * Without a model: extractive answers, key-term grading and checks, the rule rewriter.
   *
   * @param model the generator that writes chat replies
   * @param sentenceEmbedder when present, sentences are also chosen by their similarity to the question
   * @param maxQueryLength the longest query the retriever accepts, in characters
   * @param tokensPerSecond the pace of answers written here (0: unpaced)
   */
  public static GroundedReplyGenerator extractive(ReplyGenerator model, Retriever retriever, KnowledgeCatalog catalog,
      Optional<SemanticRouter> semantic, Optional<Embedder> sentenceEmbedder, RagSettings settings,
      int maxQueryLength, int tokensPerSecond, ActorSystem<?> system) {
    return new GroundedReplyGenerator(model, true, retriever, catalog,
        new RuleQueryRewriter(settings.shortQuestionTerms()), Optional.empty(), semantic, termGrader(settings),
        termChecker(settings), sentenceEmbedder, settings, maxQueryLength, tokensPerSecond, system);
  }

  /**
   * With a model: it answers from numbered sources and, as configured, routes, rewrites follow-ups and retries,
   * grades passages and checks answers, each call bounded by its timeout with the rule behind it.
   */
  public static GroundedReplyGenerator withModel(ReplyGenerator model, Retriever retriever, KnowledgeCatalog catalog,
      Optional<SemanticRouter> semantic, RagSettings settings, int maxQueryLength, ActorSystem<?> system) {
    RagSettings.SelfRag selfRag = settings.selfRag();
    ModelCall checks = new ModelCall(model, selfRag.timeout(), system);
    TermGrader terms = new TermGrader(settings.minTermCoverage(), settings.minSimilarity());
    PassageGrader grader = selfRag.modelGrading() ? new ModelGrader(checks, terms, settings.maxSourceChars()) : terms;
    Optional<SupportChecker> checker = selfRag.checkSupport()
        ? Optional.of(new ModelSupportChecker(checks, new TermSupportChecker(selfRag.minSentenceSupport()),
            settings.maxSourceChars()))
        : Optional.empty();
    Optional<ModelModeClassifier> classifier = settings.modelRouting()
        ? Optional.of(new ModelModeClassifier(new ModelCall(model, settings.modelRoutingTimeout(), system)))
        : Optional.empty();
    QueryRewriter rewriter = new ModelQueryRewriter(model, new RuleQueryRewriter(settings.shortQuestionTerms()),
        settings.historyTurns(), settings.rewriteTimeout(), system);
    return new GroundedReplyGenerator(model, false, retriever, catalog, rewriter, classifier, semantic, grader,
        checker, Optional.empty(), settings, maxQueryLength, 0, system);
  }

  GroundedReplyGenerator(ReplyGenerator model, boolean extractive, Retriever retriever, KnowledgeCatalog catalog,
      QueryRewriter rewriter, Optional<ModelModeClassifier> classifier, Optional<SemanticRouter> semantic,
      PassageGrader grader, Optional<SupportChecker> checker, Optional<Embedder> sentenceEmbedder,
      RagSettings settings, int maxQueryLength, int tokensPerSecond, ActorSystem<?> system) {
    this.model = model;
    this.extractive = extractive;
    this.retriever = retriever;
    this.catalog = catalog;
    this.rewriter = rewriter;
    this.classifier = classifier;
    this.semantic = semantic;
    this.grader = grader;
    this.checker = checker;
    this.router = new ModeRouter(settings);
    this.answerer = new ExtractiveAnswerer(settings.maxSentences(), sentenceEmbedder, settings.minSentenceSimilarity());
    this.synonyms = new Synonyms(settings.synonyms());
    this.settings = settings;
    this.maxQueryLength = maxQueryLength;
    this.tokensPerSecond = tokensPerSecond;
    this.system = system;
  }

  private static TermGrader termGrader(RagSettings settings) {
    return new TermGrader(settings.minTermCoverage(), settings.minSimilarity());
  }

  private static Optional<SupportChecker> termChecker(RagSettings settings) {
    return settings.selfRag().checkSupport()
        ? Optional.of(new TermSupportChecker(settings.selfRag().minSentenceSupport())) : Optional.empty();
  }

  /**
   * The configured reply generator: {@code model} itself when {@code voicehelper.rag} is off; otherwise grounded in
   * the knowledge base, extractive when {@code llm} has no model.
   */
  public static ReplyGenerator create(ReplyGenerator model, GenerationSettings llm, RagSettings settings,
      Retriever retriever, KnowledgeCatalog catalog, Embedder embedder, int maxQueryLength, ActorSystem<?> system) {
    if (!settings.enabled()) return model;
    boolean extractive = llm.provider() == GenerationSettings.Provider.NONE;
    log.info("Replies are grounded in the knowledge base ({}; up to {} Self-RAG round(s))", extractive
        ? "no language model: extractive answers with citations" : "the model answers from numbered sources",
        settings.selfRag().maxRounds());
    Optional<SemanticRouter> semantic = settings.semanticRouting()
        ? Optional.of(new SemanticRouter(embedder, settings.chatDescriptions(), settings.ragDescriptions(),
            settings.semanticMargin()))
        : Optional.empty();
    return extractive
        ? extractive(model, retriever, catalog, semantic, Optional.of(embedder), settings, maxQueryLength,
            llm.templateTokensPerSecond(), system)
        : withModel(model, retriever, catalog, semantic, settings, maxQueryLength, system);
  }

  @Override
  public Source<Output, NotUsed> generate(Request request) {
    List<ChatTurn> context = request.context();
    int last = lastUserTurn(context);
    if (last < 0) return chat(request, "no user question in the context", new ModelUsage());
    String question = context.get(last).content();
    List<ChatTurn> history = context.subList(0, last);
    ModelUsage usage = new ModelUsage();
    CompletionStage<Route> routed = route(question, usage);
    CompletionStage<Source<Output, NotUsed>> answer = routed.thenCompose(route -> route.mode() == Mode.CHAT
        ? CompletableFuture.completedFuture(chat(request, route.reason(), usage))
        : answerInRagMode(new Turn(request, question, history, route, usage)));
    return Source.completionStageSource(answer).mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  /** The keyword rules, then the model, then the embedding rule, then the question rule: the first that decides. */
  private CompletionStage<Route> route(String question, ModelUsage usage) {
    Optional<Route> byKeywords = router.byKeywords(question);
    if (byKeywords.isPresent()) return CompletableFuture.completedFuture(byKeywords.get());
    CompletionStage<Optional<Route>> byModel = classifier.isPresent()
        ? classifier.get().route(question, usage) : CompletableFuture.completedFuture(Optional.empty());
    return byModel.thenCompose(decided -> {
      if (decided.isPresent() || semantic.isEmpty()) return CompletableFuture.completedFuture(decided);
      return semantic.get().route(question);
    }).thenApply(decided -> decided.orElseGet(() -> router.byShape(question)));
  }

  private CompletionStage<Source<Output, NotUsed>> answerInRagMode(Turn turn) {
    return rewriter.rewrite(turn.question, turn.history, turn.usage)
        .thenCompose(query -> round(turn, 1, synonyms.expand(query)));
  }

  /** One Self-RAG round: retrieve, grade, answer, check; then send, or go another round. */
  private CompletionStage<Source<Output, NotUsed>> round(Turn turn, int round, String query) {
    return retrieve(turn, round, query).thenCompose(retrieved -> {
      switch (retrieved.outcome()) {
        case FOUND:
          return draft(turn, round, query, retrieved.sources());
        case NOT_RELEVANT:
          turn.trail.add(roundLabel(round) + retrieved.reason() + " for '" + Texts.quote(query, 120) + "'");
          return nothingFound(turn, round, query, "no relevant passage");
        default:
          turn.trail.add(roundLabel(round) + retrieved.reason());
          if (turn.best != null) return CompletableFuture.completedFuture(send(turn, turn.best));
          // An undecided question is plain chat then; so is any question when there is nothing to search.
          return CompletableFuture.completedFuture(round == 1 || !turn.route.decided()
              ? chat(turn.request, turn.reason(), turn.usage) : notCovered(turn));
      }
    });
  }

  /**
   * No relevant passage, or none that answers: a decided document question searches again while rounds remain,
   * then gets the best answer so far or the honest one; an undecided message is chat.
   */
  private CompletionStage<Source<Output, NotUsed>> nothingFound(Turn turn, int round, String query, String why) {
    if (!turn.route.decided()) {
      return CompletableFuture.completedFuture(chat(turn.request, turn.reason(), turn.usage));
    }
    if (round < settings.selfRag().maxRounds()) return retry(turn, round, query, why);
    if (turn.best != null) return CompletableFuture.completedFuture(send(turn, turn.best));
    return CompletableFuture.completedFuture(notCovered(turn));
  }

  /** The next round with another query; when there is none, the best answer so far or the honest one. */
  private CompletionStage<Source<Output, NotUsed>> retry(Turn turn, int round, String query, String why) {
    return rewriter.retry(turn.question, query, why, turn.usage).thenCompose(next -> {
      if (next.isPresent()) return round(turn, round + 1, synonyms.expand(next.get()));
      if (turn.best != null) return CompletableFuture.completedFuture(send(turn, turn.best));
      return CompletableFuture.completedFuture(notCovered(turn));
    });
  }

  private static String roundLabel(int round) {
    return round == 1 ? "" : "round " + round + ": ";
  }

  /** Retrieves for the query (wider in later rounds), grades the passages, and names and numbers the relevant ones. */
  private CompletionStage<Retrieved> retrieve(Turn turn, int round, String query) {
    Request request = turn.request;
    String tenant = request.tenantId();
    SearchFilter filter = new SearchFilter(tenant, Set.copyOf(request.collections()), Optional.empty());
    String text = query.length() > maxQueryLength ? query.substring(0, maxQueryLength) : query;
    int widen = round == 1 ? 1 : settings.selfRag().widen();
    CompletionStage<RetrievalResult> result;
    try {
      result = retriever.retrieve(new RetrievalQuery(filter, text, Math.min(settings.candidates() * widen, 1000),
          Math.min(settings.topK() * widen, 1000), Optional.empty()));
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return result.handle((found, failure) -> {
      if (failure != null) {
        log.warn("Retrieval for reply {} of {} failed, answering without documents: {}", request.replyId(),
            request.conversationKey(), failure.toString());
        return CompletableFuture.completedFuture(Retrieved.none(Outcome.UNAVAILABLE,
            "retrieval unavailable: answered without documents"));
      }
      if (found.passages().isEmpty()) {
        return CompletableFuture.completedFuture(Retrieved.none(Outcome.NO_DOCUMENTS,
            "no indexed documents in the conversation's collections"));
      }
      return grader.grade(turn.question, query, found.passages(), settings.maxSources(), turn.usage)
          .thenCompose(graded -> {
            if (graded.relevant().isEmpty()) {
              return CompletableFuture.completedFuture(Retrieved.none(Outcome.NOT_RELEVANT,
                  "no passage relevant enough (" + found.passages().size() + " retrieved, " + graded.method() + ")"));
            }
            turn.trail.add(roundLabel(round) + graded.relevant().size() + " relevant passage"
                + (graded.relevant().size() == 1 ? "" : "s") + " of " + found.passages().size() + " ("
                + graded.method() + ") for '" + Texts.quote(query, 120) + "'");
            return named(tenant, graded.relevant()).thenApply(sources -> new Retrieved(Outcome.FOUND, sources, ""));
          });
    }).thenCompose(stage -> stage);
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

  /** Answers from the round's sources and checks the answer. */
  private CompletionStage<Source<Output, NotUsed>> draft(Turn turn, int round, String query,
      List<NumberedSource> sources) {
    if (extractive) {
      return answerer.answer(turn.question, query, sources).thenCompose(answer -> {
        if (!answer.covered()) {
          turn.trail.add(roundLabel(round) + "no sentence matches the question");
          return nothingFound(turn, round, query, "no sentence of the passages answers it");
        }
        List<Citation> citations = sources.stream().filter(s -> answer.cited().contains(s.number()))
            .map(NumberedSource::citation).toList();
        return check(turn, answer.text(), sources).thenCompose(verdict -> decide(turn, round, query,
            new Draft(round, answer.text(), EXTRACTIVE_MODEL, citations, verdict, null, List.of())));
      });
    }
    List<ChatTurn> prompt = GroundedPrompt.build(turn.question, turn.history, sources, settings.historyTurns(),
        settings.maxSourceChars());
    List<Citation> all = sources.stream().map(NumberedSource::citation).toList();
    if (round == settings.selfRag().maxRounds()) {
      return CompletableFuture.completedFuture(live(turn, round, prompt, sources, all));
    }
    // A later round may replace this draft: it is written in full and checked before anything is sent.
    return written(turn.request.withContext(prompt)).thenCompose(generated -> {
      String text = generated.text();
      return check(turn, text, sources).thenCompose(verdict -> decide(turn, round, query, new Draft(round, text,
          generated.finished().model(), cited(text, all), verdict, generated.finished(), prompt)));
    });
  }

  /** The verdict on an answer; supported, unchecked, when checks are off. */
  private CompletionStage<Verdict> check(Turn turn, String text, List<NumberedSource> sources) {
    return checker.map(c -> c.check(turn.question, text, sources, turn.usage))
        .orElseGet(() -> CompletableFuture.completedFuture(new Verdict(Level.SUPPORTED, "not checked")));
  }

  /** Sends a supported answer, or the best after the last round; otherwise searches again. */
  private CompletionStage<Source<Output, NotUsed>> decide(Turn turn, int round, String query, Draft draft) {
    turn.trail.add(roundLabel(round) + "answer " + draft.verdict().level().label() + " ("
        + draft.verdict().detail() + ")");
    turn.consider(draft);
    if (draft.verdict().level() == Level.SUPPORTED || round == settings.selfRag().maxRounds()) {
      return CompletableFuture.completedFuture(send(turn, turn.best));
    }
    return retry(turn, round, query, "the answer drafted from them was " + draft.verdict().level().label());
  }

  /**
   * Sends a checked draft: its text (with the note when not fully supported), its grounding, its end. A draft still
   * unsupported is replaced by the honest answer unless send-unsupported is on.
   */
  private Source<Output, NotUsed> send(Turn turn, Draft draft) {
    if (draft.verdict().level() == Level.UNSUPPORTED && !settings.selfRag().sendUnsupported()) {
      if (draft.finished() != null) turn.discard(draft);
      turn.trail.add("the unsupported answer was not sent");
      return notCovered(turn);
    }
    String text = draft.text() + note(turn.question, draft.verdict().level());
    Grounding grounding = new Grounding(Mode.RAG.label(), turn.reason(), draft.verdict().level().label(),
        draft.citations(), draft.round());
    Finished end = draft.finished() != null ? draft.finished()
        : new Finished(draft.model(), Texts.contextTokens(turn.request.context()),
            TokenEstimator.HEURISTIC.estimate(text));
    Finished charged = turn.usage.charge(end, Texts.contextTokens(draft.prompt()),
        TokenEstimator.HEURISTIC.estimate(draft.text()));
    int pace = draft.finished() != null ? 0 : tokensPerSecond;
    return Texts.streamed(text, pace).concat(Source.from(List.<Output>of(grounding, charged)));
  }

  /**
   * The last round with a model: the answer streams as the model writes it; the check runs when it ends, and its
   * verdict (and the note when not fully supported) comes before the grounding.
   */
  private Source<Output, NotUsed> live(Turn turn, int round, List<ChatTurn> prompt, List<NumberedSource> sources,
      List<Citation> all) {
    turn.dropBest();
    StringBuilder text = new StringBuilder();
    CompletableFuture<Finished> finished = new CompletableFuture<>();
    Source<Output, NotUsed> tokens = model.generate(turn.request.withContext(prompt)).mapConcat(output -> {
      if (output instanceof Token token) text.append(token.text());
      if (output instanceof Finished end) {
        finished.complete(end);
        return List.of();
      }
      return output instanceof Grounding ? List.of() : List.of(output);
    });
    Source<Output, NotUsed> tail = Source.lazyCompletionStageSource(() -> {
      String answer = text.toString();
      Finished end = finished.getNow(new Finished("unknown", null, null));
      return check(turn, answer, sources).thenApply(verdict -> {
        turn.trail.add(roundLabel(round) + "answer " + verdict.level().label() + " (" + verdict.detail() + ")");
        String note = note(turn.question, verdict.level());
        Grounding grounding = new Grounding(Mode.RAG.label(), turn.reason(), verdict.level().label(),
            cited(answer, all), round);
        Finished charged = turn.usage.charge(end, Texts.contextTokens(prompt),
            TokenEstimator.HEURISTIC.estimate(answer));
        Source<Output, NotUsed> noted = note.isEmpty() ? Source.empty() : Texts.streamed(note, 0);
        return noted.concat(Source.from(List.<Output>of(grounding, charged)));
      });
    }).mapMaterializedValue(ignored -> NotUsed.getInstance());
    // concatLazy: the tail is built only when the answer has ended (concat would ask for it at once).
    return tokens.concatLazy(tail);
  }

  /** A model's whole answer, not streamed. */
  private record Generated(String text, Finished finished) {}

  private CompletionStage<Generated> written(Request request) {
    return model.generate(request).runWith(Sink.fold(new Generated("", null), (acc, output) -> {
      if (output instanceof Token token) return new Generated(acc.text() + token.text(), acc.finished());
      if (output instanceof Finished end) return new Generated(acc.text(), end);
      return acc;
    }), system).thenApply(g -> g.finished() == null ? new Generated(g.text(), new Finished("unknown", null, null)) : g);
  }

  /** The sentence an answer that is not fully supported ends with, in the question's language. */
  static String note(String question, Level level) {
    boolean chinese = Texts.hasHan(question);
    return switch (level) {
      case SUPPORTED -> "";
      case PARTIAL -> "\n\n" + (chinese ? NOTE_PARTIAL_ZH : NOTE_PARTIAL_EN);
      case UNSUPPORTED -> "\n\n" + (chinese ? NOTE_UNSUPPORTED_ZH : NOTE_UNSUPPORTED_EN);
    };
  }

  /** The citations whose [n] the text uses; all of them when it uses none (they were its whole context). */
  static List<Citation> cited(CharSequence text, List<Citation> all) {
    Set<Integer> used = new LinkedHashSet<>();
    Matcher m = MARKER.matcher(text);
    while (m.find()) used.add(Integer.parseInt(m.group(1)));
    List<Citation> cited = all.stream().filter(c -> used.contains(c.number())).toList();
    return cited.isEmpty() ? all : cited;
  }

  /** The honest answer: the documents do not cover the question (no model call for it, no citations). */
  private Source<Output, NotUsed> notCovered(Turn turn) {
    String text = ExtractiveAnswerer.notCovered(turn.question);
    Finished finished = new Finished(NO_SOURCE_MODEL, Texts.contextTokens(turn.request.context()),
        TokenEstimator.HEURISTIC.estimate(text));
    // What a model call made on the way (routing, grading) is charged; the answer itself used no model.
    Finished charged = turn.usage.calls() == 0 ? finished
        : turn.usage.charge(new Finished(NO_SOURCE_MODEL, 0, 0), 0, 0);
    Grounding grounding = new Grounding(Mode.RAG.label(), turn.reason(), SUPPORT_NONE, List.of(), 0);
    return Texts.streamed(text, tokensPerSecond).concat(Source.from(List.<Output>of(grounding, charged)));
  }

  /** The wrapped model answers as it would without documents; the grounding records why. */
  private Source<Output, NotUsed> chat(Request request, String reason, ModelUsage usage) {
    Grounding grounding = new Grounding(Mode.CHAT.label(), reason, SUPPORT_NONE, List.of());
    return model.generate(request).mapConcat(output -> output instanceof Finished end
        ? List.of(grounding, usage.charge(end, Texts.contextTokens(request.context()), 0)) : List.of(output));
  }

  private static int lastUserTurn(List<ChatTurn> context) {
    for (int i = context.size() - 1; i >= 0; i--) {
      if (context.get(i).role() == ChatTurn.Role.USER) return i;
    }
    return -1;
  }
}
