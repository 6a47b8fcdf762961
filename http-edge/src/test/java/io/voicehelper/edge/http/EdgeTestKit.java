package io.voicehelper.edge.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.edge.http.auth.AdminRoutes;
import io.voicehelper.edge.http.auth.AuthRoutes;
import io.voicehelper.edge.http.auth.ClientThrottle;
import io.voicehelper.edge.http.auth.AuthSettings;
import io.voicehelper.edge.http.auth.Authentication;
import io.voicehelper.entities.conversation.ConversationEntity;
import io.voicehelper.entities.conversation.ConversationSettings;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.conversation.TokenEstimator;
import io.voicehelper.entities.identity.Accounts;
import io.voicehelper.entities.identity.AccountsSettings;
import io.voicehelper.entities.identity.FastPasswordHasher;
import io.voicehelper.entities.identity.InMemoryIdentityStore;
import java.time.Clock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * A one-node cluster with in-memory persistence, the conversation entity on a scripted generator, accounts on an
 * in-memory identity store, and the edge bound to a free port on the loopback interface, exactly as {@code cluster/}
 * assembles it. A tenant with its owner is signed up at start; {@link #request} acts as that owner.
 */
final class EdgeTestKit implements AutoCloseable {

  static final String BASE_CONFIG = """
      # Tests sign up many users from 127.0.0.1 in little time.
      voicehelper.auth.client-throttle.attempts-per-minute = 100000
      voicehelper.auth.client-throttle.burst = 100000
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = "127.0.0.1"
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      pekko.loglevel = INFO
      pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
      pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
      voicehelper.http.host = "127.0.0.1"
      voicehelper.http.port = 0
      voicehelper.conversation.abandoned-reply-grace = 1500ms
      voicehelper.conversation.poll-timeout = 2s
      pekko.http.server.remote-address-attribute = on
      voicehelper.auth.tokens.keys = "%s"
      voicehelper.auth.tokens.revocation-refresh-interval = 300ms
      voicehelper.auth.accounts.min-password-length = 12
      """.formatted(EdgeTestKit.TEST_KEYS);

  /** Signing keys of the test edge, newest first: tests mint tokens of their own with them. */
  static final String TEST_KEYS = "test-2:" + "a2V5LTItMzItYnl0ZXMtb2Ytc2VjcmV0LW1hdGVyaWFs" + ",test-1:"
      + "a2V5LTEtMzItYnl0ZXMtb2Ytc2VjcmV0LW1hdGVyaWFs";
  static final String PASSWORD = "correct horse battery staple";

  /** A signed-in user of the test edge. */
  record Login(String tenantId, String userId, String email, String accessToken, String refreshToken) {
    String bearer() {
      return "Bearer " + accessToken;
    }
  }

  final ActorTestKit testKit;
  final EdgeSettings settings;
  final InMemoryConversationDirectory directory = new InMemoryConversationDirectory();
  final InMemoryIdentityStore identityStore = new InMemoryIdentityStore();
  final Accounts accounts;
  final AuthSettings authSettings;
  final Authentication authentication;
  final ServerBinding binding;
  /** The owner of the kit's tenant, signed in: {@link #request} sends their token. */
  final Login owner;
  final String baseUrl;
  final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private EdgeTestKit(String name, String extraConfig, ReplyGenerator generator) throws Exception {
    this(name, extraConfig, generator, (system, authentication) -> null);
  }

  private EdgeTestKit(String name, String extraConfig, ReplyGenerator generator,
      java.util.function.BiFunction<ActorSystem<Void>, Authentication, org.apache.pekko.http.javadsl.server.Route> extra)
      throws Exception {
    testKit = OneNodeCluster.start(name,
        ConfigFactory.parseString(extraConfig).withFallback(ConfigFactory.parseString(BASE_CONFIG)));
    ActorSystem<Void> system = testKit.system();
    ConversationEntity.init(system,
        ConversationSettings.fromConfig(system.settings().config().getConfig("voicehelper.conversation")),
        generator,
        (previous, turns) -> CompletableFuture.completedFuture(previous),
        TokenEstimator.HEURISTIC);
    settings = EdgeSettings.fromConfig(system.settings().config().getConfig("voicehelper.http"));
    Config auth = system.settings().config().getConfig("voicehelper.auth");
    accounts = new Accounts(identityStore, new FastPasswordHasher(),
        AccountsSettings.fromConfig(auth.getConfig("accounts")), Clock.systemUTC());
    authSettings = AuthSettings.fromConfig(auth);
    authentication = Authentication.start(system, accounts, authSettings, Clock.systemUTC());
    ConversationRoutes routes =
        new ConversationRoutes(system, ClusterSharding.get(system), directory, settings, authentication);
    org.apache.pekko.http.javadsl.server.Route extraRoute = extra.apply(system, authentication);
    binding = HttpServer.start(system, EdgeRoutes.seal(
                extraRoute != null ? extraRoute : org.apache.pekko.http.javadsl.server.Directives.reject(),
                routes.route(),
                new AuthRoutes(system, accounts, authentication, settings, new ClientThrottle(ClientThrottle.Settings
                    .fromConfig(system.settings().config().getConfig("voicehelper.auth.client-throttle")))).route(),
                new AdminRoutes(system, accounts, authentication, settings, Clock.systemUTC()).route(),
                new ChatPageRoutes().route()),
            settings)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    baseUrl = "http://127.0.0.1:" + binding.localAddress().getPort();
    owner = register(name + " Inc", name.toLowerCase() + "-owner@example.com");
    directory.defaultTenant = owner.tenantId();
  }

  /** Signs up a new tenant with its owner through the API. */
  Login register(String tenantName, String email) throws Exception {
    return login(anonymousPost("/api/v1/auth/register", "{\"tenantName\":\"" + tenantName + "\",\"email\":\"" + email
        + "\",\"password\":\"" + PASSWORD + "\"}"), 201);
  }

  /** Signs in through the API. */
  Login signIn(String email) throws Exception {
    return login(anonymousPost("/api/v1/auth/login",
        "{\"email\":\"" + email + "\",\"password\":\"" + PASSWORD + "\"}"), 200);
  }

  static Login login(HttpResponse<String> response, int status) {
    assertEquals(status, response.statusCode(), response.body());
    JsonNode body = TestJson.read(response.body());
    return new Login(body.get("tenant").get("id").asText(), body.get("user").get("id").asText(),
        body.get("user").get("email").asText(), body.get("accessToken").asText(), body.get("refreshToken").asText());
  }

  /** Creates a conversation as {@code login} and returns its id. */
  String createConversation(Login login) throws Exception {
    HttpResponse<String> created = send(as(login, "/api/v1/conversations").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
    assertEquals(201, created.statusCode(), created.body());
    return TestJson.read(created.body()).get("id").asText();
  }

  /** {@code inviter} invites {@code email} with {@code role}; the invitee accepts and is signed in. */
  Login invite(Login inviter, String email, String role) throws Exception {
    HttpResponse<String> invited = send(as(inviter, "/api/v1/admin/invitations")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"" + email + "\",\"role\":\"" + role + "\"}"))
        .build());
    assertEquals(201, invited.statusCode(), invited.body());
    String token = TestJson.read(invited.body()).get("token").asText();
    return login(anonymousPost("/api/v1/auth/accept-invitation",
        "{\"token\":\"" + token + "\",\"password\":\"" + PASSWORD + "\"}"), 201);
  }

  HttpResponse<String> patch(Login login, String path, String json) throws Exception {
    return send(as(login, path).header("Content-Type", "application/json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /** A request without any credential. */
  HttpRequest.Builder anonymous(String path) {
    return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(20));
  }

  HttpResponse<String> anonymousPost(String path, String json) throws Exception {
    return send(anonymous(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /** A request as {@code login}. */
  HttpRequest.Builder as(Login login, String path) {
    return anonymous(path).header("Authorization", login.bearer());
  }

  /** An SSE GET on a raw socket, as the kit's owner. */
  RawSse rawGet(String path, String... headerLines) throws java.io.IOException {
    String[] all = java.util.Arrays.copyOf(headerLines, headerLines.length + 1);
    all[headerLines.length] = "Authorization: " + owner.bearer();
    return RawSse.get(port(), path, all);
  }

  /** An SSE message POST on a raw socket, as the kit's owner. */
  RawSse rawPost(String path, String json, int receiveBuffer) throws java.io.IOException {
    return RawSse.postMessage(port(), path, json, receiveBuffer, "Authorization: " + owner.bearer());
  }

  static EdgeTestKit start(String name, String extraConfig, ReplyGenerator generator) throws Exception {
    return new EdgeTestKit(name, extraConfig, generator);
  }

  /** As {@link #start(String, String, ReplyGenerator)}, with one more route built from the kit's system and auth. */
  static EdgeTestKit start(String name, String extraConfig, ReplyGenerator generator,
      java.util.function.BiFunction<ActorSystem<Void>, Authentication, org.apache.pekko.http.javadsl.server.Route> extra)
      throws Exception {
    return new EdgeTestKit(name, extraConfig, generator, extra);
  }

  int port() {
    return binding.localAddress().getPort();
  }

  /** A request as the kit's owner. */
  HttpRequest.Builder request(String path) {
    return as(owner, path);
  }

  HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws Exception {
    return send(request(path).GET().build());
  }

  HttpResponse<String> postJson(String path, String json) throws Exception {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /** Creates a conversation and returns its id. */
  String createConversation(String title) throws Exception {
    HttpResponse<String> created = postJson("/api/v1/conversations", "{\"title\":\"" + title + "\"}");
    assertEquals(201, created.statusCode(), created.body());
    return TestJson.read(created.body()).get("id").asText();
  }

  @Override
  public void close() {
    binding.unbind();
    testKit.shutdownTestKit();
  }
}
