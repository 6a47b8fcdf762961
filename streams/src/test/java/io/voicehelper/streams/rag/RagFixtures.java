package io.voicehelper.streams.rag;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.conversation.ChatTurn;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.knowledge.Chunk;
import io.voicehelper.entities.knowledge.DocumentRef;
import io.voicehelper.entities.knowledge.Embedder;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import io.voicehelper.entities.retrieval.RetrievalQuery;
import io.voicehelper.entities.retrieval.RetrievalResult;
import io.voicehelper.entities.retrieval.RetrievedPassage;
import io.voicehelper.entities.retrieval.Retriever;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;

/** Passages, a scripted retriever and a catalog that only knows document names, for the rag tests. */
final class RagFixtures {

  static final DocumentRef RETURNS = new DocumentRef("acme", "faq", "returns-md");
  static final DocumentRef SHIPPING = new DocumentRef("acme", "faq", "shipping-md");

  private RagFixtures() {}

  /** The question as the last turn of a conversation of tenant acme scoped to collection faq. */
  static ReplyGenerator.Request ask(String question, ChatTurn... earlier) {
    List<ChatTurn> context = new java.util.ArrayList<>(List.of(earlier));
    context.add(ChatTurn.user(question));
    return new ReplyGenerator.Request("acme|c-1", "r-1", context, List.of("faq"));
  }

  /** Everything the generator emits for the request. */
  static List<ReplyGenerator.Output> run(ReplyGenerator generator, ReplyGenerator.Request request,
      ActorSystem<?> system) throws Exception {
    return generator.generate(request).runWith(Sink.seq(), system).toCompletableFuture()
        .get(20, TimeUnit.SECONDS);
  }

  /** The reply's text: its tokens joined. */
  static String text(List<ReplyGenerator.Output> outputs) {
    return outputs.stream().filter(o -> o instanceof ReplyGenerator.Token).map(o -> ((ReplyGenerator.Token) o).text())
        .collect(Collectors.joining());
  }

  /** The grounding, which must come right before the end. */
  static ReplyGenerator.Grounding grounding(List<ReplyGenerator.Output> outputs) {
    assertInstanceOf(ReplyGenerator.Finished.class, outputs.get(outputs.size() - 1));
    return assertInstanceOf(ReplyGenerator.Grounding.class, outputs.get(outputs.size() - 2));
  }

  static RagSettings settings() {
    return RagSettings.fromConfig(ConfigFactory.defaultReference().getConfig(RagSettings.CONFIG_PATH));
  }

  static RetrievedPassage passage(DocumentRef document, int version, int position, List<String> headings,
      String text, double fused, double similarity) {
    Chunk chunk = new Chunk(Chunk.idFor(document, version, position, text), document, version, position, headings,
        text, text.length() / 2);
    return new RetrievedPassage(chunk, OptionalInt.of(1), OptionalDouble.of(similarity), OptionalInt.empty(),
        OptionalDouble.empty(), fused, OptionalDouble.empty());
  }

  /** The returns policy (Chinese and English) and a shipping page, each less similar than min-similarity. */
  static List<RetrievedPassage> policyPassages() {
    return List.of(
        passage(RETURNS, 2, 0, List.of("退货政策", "退货期限"),
            "自签收之日起 30 天内可以申请退货。已拆封的摄像头为 15 天。", 0.033, 0.42),
        passage(RETURNS, 2, 1, List.of("Returns", "Refunds"),
            "We inspect returned items within two days. Refunds reach the original payment method within 7 "
                + "working days.", 0.032, 0.40),
        passage(SHIPPING, 1, 0, List.of("Shipping"),
            "Orders ship from Shanghai. Delivery takes three to five days.", 0.031, 0.38));
  }

  /** A retriever that answers every query with the same passages and records the queries. */
  static final class ScriptedRetriever implements Retriever {
    final List<RetrievalQuery> queries = new CopyOnWriteArrayList<>();
    private final Function<RetrievalQuery, CompletionStage<RetrievalResult>> answer;

    ScriptedRetriever(Function<RetrievalQuery, CompletionStage<RetrievalResult>> answer) {
      this.answer = answer;
    }

    static ScriptedRetriever finding(List<RetrievedPassage> passages) {
      return new ScriptedRetriever(q -> CompletableFuture.completedFuture(new RetrievalResult(passages,
          RetrievalResult.Mode.HYBRID, List.of(), "fusion", new RetrievalResult.Timings(0, 0, 0, 0, 0))));
    }

    @Override
    public CompletionStage<RetrievalResult> retrieve(RetrievalQuery query) {
      queries.add(query);
      return answer.apply(query);
    }
  }

  /** A catalog that names documents and does nothing else. */
  static final class NamingCatalog implements KnowledgeCatalog {
    private final Map<DocumentRef, String> names;

    NamingCatalog(Map<DocumentRef, String> names) {
      this.names = names;
    }

    static NamingCatalog standard() {
      return new NamingCatalog(Map.of(RETURNS, "returns.md", SHIPPING, "shipping.md"));
    }

    @Override
    public CompletionStage<Map<DocumentRef, String>> documentNames(String tenantId,
        java.util.Collection<DocumentRef> documents) {
      Map<DocumentRef, String> known = new java.util.HashMap<>();
      for (DocumentRef d : documents) if (names.containsKey(d)) known.put(d, names.get(d));
      return CompletableFuture.completedFuture(known);
    }

    @Override
    public CompletionStage<List<String>> unknownCollections(String tenantId,
        java.util.Collection<String> collectionIds) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Void> createCollection(Collection collection) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Optional<Collection>> collection(String tenantId, String collectionId) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Optional<Collection>> collectionNamed(String tenantId, String name) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<List<Collection>> collections(String tenantId, int limit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Boolean> renameCollection(String tenantId, String collectionId, String name) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<Boolean> deleteCollection(String tenantId, String collectionId) {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletionStage<List<DocumentSummary>> documents(String tenantId, String collectionId, int limit) {
      throw new UnsupportedOperationException();
    }
  }

  /** Unit vectors on two axes: "small talk" words point one way, "product" words the other. */
  static final class AxisEmbedder implements Embedder {
    final AtomicInteger calls = new AtomicInteger();
    volatile boolean failing;

    @Override
    public CompletionStage<List<float[]>> embedAll(List<String> texts) {
      calls.incrementAndGet();
      if (failing) return CompletableFuture.failedFuture(new IllegalStateException("model down"));
      return CompletableFuture.completedFuture(texts.stream().map(AxisEmbedder::vector).toList());
    }

    private static float[] vector(String text) {
      double talk = text.contains("weather") || text.contains("small talk") ? 1 : 0.1;
      double product = text.contains("doorbell") || text.contains("products") ? 1 : 0.1;
      double norm = Math.sqrt(talk * talk + product * product);
      return new float[] {(float) (talk / norm), (float) (product / norm)};
    }

    @Override
    public int dimension() {
      return 2;
    }

    @Override
    public String modelId() {
      return "axes";
    }
  }
}
