package io.voicehelper.cluster;

import java.sql.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/** Readiness check (Pekko Management {@code /ready}): the node is ready only while its database answers. */
public final class DatabaseHealthCheck implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem<?> system;

  public DatabaseHealthCheck(org.apache.pekko.actor.ActorSystem system) {
    // Pekko Management instantiates checks with the classic system.
    this.system = Adapter.toTyped(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Connection connection = Database.get(system).dataSource().getConnection()) {
            return connection.isValid(2);
          } catch (Exception e) {
            return false;
          }
        },
        system.dispatchers().lookup(DispatcherSelector.fromConfig("voicehelper.blocking-jdbc-dispatcher")));
  }
}
