package io.voicehelper.cluster.eval;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.cluster.eval.SampleKbEvaluation.Question;
import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import io.voicehelper.entities.retrieval.Retriever;
import io.voicehelper.streams.generation.TemplateReplyGenerator;
import io.voicehelper.streams.rag.GroundedReplyGenerator;
import io.voicehelper.streams.rag.RagSettings;
import java.lang.reflect.Proxy;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Answers every labelled question of the sample knowledge base the way a conversation without a language model does
 * (routing, Self-RAG rounds, extractive answer, support check) and counts what a customer would get: for a question
 * the documents answer, a reply that cites the labelled section (right), one that cites only other sections (wrong
 * source), the honest "not covered" answer (declined) or chat; for one they do not, the honest answer (declined) or
 * anything else (answered anyway). Used by {@link AnswerEvaluationCommand} to tune the relevance thresholds and by
 * {@link AnswerQualityRegressionTest}.
 */
final class AnswerEvaluation {

  /** What the replies to a set of questions came to. */
  record Outcome(int answerable, int right, int wrongSource, int declined, int chat, int unanswerable,
      int honest, int answeredAnyway) {

    /** Right answers and honest refusals over all questions: what the customer got that was correct. */
    double accuracy() {
      return (double) (right + honest) / (answerable + unanswerable);
    }

    double rightRate() {
      return answerable == 0 ? 0 : (double) right / answerable;
    }

    double honestRate() {
      return unanswerable == 0 ? 0 : (double) honest / unanswerable;
    }

    Outcome plus(Outcome o) {
      return new Outcome(answerable + o.answerable, right + o.right, wrongSource + o.wrongSource,
          declined + o.declined, chat + o.chat, unanswerable + o.unanswerable, honest + o.honest,
          answeredAnyway + o.answeredAnyway);
    }

    static final Outcome NONE = new Outcome(0, 0, 0, 0, 0, 0, 0, 0);
  }

  /** Outcomes per language. */
  record Report(Outcome zh, Outcome en) {
    Outcome all() {
      return zh.plus(en);
    }
  }

  private final SampleKbEvaluation eval;
  private final Retriever retriever;
  private final KnowledgeCatalog catalog;
  private final ActorSystem<?> system;

  AnswerEvaluation(SampleKbEvaluation eval, ActorSystem<?> system) {
    this.eval = eval;
    this.retriever = eval.retriever(eval.defaults(), eval.embedder());
    this.catalog = namingCatalog(eval.paths());
    this.system = system;
  }

  /** The configured {@code voicehelper.rag} settings with {@code overrides} (HOCON) on top. */
  static RagSettings settings(String overrides) {
    Config config = ConfigFactory.load().getConfig(RagSettings.CONFIG_PATH);
    return RagSettings.fromConfig(ConfigFactory.parseString(overrides).withFallback(config));
  }

  /** Every question through an extractive generator with {@code settings}; the questions with {@code odd} parity only, if given. */
  Report run(RagSettings settings, Optional<Boolean> odd) throws Exception {
    ReplyGenerator generator = GroundedReplyGenerator.extractive(new TemplateReplyGenerator(0), retriever, catalog,
        Optional.empty(), Optional.of(eval.embedder()), settings, 1000, 0, system);
    Outcome zh = Outcome.NONE;
    Outcome en = Outcome.NONE;
    List<Question> questions = eval.questions();
    for (int i = 0; i < questions.size(); i++) {
      if (odd.isPresent() && (i % 2 == 1) != odd.get()) continue;
      Question question = questions.get(i);
      Outcome one = answer(generator, question);
      if (question.lang().equals("zh")) zh = zh.plus(one);
      else en = en.plus(one);
    }
    return new Report(zh, en);
  }

  private Outcome answer(ReplyGenerator generator, Question question) throws Exception {
    List<ReplyGenerator.Output> outputs = SampleKbEvaluation.await(generator.generate(new ReplyGenerator.Request(
        SampleKbEvaluation.TENANT + "|eval", "r-" + question.id(), List.of(ChatTurn.user(question.text()))))
        .runWith(Sink.seq(), system));
    ReplyGenerator.Grounding grounding = outputs.stream().filter(o -> o instanceof ReplyGenerator.Grounding)
        .map(o -> (ReplyGenerator.Grounding) o).findFirst().orElseThrow();
    boolean chat = grounding.mode().equals("chat");
    boolean declined = !chat && grounding.citations().isEmpty();
    if (!question.answerable()) {
      return new Outcome(0, 0, 0, 0, 0, 1, declined ? 1 : 0, declined ? 0 : 1);
    }
    boolean right = grounding.citations().stream().anyMatch(c -> eval.cites(question, c));
    return new Outcome(1, right ? 1 : 0, !right && !declined && !chat ? 1 : 0, declined ? 1 : 0, chat ? 1 : 0, 0, 0,
        0);
  }

  static String describe(Outcome o) {
    return String.format(Locale.ROOT, "accuracy %.3f (right %d/%d, wrong source %d, declined %d, chat %d; honest %d/%d)",
        o.accuracy(), o.right(), o.answerable(), o.wrongSource(), o.declined(), o.chat(), o.honest(), o.unanswerable());
  }

  /** A catalog that only names documents, by their sample path. */
  private static KnowledgeCatalog namingCatalog(Map<String, String> paths) {
    return (KnowledgeCatalog) Proxy.newProxyInstance(KnowledgeCatalog.class.getClassLoader(),
        new Class<?>[] {KnowledgeCatalog.class}, (proxy, method, args) -> {
          if (!method.getName().equals("documentNames")) throw new UnsupportedOperationException(method.getName());
          Map<DocumentRef, String> names = new HashMap<>();
          for (Object ref : (Collection<?>) args[1]) {
            DocumentRef d = (DocumentRef) ref;
            names.put(d, paths.getOrDefault(d.documentId(), d.documentId()));
          }
          return CompletableFuture.completedFuture(names);
        });
  }
}
