package io.voicehelper.streams.knowledge.elasticsearch;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Settings of the Elasticsearch keyword store, read once from {@code voicehelper.knowledge.elasticsearch} (see
 * {@code reference.conf} for what each key does, its unit and its default).
 *
 * @param urls the nodes, {@code http(s)://host:port}
 * @param apiKey an encoded API key sent as {@code Authorization: ApiKey <key>}; empty for none; never printed
 * @param username basic-auth user when there is no API key; empty for none
 * @param password basic-auth password; never printed
 * @param indexPrefix each tenant's index is {@code <prefix>-<tenant>}
 * @param analyzer analyzer of the chunk text at index time: {@code cjk} (built in: Chinese as overlapping bigrams),
 *     {@code standard}, {@code smartcn} (plugin analysis-smartcn), {@code ik_max_word} (IK plugin) or any analyzer
 *     the cluster has
 * @param searchAnalyzer analyzer of queries; empty: the index analyzer ({@code ik_smart} suits {@code ik_max_word})
 * @param shards primary shards of a new index
 * @param replicas replicas of a new index (0 on a single-node cluster)
 * @param refresh when a write becomes searchable: {@code wait_for} (when its stage completes), {@code true}
 *     (forces a refresh) or {@code false} (within the refresh interval)
 * @param connectTimeout how long opening a connection may take
 * @param requestTimeout how long a request may wait for its response (socket timeout)
 */
public record ElasticsearchSettings(
    List<String> urls,
    String apiKey,
    String username,
    String password,
    String indexPrefix,
    String analyzer,
    String searchAnalyzer,
    int shards,
    int replicas,
    String refresh,
    Duration connectTimeout,
    Duration requestTimeout) {

  /** The config path these settings are read from. */
  public static final String CONFIG_PATH = "voicehelper.knowledge.elasticsearch";

  public ElasticsearchSettings {
    urls = urls.stream().map(String::strip).filter(u -> !u.isEmpty()).toList();
    apiKey = apiKey == null ? "" : apiKey.strip();
    username = username == null ? "" : username.strip();
    password = password == null ? "" : password;
    analyzer = analyzer == null || analyzer.isBlank() ? "cjk" : analyzer.strip();
    searchAnalyzer = searchAnalyzer == null ? "" : searchAnalyzer.strip();
    refresh = refresh == null ? "wait_for" : refresh.strip().toLowerCase(Locale.ROOT);
    if (urls.isEmpty()) throw new IllegalArgumentException(CONFIG_PATH + ".urls must name a node (ELASTICSEARCH_URLS)");
    if (!indexPrefix.matches("[a-z0-9][a-z0-9_-]{0,63}")) {
      throw new IllegalArgumentException(CONFIG_PATH
          + ".index-prefix must be lower-case letters, digits, '_' or '-', not starting with '_' or '-' (at most 64)");
    }
    if (!refresh.matches("wait_for|true|false")) {
      throw new IllegalArgumentException(CONFIG_PATH + ".refresh must be wait_for, true or false, not " + refresh);
    }
    if (shards < 1) throw new IllegalArgumentException(CONFIG_PATH + ".shards must be >= 1");
    if (replicas < 0) throw new IllegalArgumentException(CONFIG_PATH + ".replicas must be >= 0");
    if (requestTimeout.isZero() || requestTimeout.isNegative()) {
      throw new IllegalArgumentException(CONFIG_PATH + ".request-timeout must be positive");
    }
  }

  /** Settings for one node at {@code url} with the defaults of {@code reference.conf}; for tests and tools. */
  public static ElasticsearchSettings defaults(String url) {
    return new ElasticsearchSettings(List.of(url), "", "", "", "vh-chunks", "cjk", "", 1, 1, "wait_for",
        Duration.ofSeconds(5), Duration.ofSeconds(30));
  }

  /** Reads the settings from the {@code voicehelper.knowledge.elasticsearch} section. */
  public static ElasticsearchSettings fromConfig(Config config) {
    return new ElasticsearchSettings(
        Arrays.asList(config.getString("urls").split(",")),
        config.getString("api-key"),
        config.getString("username"),
        config.getString("password"),
        config.getString("index-prefix").strip(),
        config.getString("analyzer"),
        config.getString("search-analyzer"),
        config.getInt("shards"),
        config.getInt("replicas"),
        config.getString("refresh"),
        config.getDuration("connect-timeout"),
        config.getDuration("request-timeout"));
  }

  /** A copy with another index prefix (tests use one per run against a real server). */
  public ElasticsearchSettings withIndexPrefix(String newPrefix) {
    return new ElasticsearchSettings(urls, apiKey, username, password, newPrefix, analyzer, searchAnalyzer, shards,
        replicas, refresh, connectTimeout, requestTimeout);
  }

  /** A copy with other credentials. */
  public ElasticsearchSettings withCredentials(String newApiKey, String newUsername, String newPassword) {
    return new ElasticsearchSettings(urls, newApiKey, newUsername, newPassword, indexPrefix, analyzer,
        searchAnalyzer, shards, replicas, refresh, connectTimeout, requestTimeout);
  }

  /** A copy with other analyzers. */
  public ElasticsearchSettings withAnalyzers(String newAnalyzer, String newSearchAnalyzer) {
    return new ElasticsearchSettings(urls, apiKey, username, password, indexPrefix, newAnalyzer, newSearchAnalyzer,
        shards, replicas, refresh, connectTimeout, requestTimeout);
  }

  /** A copy with other shard and replica counts. */
  public ElasticsearchSettings withShards(int newShards, int newReplicas) {
    return new ElasticsearchSettings(urls, apiKey, username, password, indexPrefix, analyzer, searchAnalyzer,
        newShards, newReplicas, refresh, connectTimeout, requestTimeout);
  }

  /** A copy with other timeouts. */
  public ElasticsearchSettings withTimeouts(Duration newConnectTimeout, Duration newRequestTimeout) {
    return new ElasticsearchSettings(urls, apiKey, username, password, indexPrefix, analyzer, searchAnalyzer,
        shards, replicas, refresh, newConnectTimeout, newRequestTimeout);
  }

  /** Like the record's own, but the API key and password are masked so that the settings can be logged. */
  @Override
  public String toString() {
    return "ElasticsearchSettings[urls=" + urls + ", apiKey=" + (apiKey.isEmpty() ? "" : "***") + ", username="
        + username + ", password=" + (password.isEmpty() ? "" : "***") + ", indexPrefix=" + indexPrefix
        + ", analyzer=" + analyzer + ", searchAnalyzer=" + searchAnalyzer + ", shards=" + shards + ", replicas="
        + replicas + ", refresh=" + refresh + ", connectTimeout=" + connectTimeout + ", requestTimeout="
        + requestTimeout + "]";
  }
}
