package io.voicehelper.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * The database behind the journal, snapshots and read models: PostgreSQL when {@code voicehelper.db.url} names one,
 * otherwise an H2 file database in the data directory (the embedded default).
 */
public record DatabaseSettings(String url, String user, String password, int poolSize, Vendor vendor) {

  /** What differs between the databases we support. */
  public enum Vendor {
    H2("slick.jdbc.H2Profile$", "org.h2.Driver", "h2-dialect", "h2"),
    POSTGRESQL("slick.jdbc.PostgresProfile$", "org.postgresql.Driver", "postgres-dialect", "postgresql");

    final String slickProfile;
    final String driver;
    final String projectionDialect;
    final String migrations;

    Vendor(String slickProfile, String driver, String projectionDialect, String migrations) {
      this.slickProfile = slickProfile;
      this.driver = driver;
      this.projectionDialect = projectionDialect;
      this.migrations = migrations;
    }
  }

  public static DatabaseSettings fromConfig(Config root) {
    Config db = root.getConfig("voicehelper.db");
    String url = db.getString("url").strip();
    if (url.isEmpty()) {
      Path file = Path.of(root.getString("voicehelper.data-dir")).toAbsolutePath().resolve("db").resolve("voicehelper");
      // One process owns the file; several local nodes share H2 through its TCP server instead (see README).
      url = "jdbc:h2:file:" + file;
    }
    Vendor vendor;
    if (url.startsWith("jdbc:postgresql:")) vendor = Vendor.POSTGRESQL;
    else if (url.startsWith("jdbc:h2:")) vendor = Vendor.H2;
    else throw new IllegalArgumentException(
        "voicehelper.db.url (VOICEHELPER_DB_URL) must be a jdbc:postgresql: or jdbc:h2: URL, not " + redact(url));
    return new DatabaseSettings(url, db.getString("user"), db.getString("password"), db.getInt("pool-size"), vendor);
  }

  /** The settings of pekko-persistence-jdbc and pekko-projection-jdbc that follow from the database. */
  public Config pluginOverrides() {
    String shared = "pekko-persistence-jdbc.shared-databases.default.";
    return ConfigFactory.parseMap(Map.of(
        shared + "profile", vendor.slickProfile,
        shared + "db.url", url,
        shared + "db.driver", vendor.driver,
        "pekko.projection.jdbc.dialect", vendor.projectionDialect));
  }

  /** Flyway location of this database's migrations. */
  public String migrationLocation() {
    return "classpath:db/migration/" + vendor.migrations;
  }

  private static String redact(String url) {
    int query = url.indexOf('?');
    return query < 0 ? url : url.substring(0, query) + "?…";
  }

  @Override
  public String toString() {
    return "DatabaseSettings[" + redact(url) + ", user=" + user + ", pool=" + poolSize + "]";
  }
}
