package io.voicehelper.streams.projection;

import io.voicehelper.entities.conversation.ConversationEntity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Projects {@link ConversationEntity} events into the {@code conversation_summary} table that lists a tenant's
 * conversations. One instance per event tag runs somewhere in the cluster (sharded daemon process); each updates the
 * table and its offset in one transaction, so every event is applied exactly once.
 */
public final class ConversationSummaryProjection {

  public static final String NAME = "conversation-summary";

  /** Longest preview of the last message kept in the listing. */
  static final int PREVIEW_LENGTH = 160;

  private ConversationSummaryProjection() {}

  /** Starts the projection instances on this cluster; {@code readJournal} is the query plugin's id. */
  public static void init(ActorSystem<?> system, DataSource dataSource, String readJournal) {
    TaggedJdbcProjection.<ConversationEntity.Event>init(system, dataSource, readJournal, NAME, ConversationEntity.TAGS, Handler::new);
  }

  static final class Handler extends JdbcHandler<EventEnvelope<ConversationEntity.Event>, DataSourceJdbcSession> {

    @Override
    public void process(DataSourceJdbcSession session, EventEnvelope<ConversationEntity.Event> envelope)
        throws Exception {
      // Persistence ids are "Conversation|<tenant>|<conversation>".
      String[] parts = envelope.persistenceId().split("\\|", 3);
      String tenant = parts[1];
      String conversation = parts[2];
      ConversationEntity.Event event = envelope.event();
      session.withConnection(connection -> {
        apply(connection, tenant, conversation, event);
        return null;
      });
    }

    private static void apply(Connection connection, String tenant, String conversation,
        ConversationEntity.Event event) throws Exception {
      if (event instanceof ConversationEntity.ConversationStarted started) {
        try (PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO conversation_summary (tenant_id, conversation_id, title, created_at, updated_at,"
                + " message_count, last_message) VALUES (?, ?, ?, ?, ?, 0, NULL)")) {
          insert.setString(1, tenant);
          insert.setString(2, conversation);
          insert.setString(3, started.title());
          insert.setObject(4, utc(started.at()));
          insert.setObject(5, utc(started.at()));
          insert.executeUpdate();
        }
      } else if (event instanceof ConversationEntity.MessageAccepted accepted) {
        touch(connection, tenant, conversation, accepted.at(), preview(accepted.content()));
      } else if (event instanceof ConversationEntity.ReplyCompleted completed) {
        touch(connection, tenant, conversation, completed.at(), null);
      } else if (event instanceof ConversationEntity.ReplyInterrupted interrupted) {
        touch(connection, tenant, conversation, interrupted.at(), null);
      }
      // Other events (reply started, checkpoints, summaries) do not change the listing.
    }

    private static void touch(Connection connection, String tenant, String conversation, Instant at, String preview)
        throws Exception {
      try (PreparedStatement update = connection.prepareStatement(
          "UPDATE conversation_summary SET message_count = message_count + 1, updated_at = ?,"
              + " last_message = COALESCE(?, last_message) WHERE tenant_id = ? AND conversation_id = ?")) {
        update.setObject(1, utc(at));
        update.setString(2, preview);
        update.setString(3, tenant);
        update.setString(4, conversation);
        update.executeUpdate();
      }
    }
  }

  static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  static String preview(String content) {
    String oneLine = content.strip().replaceAll("\\s+", " ");
    return oneLine.length() <= PREVIEW_LENGTH ? oneLine : oneLine.substring(0, PREVIEW_LENGTH - 1) + "…";
  }
}
