package io.voicehelper.edge.http.voice;

import io.voicehelper.edge.http.auth.Authentication;
import io.voicehelper.edge.http.auth.Principal;
import io.voicehelper.edge.http.internal.Json;
import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.edge.http.voice.internal.ClosableWebSocket;
import io.voicehelper.entities.identity.Permission;
import io.voicehelper.entities.limits.LimitsClient;
import io.voicehelper.entities.voice.CallIdentity;
import io.voicehelper.entities.voice.ClientMessage;
import io.voicehelper.entities.voice.ServerMessage;
import io.voicehelper.entities.voice.VoiceSessions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/voice/ws}: voice calls over WebSocket (docs/voice-api.md). This edge only translates: it
 * authenticates the caller (a header, the {@code bearer.<token>} subprotocol a browser can send, or the
 * {@code start} message's token), checks every message's size and shape, and closes the socket with the code the
 * protocol gives for each violation; the call itself is the node's {@link VoiceSessions}.
 */
public final class VoiceRoutes extends AllDirectives {

  /** The subprotocol a client offers (and the server accepts) to speak this version of the protocol. */
  public static final String SUBPROTOCOL = "voicehelper.v1";
  /** A subprotocol {@code bearer.<access token>} carries a browser's credential; never echoed back. */
  public static final String BEARER_PREFIX = "bearer.";

  private static final Logger log = LoggerFactory.getLogger(VoiceRoutes.class);
  private static final int TRY_AGAIN_LATER = 1013;

  private final ActorSystem<?> system;
  private final VoiceSessions sessions;
  private final Authentication authentication;
  private final VoiceEdgeSettings settings;
  private final VoiceCodec codec;
  private final LimitsClient limits;

  public VoiceRoutes(ActorSystem<?> system, VoiceSessions sessions, Authentication authentication,
      VoiceEdgeSettings settings, int maxJsonDepth) {
    this(system, sessions, authentication, settings, maxJsonDepth, null);
  }

  /**
   * @param limits the cluster-wide limits: a call holds one of its tenant's concurrent-stream slots for as long as
   *     it lasts ({@code null}: no limits)
   */
  public VoiceRoutes(ActorSystem<?> system, VoiceSessions sessions, Authentication authentication,
      VoiceEdgeSettings settings, int maxJsonDepth, LimitsClient limits) {
    this.system = system;
    this.sessions = sessions;
    this.authentication = authentication;
    this.settings = settings;
    this.limits = limits;
    this.codec = new VoiceCodec(settings, new Json(maxJsonDepth, settings.maxTextMessageBytes()),
        Materializer.matFromSystem(system));
  }

  public Route route() {
    return pathPrefix("api", () -> pathPrefix("v1", () -> pathPrefix("voice", () -> path("ws", () ->
        get(() -> extractRequest(this::upgrade))))));
  }

  private Route upgrade(HttpRequest request) {
    Optional<WebSocketUpgrade> upgrade = request.getAttribute(
        org.apache.pekko.http.javadsl.model.AttributeKeys.webSocketUpgrade);
    if (upgrade.isEmpty()) {
      throw ProblemException.of(426, "websocket-required", "WebSocket required",
          "This endpoint speaks the voice protocol over WebSocket (docs/voice-api.md).")
          .withHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("Upgrade", "websocket"));
    }
    List<String> offered = new ArrayList<>();
    upgrade.get().getRequestedProtocols().forEach(offered::add);
    String bearer = offered.stream().filter(p -> p.startsWith(BEARER_PREFIX)).findFirst()
        .map(p -> p.substring(BEARER_PREFIX.length())).orElse(null);
    if (!offered.isEmpty() && !offered.contains(SUBPROTOCOL)) {
      throw ProblemException.badRequest("unsupported-subprotocol",
          "Offer the subprotocol '" + SUBPROTOCOL + "' (and optionally 'bearer.<access token>').");
    }
    String accepted = offered.contains(SUBPROTOCOL) ? SUBPROTOCOL : null;
    boolean headerCredential = request.getHeader("Authorization").isPresent()
        || request.getHeader("X-API-Key").isPresent();
    String remote = Authentication.clientIp(request.getAttribute(
        org.apache.pekko.http.javadsl.model.AttributeKeys.remoteAddress).orElse(
        org.apache.pekko.http.javadsl.model.RemoteAddress.create(new java.net.InetSocketAddress(0))));
    if (headerCredential) {
      // Non-browser clients: a bad credential gets its 401 before the upgrade, as on every other endpoint.
      return authentication.authenticate(principal -> complete(socket(request, accepted,
          CompletableFuture.completedFuture(principal), remote)));
    }
    CompletionStage<Principal> fromSubprotocol = bearer == null ? null : authentication.credential(bearer);
    return complete(socket(request, accepted, fromSubprotocol, remote));
  }

  /**
   * The upgraded socket. {@code principal} is the caller when a header or the subprotocol said who they are, else
   * {@code null}: then the {@code start} message's token decides.
   */
  private org.apache.pekko.http.javadsl.model.HttpResponse socket(HttpRequest request, String subprotocol,
      CompletionStage<Principal> principal, String remote) {
    return ClosableWebSocket.upgrade(system, request, subprotocol, closer -> {
      if (!sessions.hasRoom()) {
        return closing(closer, new ServerMessage.Close(TRY_AGAIN_LATER, "this node is at its call limit; retry"));
      }
      Flow<Message, ServerMessage, NotUsed> calls = Flow.<Message>create()
          .mapAsync(1, codec::decode)
          .initialTimeout(settings.startTimeout())
          .prefixAndTail(1)
          .flatMapConcat(firstAndRest -> {
            if (firstAndRest.first().isEmpty()) return Source.<ServerMessage>empty();
            VoiceCodec.Decoded first = firstAndRest.first().get(0);
            Source<ClientMessage, NotUsed> rest = firstAndRest.second().map(VoiceCodec.Decoded::message);
            return call(first, rest, principal, remote);
          })
          .recover(TimeoutException.class, () -> new ServerMessage.Close(VoiceCodec.POLICY,
              "no start message within " + settings.startTimeout().toSeconds() + " s"));
      return Flow.<Message>create().via(calls).via(Flow.<ServerMessage>create()
          .takeWhile(message -> {
            // A close ends the stream here; the hook sends it with its code once the stream completes.
            if (message instanceof ServerMessage.Close close) {
              closer.close(close.code(), close.reason());
              return false;
            }
            return true;
          })
          .map(codec::encode));
    }).orElseThrow(() -> ProblemException.badRequest("websocket-required", "Not a WebSocket upgrade."));
  }

  private Flow<Message, Message, ?> closing(ClosableWebSocket.Closer closer, ServerMessage.Close close) {
    closer.close(close.code(), close.reason());
    return Flow.fromSinkAndSourceCoupled(org.apache.pekko.stream.javadsl.Sink.<Message>ignore(),
        Source.<Message>empty());
  }

  private Source<ServerMessage, NotUsed> call(VoiceCodec.Decoded first, Source<ClientMessage, NotUsed> rest,
      CompletionStage<Principal> principal, String remote) {
    if (first.message() instanceof ClientMessage.Violation violation) {
      rest.runWith(org.apache.pekko.stream.javadsl.Sink.cancelled(), system);
      return Source.single(new ServerMessage.Close(violation.code(), violation.reason()));
    }
    if (!(first.message() instanceof ClientMessage.Start)) {
      rest.runWith(org.apache.pekko.stream.javadsl.Sink.cancelled(), system);
      return Source.single(new ServerMessage.Close(VoiceCodec.UNSUPPORTED, "the first message must be 'start'"));
    }
    CompletionStage<Principal> who = principal != null ? principal
        : first.token() != null ? authentication.credential(first.token())
        : CompletableFuture.failedFuture(ProblemException.of(401, "unauthenticated", "Authentication required",
            "no credential"));
    return Source.completionStage(who.handle((p, failure) -> {
      if (failure != null) return Optional.<Principal>empty();
      return Optional.of(p);
    })).flatMapConcat(found -> {
      if (found.isEmpty()) {
        rest.runWith(org.apache.pekko.stream.javadsl.Sink.cancelled(), system);
        return Source.single(new ServerMessage.Close(VoiceCodec.POLICY,
            "authentication failed: send a valid access token"));
      }
      Principal caller = found.get();
      if (!caller.has(Permission.CONVERSATIONS_WRITE)) {
        rest.runWith(org.apache.pekko.stream.javadsl.Sink.cancelled(), system);
        return Source.single(new ServerMessage.Close(VoiceCodec.POLICY,
            "forbidden: a call needs " + Permission.CONVERSATIONS_WRITE.wireName()));
      }
      log.debug("Voice call from {} of tenant {}", caller.subject(), caller.tenantId());
      CallIdentity identity = new CallIdentity(caller.tenantId(), caller.subject(), true, remote);
      return Source.completionStage(rate(caller.tenantId(), caller.subject())).flatMapConcat(decision -> {
        if (decision.isPresent() && !decision.get().allowed()) {
          rest.runWith(org.apache.pekko.stream.javadsl.Sink.cancelled(), system);
          long seconds = Math.max(1, (decision.get().retryAfterMillis() + 999) / 1000);
          return Source.single(new ServerMessage.Close(TRY_AGAIN_LATER,
              "rate limited (" + decision.get().limitedBy() + "): retry in " + seconds + " s"));
        }
        return admitted(first, rest, identity, caller);
      });
    });
  }

  /** A call that passed the request rate: it takes a stream slot, then runs. */
  private Source<ServerMessage, NotUsed> admitted(VoiceCodec.Decoded first, Source<ClientMessage, NotUsed> rest,
      CallIdentity identity, Principal caller) {
    return Source.completionStage(streamSlot(caller.tenantId())).flatMapConcat(admission -> {
      if (admission.isPresent() && !admission.get().decision().granted()) {
        rest.runWith(org.apache.pekko.stream.javadsl.Sink.cancelled(), system);
        return Source.single(new ServerMessage.Close(TRY_AGAIN_LATER, "too many concurrent streams for your "
            + "organization (" + admission.get().decision().max() + "); retry later"));
      }
      Optional<LimitsClient.StreamSlot> slot = admission.map(LimitsClient.StreamAdmission::slot);
      return Source.single(first.message()).concat(rest).via(sessions.open(identity))
          .watchTermination((notUsed, done) -> {
            done.whenComplete((ok, failure) -> slot.ifPresent(LimitsClient.StreamSlot::release));
            return notUsed;
          });
    });
  }

  /**
   * A call's start counts as one request on its tenant's and user's rate buckets: empty when there are no limits or
   * the limiter did not answer (rates fail open, docs/limits.md), else the limiter's decision.
   */
  private CompletionStage<Optional<io.voicehelper.entities.limits.TenantLimiterEntity.RequestDecision>> rate(
      String tenantId, String userId) {
    if (limits == null) return CompletableFuture.completedFuture(Optional.empty());
    try {
      return limits.checkRequest(tenantId, userId).handle((decision, failure) -> failure == null
          ? Optional.of(decision) : Optional.<io.voicehelper.entities.limits.TenantLimiterEntity.RequestDecision>empty());
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
  }

  /**
   * A concurrent-stream slot of the tenant for the call, as for an SSE stream: empty when there are no limits or
   * the limiter did not answer (streams fail open, docs/limits.md), else the limiter's decision.
   */
  private CompletionStage<Optional<LimitsClient.StreamAdmission>> streamSlot(String tenantId) {
    if (limits == null) return CompletableFuture.completedFuture(Optional.empty());
    try {
      return limits.acquireStream(tenantId).handle((admission, failure) -> {
        if (failure != null) {
          log.warn("The concurrent stream limit of tenant {} did not answer; the call proceeds", tenantId);
          return Optional.<LimitsClient.StreamAdmission>empty();
        }
        return Optional.of(admission);
      });
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
  }
}
