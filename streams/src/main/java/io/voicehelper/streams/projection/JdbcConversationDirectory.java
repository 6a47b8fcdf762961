package io.voicehelper.streams.projection;

import io.voicehelper.entities.conversation.ConversationDirectory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/** Reads the {@code conversation_summary} table written by {@link ConversationSummaryProjection}. */
public final class JdbcConversationDirectory implements ConversationDirectory {

  private final DataSource dataSource;
  private final Executor blockingExecutor;

  /** @param blockingExecutor where the JDBC calls run: a dispatcher for blocking work, never the default one */
  public JdbcConversationDirectory(DataSource dataSource, Executor blockingExecutor) {
    this.dataSource = dataSource;
    this.blockingExecutor = blockingExecutor;
  }

  @Override
  public CompletionStage<List<Entry>> list(String tenantId, int limit) {
    return CompletableFuture.supplyAsync(() -> query(tenantId, limit), blockingExecutor);
  }

  private List<Entry> query(String tenantId, int limit) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement select = connection.prepareStatement(
            "SELECT conversation_id, title, created_at, updated_at, message_count, last_message"
                + " FROM conversation_summary WHERE tenant_id = ? ORDER BY updated_at DESC, conversation_id"
                + " LIMIT ?")) {
      select.setString(1, tenantId);
      select.setInt(2, limit);
      try (ResultSet rows = select.executeQuery()) {
        List<Entry> entries = new ArrayList<>();
        while (rows.next()) {
          entries.add(new Entry(
              rows.getString(1),
              rows.getString(2),
              rows.getObject(3, OffsetDateTime.class).toInstant(),
              rows.getObject(4, OffsetDateTime.class).toInstant(),
              rows.getInt(5),
              rows.getString(6)));
        }
        return entries;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("listing conversations failed", e);
    }
  }
}
