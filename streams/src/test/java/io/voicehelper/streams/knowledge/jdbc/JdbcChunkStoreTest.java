package io.voicehelper.streams.knowledge.jdbc;

import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;

/** {@link JdbcChunkStoreContract} on an in-memory H2 database migrated with the node's Flyway scripts. */
class JdbcChunkStoreTest extends JdbcChunkStoreContract {

  @BeforeEach
  void migrate() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:chunks-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
    Flyway.configure().dataSource(h2).locations("filesystem:../cluster/src/main/resources/db/migration/h2").load()
        .migrate();
    init(h2);
  }
}
