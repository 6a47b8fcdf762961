package io.voicehelper.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.edge.http.ChatPageRoutes;
import io.voicehelper.edge.http.ConversationRoutes;
import io.voicehelper.edge.http.EdgeRoutes;
import io.voicehelper.edge.http.EdgeSecurity;
import io.voicehelper.edge.http.EdgeSettings;
import io.voicehelper.edge.http.HttpServer;
import io.voicehelper.edge.http.auth.AdminRoutes;
import io.voicehelper.edge.http.auth.AuthRoutes;
import io.voicehelper.edge.http.auth.ClientThrottle;
import io.voicehelper.edge.http.auth.AuthSettings;
import io.voicehelper.edge.http.auth.Authentication;
import io.voicehelper.edge.http.knowledge.KnowledgeEdgeSettings;
import io.voicehelper.edge.http.knowledge.KnowledgeRoutes;
import io.voicehelper.edge.http.retrieval.RetrievalRoutes;
import io.voicehelper.edge.http.voice.VoiceEdgeSettings;
import io.voicehelper.edge.http.voice.VoiceRoutes;
import io.voicehelper.entities.voice.VoiceCallEntity;
import io.voicehelper.streams.voice.audio.VoiceActivityDetectors;
import io.voicehelper.streams.voice.audio.VoiceAudioSettings;
import io.voicehelper.streams.voice.call.ShardedCallBackend;
import io.voicehelper.streams.voice.call.VoiceCallSessions;
import io.voicehelper.streams.voice.engine.SpeechEngines;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.cluster.typed.Cluster;
import io.voicehelper.entities.conversation.ConversationDirectory;
import io.voicehelper.entities.conversation.ConversationEntity;
import io.voicehelper.entities.conversation.ConversationSettings;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.Summarizer;
import io.voicehelper.entities.conversation.TokenEstimator;
import io.voicehelper.entities.identity.Accounts;
import io.voicehelper.entities.identity.AccountsSettings;
import io.voicehelper.streams.generation.Generation;
import io.voicehelper.streams.generation.GenerationSettings;
import io.voicehelper.streams.rag.GroundedReplyGenerator;
import io.voicehelper.streams.rag.RagSettings;
import io.voicehelper.streams.projection.ConversationSummaryProjection;
import io.voicehelper.streams.identity.Argon2PasswordHasher;
import io.voicehelper.streams.identity.JdbcIdentityStore;
import io.voicehelper.streams.projection.JdbcConversationDirectory;
import java.time.Clock;
import java.util.concurrent.Executor;
import io.voicehelper.edge.http.limits.LimitDirectives;
import io.voicehelper.edge.http.limits.LimitEdgeSettings;
import io.voicehelper.edge.http.limits.LimitsAdminRoutes;
import io.voicehelper.entities.identity.Permission;
import io.voicehelper.entities.limits.LimitSettings;
import io.voicehelper.entities.limits.LimitsClient;
import io.voicehelper.entities.limits.TenantLimiterEntity;
import io.voicehelper.entities.limits.TenantLimitsEntity;
import javax.sql.DataSource;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * The composition root: one node of the VoiceHelper cluster. Every node runs the same program; Cluster Bootstrap
 * makes them find each other, and this is the only place where ports meet their adapters.
 */
public final class Node {

  /** The actor system's name: every node of one cluster must use the same. */
  public static final String SYSTEM_NAME = "voicehelper";

  private Node() {}

  /** The configuration from the classpath ({@code application.conf} or {@code -Dconfig.resource}) and environment. */
  public static Config loadConfig() {
    return withDatabase(ConfigFactory.load());
  }

  /** As {@link #loadConfig()}, with {@code overrides} (HOCON) on top; for tests and tools. */
  public static Config loadConfig(String overrides) {
    return withDatabase(ConfigFactory.load(
        ConfigFactory.parseString(overrides).withFallback(ConfigFactory.parseResourcesAnySyntax("application"))));
  }

  private static Config withDatabase(Config config) {
    return DatabaseSettings.fromConfig(config).pluginOverrides().withFallback(config);
  }

  /** Migrates the database, then starts the node. */
  public static ActorSystem<Void> start(Config config) {
    Database.migrate(DatabaseSettings.fromConfig(config));
    return ActorSystem.create(guardian(), SYSTEM_NAME, config);
  }

