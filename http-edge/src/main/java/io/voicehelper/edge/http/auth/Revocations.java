package io.voicehelper.edge.http.auth;

import io.voicehelper.entities.identity.Accounts;
import io.voicehelper.entities.identity.Identity.ApiKey;
import io.voicehelper.entities.identity.Identity.TokenRevocation;
import io.voicehelper.entities.identity.Secrets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node knows about revoked credentials, so that checking a request needs no database: the minimum token
 * version of users whose access tokens were revoked (logout, disabled, role changed), and the API keys seen so far.
 *
 * <p>Every {@code revocation-refresh-interval} the node reads the revocations of the last access-token lifetime
 * (older ones no longer matter: those tokens have expired) and drops revoked keys from its cache. So a revocation made
 * on another node takes effect here within one interval (plus the query's time); one made on this node, at once.
 */
public final class Revocations implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Revocations.class);

  /** A key as cached: the key, or the moment until which the secret is known not to exist. */
  private record CachedKey(ApiKey key, Instant unknownUntil) {}

  private final Accounts accounts;
  private final AuthSettings settings;
  private final Clock clock;
  private final Map<String, TokenRevocation> users = new ConcurrentHashMap<>();
  private final Map<String, ApiKey> keys = new ConcurrentHashMap<>(); // by secret hash
  private final Map<String, Instant> unknownKeys; // by secret hash, bounded, least recently added dropped
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private volatile Cancellable schedule;

  public Revocations(Accounts accounts, AuthSettings settings, Clock clock) {
    this.accounts = accounts;
    this.settings = settings;
    this.clock = clock;
    int max = settings.apiKeyNegativeCacheSize();
    this.unknownKeys = java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
        return size() > max;
      }
    });
  }

  /** Starts reading revocations every interval, on the system's scheduler, until closed or the system stops. */
  public Revocations start(ActorSystem<?> system) {
    Duration interval = settings.revocationRefreshInterval();
    schedule = system.scheduler().scheduleWithFixedDelay(Duration.ZERO, interval, this::refresh,
        system.executionContext());
    system.getWhenTerminated().thenRun(this::close);
    return this;
  }

  /** Reads the recent revocations, unless a read is running already (the scheduled refresh). */
  public CompletionStage<Void> refresh() {
    if (!refreshing.compareAndSet(false, true)) return CompletableFuture.completedFuture(null);
    return load().whenComplete((done, failure) -> {
      refreshing.set(false);
      if (failure != null) {
        log.warn("Could not read revocations; retrying in {}", settings.revocationRefreshInterval(), failure);
      }
    });
  }

  /** Reads the recent revocations now: after a revocation on this node, so that it applies here at once. */
  public CompletionStage<Void> refreshNow() {
    return load();
  }

  private CompletionStage<Void> load() {
    Instant since = clock.instant().minus(settings.accessTokenTtl()).minus(settings.clockSkew());
    CompletionStage<Void> users = accounts.revocationsSince(since).thenAccept(this::applyUsers);
    CompletionStage<Void> revokedKeys = accounts.apiKeysRevokedSince(since).thenAccept(this::applyKeys);
    return users.thenCombine(revokedKeys, (a, b) -> (Void) null);
  }

  private void applyUsers(List<TokenRevocation> revocations) {
    for (TokenRevocation r : revocations) users.merge(r.userId(), r, Revocations::newer);
    Instant horizon = clock.instant().minus(settings.accessTokenTtl()).minus(settings.clockSkew()).minusSeconds(60);
    users.values().removeIf(r -> r.at().isBefore(horizon));
  }

  private void applyKeys(List<String> revokedHashes) {
    for (String hash : revokedHashes) keys.remove(hash);
  }

  private static TokenRevocation newer(TokenRevocation a, TokenRevocation b) {
    return a.minTokenVersion() >= b.minTokenVersion() ? a : b;
  }

  /** Whether an access token of {@code userId} issued at {@code tokenVersion} has been revoked. */
  public boolean revoked(String userId, int tokenVersion) {
    TokenRevocation r = users.get(userId);
    return r != null && tokenVersion < r.minTokenVersion();
  }

  /**
   * The API key with this secret: from the cache, or read once from the database (then cached). Empty for an unknown
   * secret, which is remembered as unknown for a while.
   */
  public CompletionStage<Optional<ApiKey>> apiKey(String secret) {
    String hash = Secrets.sha256(secret);
    ApiKey cached = keys.get(hash);
    if (cached != null) return CompletableFuture.completedFuture(Optional.of(cached));
    Instant now = clock.instant();
    Instant unknownUntil = unknownKeys.get(hash);
    if (unknownUntil != null && now.isBefore(unknownUntil)) return CompletableFuture.completedFuture(Optional.empty());
    return accounts.apiKeyBySecret(secret).thenApply(found -> {
      if (found.isPresent() && found.get().revokedAt() == null) keys.put(hash, found.get());
      else unknownKeys.put(hash, now.plus(settings.apiKeyNegativeCacheTtl())); // unknown or revoked: both refused
      return found;
    });
  }

  @Override
  public void close() {
    Cancellable s = schedule;
    if (s != null) s.cancel();
  }
}
