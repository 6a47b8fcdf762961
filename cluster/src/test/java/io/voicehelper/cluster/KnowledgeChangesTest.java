package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.knowledge.SearchFilter;
import io.voicehelper.streams.retrieval.KnowledgeGenerations;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A change notice crosses the wire (CBOR) and moves the receiving node's generations. */
class KnowledgeChangesTest {

  private static final ActorTestKit testKit = ActorTestKit.create("knowledge-changes", ConfigFactory.parseString("""
      pekko.actor.provider = local
      """).withFallback(ConfigFactory.defaultReference()).resolve());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aNoticeIsSerializableAndMovesTheGenerations() {
    testKit.serializationTestKit().verifySerialization(new KnowledgeChanges.Changed("t1", "faq"), true);

    KnowledgeGenerations generations = new KnowledgeGenerations();
    KnowledgeChanges.start(testKit.system(), generations);
    SearchFilter faq = new SearchFilter("t1", Set.of("faq"), Optional.empty());
    String before = generations.stamp(faq);

    // Another node's notice arrives through its own instance of the topic.
    ActorRef<Topic.Command<KnowledgeChanges.Changed>> another = testKit.spawn(
        Topic.create(KnowledgeChanges.Changed.class, "knowledge-changes"), "another-nodes-topic");
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
      another.tell(Topic.publish(new KnowledgeChanges.Changed("t1", "faq")));
      assertNotEquals(before, generations.stamp(faq));
      return null;
    });
  }
}
