package io.voicehelper.streams.knowledge.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@link JdbcChunkStoreContract} on PostgreSQL ({@code VOICEHELPER_TEST_PG_URL}, default
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres}, user/password {@code postgres}), in a schema of its own that is
 * migrated with the node's Flyway scripts. Skipped when no server answers, unless {@code VOICEHELPER_REQUIRE_POSTGRES}
 * is {@code true}.
 */
class JdbcChunkStorePostgresIT extends JdbcChunkStoreContract {

  @BeforeEach
  void migrate() throws Exception {
    String url = System.getenv().getOrDefault("VOICEHELPER_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/postgres");
    PGSimpleDataSource pg = new PGSimpleDataSource();
    pg.setUrl(url);
    pg.setUser(System.getenv().getOrDefault("VOICEHELPER_TEST_PG_USER", "postgres"));
    pg.setPassword(System.getenv().getOrDefault("VOICEHELPER_TEST_PG_PASSWORD", "postgres"));
    pg.setConnectTimeout(3);
    String schema = "chunks_it_" + System.nanoTime();
    try (Connection c = pg.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
    } catch (Exception e) {
      if ("true".equalsIgnoreCase(System.getenv("VOICEHELPER_REQUIRE_POSTGRES"))) {
        fail("VOICEHELPER_REQUIRE_POSTGRES=true, but PostgreSQL at " + url + " is not reachable: " + e.getMessage());
      }
      Assumptions.abort("PostgreSQL at " + url + " is not reachable (" + e.getMessage()
          + "); set VOICEHELPER_REQUIRE_POSTGRES=true to make this a failure.");
    }
    pg.setCurrentSchema(schema);
    Flyway.configure().dataSource(pg).schemas(schema)
        .locations("filesystem:../cluster/src/main/resources/db/migration/postgresql").load().migrate();
    init(pg);
  }
}
