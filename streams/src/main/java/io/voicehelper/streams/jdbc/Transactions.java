package io.voicehelper.streams.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * Runs JDBC work in one transaction each, on an executor for blocking work (never the default dispatcher): the one
 * way the JDBC adapters of this module talk to the journal database.
 */
public final class Transactions {

  /** Work on a connection whose transaction commits when it returns and rolls back when it throws. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  private final DataSource dataSource;
  private final Executor blockingExecutor;

  public Transactions(DataSource dataSource, Executor blockingExecutor) {
    this.dataSource = dataSource;
    this.blockingExecutor = blockingExecutor;
  }

  /**
   * Runs {@code work} in one transaction. A runtime exception it throws fails the stage as it is (the adapters'
   * own rejections); an {@link SQLException} fails it with an {@link IllegalStateException} saying {@code what}
   * failed.
   */
  public <T> CompletionStage<T> run(String what, Work<T> work) {
    return CompletableFuture.supplyAsync(() -> {
      try (Connection connection = dataSource.getConnection()) {
        connection.setAutoCommit(false);
        try {
          T result = work.run(connection);
          connection.commit();
          return result;
        } catch (SQLException | RuntimeException e) {
          connection.rollback();
          throw e;
        }
      } catch (SQLException e) {
        throw new IllegalStateException(what + " failed", e);
      }
    }, blockingExecutor);
  }
}
