package io.voicehelper.streams.projection;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.ExactlyOnceProjection;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * How this module's read models run: one exactly-once JDBC projection per event tag (the read-model change and the
 * offset in one transaction), the instances spread over the cluster as a sharded daemon process.
 */
final class TaggedJdbcProjection {

  private TaggedJdbcProjection() {}

  /** Starts one instance of projection {@code name} per tag; {@code readJournal} is the query plugin's id. */
  static <E> void init(ActorSystem<?> system, DataSource dataSource, String readJournal, String name,
      List<String> tags, Supplier<JdbcHandler<EventEnvelope<E>, DataSourceJdbcSession>> handler) {
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            name,
            tags.size(),
            index -> ProjectionBehavior.create(
                projection(system, dataSource, readJournal, name, tags.get(index), handler)),
            ShardedDaemonProcessSettings.create(system),
            Optional.of(ProjectionBehavior.stopMessage()));
  }

  /** The instance of projection {@code name} that follows {@code tag}. */
  static <E> ExactlyOnceProjection<Offset, EventEnvelope<E>> projection(ActorSystem<?> system, DataSource dataSource,
      String readJournal, String name, String tag,
      Supplier<JdbcHandler<EventEnvelope<E>, DataSourceJdbcSession>> handler) {
    return JdbcProjection.exactlyOnce(ProjectionId.of(name, tag),
        EventSourcedProvider.<E>eventsByTag(system, readJournal, tag),
        () -> new DataSourceJdbcSession(dataSource), handler::get, system);
  }
}
