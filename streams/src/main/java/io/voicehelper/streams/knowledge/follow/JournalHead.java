package io.voicehelper.streams.knowledge.follow;

import io.voicehelper.streams.jdbc.Transactions;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The newest ordering in the journal of pekko-persistence-jdbc (table {@code event_journal} of Flyway's
 * {@code V1__journal.sql}, H2 or PostgreSQL), read straight from the table: the Pekko read journal offers no such
 * query. Every tag's events up to it are written, or were being written when it was read.
 */
public final class JournalHead {

  private final Transactions transactions;

  /** @param blockingExecutor where the JDBC call runs: a dispatcher for blocking work, never the default one */
  public JournalHead(DataSource dataSource, Executor blockingExecutor) {
    this.transactions = new Transactions(dataSource, blockingExecutor);
  }

  /** The highest {@code ordering} of the journal; 0 when it is empty. */
  public CompletionStage<Long> lastOrdering() {
    return transactions.run("reading the journal's last ordering", c -> {
      // Quoted lower case: the H2 schema quotes its names, and PostgreSQL folds the unquoted ones to lower case.
      try (PreparedStatement select = c.prepareStatement("SELECT MAX(\"ordering\") FROM \"event_journal\"");
          ResultSet rows = select.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    });
  }
}
