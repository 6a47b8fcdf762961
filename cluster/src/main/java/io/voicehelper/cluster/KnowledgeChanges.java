package io.voicehelper.cluster;

import io.voicehelper.entities.CborSerializable;
import io.voicehelper.streams.retrieval.KnowledgeGenerations;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Tells every node of the cluster that a tenant's collection changed in the search index, so that each node's
 * retrieval cache moves on ({@link KnowledgeGenerations}), whichever node wrote and whichever store holds the index.
 * The writing node moves on at once; the others when the notice arrives (the cache's TTL bounds a lost one).
 */
final class KnowledgeChanges {

  /** A collection's searchable content changed. */
  record Changed(String tenantId, String collectionId) implements CborSerializable {}

  private final KnowledgeGenerations generations;
  private final ActorRef<Topic.Command<Changed>> topic;

  private KnowledgeChanges(KnowledgeGenerations generations, ActorRef<Topic.Command<Changed>> topic) {
    this.generations = generations;
    this.topic = topic;
  }

  static KnowledgeChanges start(ActorSystem<?> system, KnowledgeGenerations generations) {
    ActorRef<Topic.Command<Changed>> topic =
        system.systemActorOf(Topic.create(Changed.class, "knowledge-changes"), "knowledge-changes", Props.empty());
    ActorRef<Changed> listener = system.systemActorOf(Behaviors.receiveMessage(changed -> {
      generations.changed(changed.tenantId(), changed.collectionId());
      return Behaviors.same();
    }), "knowledge-changes-listener", Props.empty());
    topic.tell(Topic.subscribe(listener));
    return new KnowledgeChanges(generations, topic);
  }

  /** A write on this node changed the collection: this node moves on now, the others when told. */
  void changed(String tenantId, String collectionId) {
    generations.changed(tenantId, collectionId);
    topic.tell(Topic.publish(new Changed(tenantId, collectionId)));
  }
}