  private static Behavior<Void> guardian() {
    return Behaviors.setup(context -> {
      ActorSystem<Void> system = context.getSystem();
      Config config = system.settings().config();
      if (!CommonPool.isPooled()) {
        context.getLog().warn("The JVM's common pool has a parallelism of {}: every asynchronous callback will start a "
            + "thread. Start the node through its main class, or set -D{}=2 or more.",
            java.util.concurrent.ForkJoinPool.getCommonPoolParallelism(), CommonPool.PARALLELISM);
      }

      PekkoManagement.get(system).start();
      ClusterBootstrap.get(system).start();

      DataSource dataSource = Database.get(system).dataSource();
      ConversationSummaryProjection.init(system, dataSource, "jdbc-read-journal");
      Executor jdbc = system.dispatchers().lookup(DispatcherSelector.fromConfig("voicehelper.blocking-jdbc-dispatcher"));
      ConversationDirectory directory = new JdbcConversationDirectory(dataSource, jdbc);

      // Knowledge base: catalog, originals, chunk table, node-local Lucene index, embeddings, document sagas.
      Knowledge knowledge = Knowledge.start(system, dataSource, jdbc);

      // Replies: the configured model (or none), grounded in the knowledge base with citations.
      GenerationSettings generationSettings = GenerationSettings.fromConfig(config.getConfig("voicehelper.llm"));
      ReplyGenerator model = Generation.replyGenerator(generationSettings, system);
      ReplyGenerator generator = GroundedReplyGenerator.create(model, generationSettings,
          RagSettings.fromConfig(config.getConfig(RagSettings.CONFIG_PATH)), knowledge.retriever(),
          knowledge.catalog(), knowledge.embedder(), knowledge.retrievalSettings().maxQueryLength(), system);
      Summarizer summarizer = Generation.summarizer(generationSettings, system);

      Executor hashing =
          system.dispatchers().lookup(DispatcherSelector.fromConfig("voicehelper.auth.password-hashing-dispatcher"));
      Accounts accounts = new Accounts(
          new JdbcIdentityStore(dataSource, jdbc),
          new Argon2PasswordHasher(
              Argon2PasswordHasher.Settings.fromConfig(config.getConfig("voicehelper.auth.password-hashing")), hashing),
          AccountsSettings.fromConfig(config.getConfig("voicehelper.auth.accounts")),
          Clock.systemUTC(),
          knowledge::tenantCreated);
      Authentication authentication = Authentication.start(system, accounts,
          AuthSettings.fromConfig(config.getConfig("voicehelper.auth")), Clock.systemUTC());

      // Limits: request rates and stream slots per tenant (in memory), token quotas (event-sourced).
      LimitSettings limitSettings = LimitSettings.fromConfig(config.getConfig("voicehelper.limits"));
      LimitEdgeSettings limitEdge = LimitEdgeSettings.fromConfig(config.getConfig("voicehelper.limits.edge"));
      TenantLimiterEntity.init(system, limitSettings);
      TenantLimitsEntity.init(system, limitSettings, change -> accounts.audit(change.tenantId(), change.changedBy(),
          "limits.changed", "limits", null, "now " + change.effective()));
      LimitsClient limitsClient = new LimitsClient(system, limitSettings, limitEdge.askTimeout(),
          limitEdge.quotaAskTimeout());
      LimitsAdminRoutes limitsAdmin = new LimitsAdminRoutes(limitsClient);

      ConversationEntity.init(system,
          ConversationSettings.fromConfig(config.getConfig("voicehelper.conversation")),
          generator, summarizer, TokenEstimator.HEURISTIC,
          TenantLimitsEntity.settlement(system, limitSettings.settleTimeout()));

      EdgeSettings edgeSettings = EdgeSettings.fromConfig(config.getConfig("voicehelper.http"));

      // Voice: calls as sharded records, their sessions on the node holding the socket (audio stays here), the
      // speech engines each language gets, the caller-side audio stages.
      VoiceCallEntity.init(system,
          io.voicehelper.entities.voice.VoiceCallSettings.fromConfig(config.getConfig("voicehelper.voice.call")));
      SpeechEngines speech = SpeechEngines.fromConfig(config, system);
      VoiceActivityDetectors detectors = VoiceActivityDetectors.create(VoiceAudioSettings.fromConfig(
          config.getConfig(VoiceAudioSettings.CONFIG_PATH)).vad());
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-vad",
          () -> {
            try {
              detectors.close();
            } catch (Exception e) {
              context.getLog().warn("Closing the VAD model failed: {}", e.toString());
            }
            return java.util.concurrent.CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
          });
      VoiceCallSessions calls = VoiceCallSessions.create(system,
          new ShardedCallBackend(system, edgeSettings.askTimeout(), limitsClient, limitEdge.reserveTokens(),
              knowledge.catalog(), Cluster.get(system).selfMember().address().toString()),
          speech::recognizerFor, speech::synthesizerFor, detectors);
      // One instance: its local cache of empty buckets serves every route.
      LimitDirectives limitDirectives = new LimitDirectives(limitsClient, limitEdge);
      HttpServer.start(system,
          EdgeRoutes.seal(EdgeSecurity.fromConfig(config.getConfig("voicehelper.http.security")),
              new ConversationRoutes(system, ClusterSharding.get(system), directory, edgeSettings, authentication,
                  limitDirectives, knowledge.catalog()).route(),
              Directives.pathPrefixTest(PathMatchers.segment("api").slash("v1").slash("admin").slash("limits"), () ->
                  authentication.authenticate(principal -> limitsAdmin.route(principal.tenantId(),
                      principal.subject(), principal.has(Permission.LIMITS_MANAGE)))),
              new AuthRoutes(system, accounts, authentication, edgeSettings, new ClientThrottle(
                  ClientThrottle.Settings.fromConfig(config.getConfig("voicehelper.auth.client-throttle")))).route(),
              new AdminRoutes(system, accounts, authentication, edgeSettings, Clock.systemUTC()).route(),
              new KnowledgeRoutes(system, ClusterSharding.get(system), knowledge.catalog(), knowledge.objects(),
                  KnowledgeEdgeSettings.fromConfig(config.getConfig("voicehelper.http.knowledge")), edgeSettings,
                  authentication, limitDirectives, Clock.systemUTC()).route(),
              new RetrievalRoutes(system, knowledge.retriever(), knowledge.catalog(),
                  knowledge.retrievalSettings(), edgeSettings, authentication, limitDirectives).route(),
              new VoiceRoutes(system, calls, authentication,
                  VoiceEdgeSettings.fromConfig(config.getConfig("voicehelper.http.voice")),
                  edgeSettings.maxJsonDepth(), limitsClient).route(),
              new ChatPageRoutes().route()),
          edgeSettings);
      return Behaviors.empty();
    });
  }
}
