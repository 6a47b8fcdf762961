package io.voicehelper.cluster;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's connection pool for read models and health checks (the journal has its own, inside
 * pekko-persistence-jdbc), and the Flyway migrations that create every table.
 */
public final class Database implements Extension {

  private static final Logger log = LoggerFactory.getLogger(Database.class);

  public static final ExtensionId<Database> ID =
      new ExtensionId<>() {
        @Override
        public Database createExtension(ActorSystem<?> system) {
          return new Database(system);
        }
      };

  public static Database get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final HikariDataSource dataSource;

  private Database(ActorSystem<?> system) {
    DatabaseSettings settings = DatabaseSettings.fromConfig(system.settings().config());
    HikariConfig pool = new HikariConfig();
    pool.setPoolName("voicehelper-read-models");
    pool.setJdbcUrl(settings.url());
    pool.setUsername(settings.user());
    pool.setPassword(settings.password());
    pool.setMaximumPoolSize(settings.poolSize());
    pool.setMinimumIdle(1);
    pool.setConnectionTimeout(5_000);
    // Start without a connection: a database that is down makes the node unready (/ready), not dead.
    pool.setInitializationFailTimeout(-1);
    this.dataSource = new HikariDataSource(pool);
    system.getWhenTerminated().whenComplete((done, failure) -> dataSource.close());
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /** Brings the schema up to date. Safe to run from several nodes at once: Flyway takes a lock. */
  public static void migrate(DatabaseSettings settings) {
    MigrateResult result = Flyway.configure()
        .dataSource(settings.url(), settings.user(), settings.password())
        .locations(settings.migrationLocation())
        .connectRetries(10)
        .load()
        .migrate();
    log.info("Database {} at schema version {} ({} migrations applied)", settings,
        result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion,
        result.migrationsExecuted);
  }
}
