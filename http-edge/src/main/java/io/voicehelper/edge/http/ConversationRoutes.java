package io.voicehelper.edge.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.edge.http.auth.Authentication;
import io.voicehelper.edge.http.limits.LimitDirectives;
import io.voicehelper.edge.http.auth.Principal;
import io.voicehelper.edge.http.internal.Json;
import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.edge.http.internal.ProblemHandling;
import io.voicehelper.edge.http.internal.Requests;
import io.voicehelper.edge.http.internal.Sse;
import io.voicehelper.entities.conversation.ConversationDirectory;
import io.voicehelper.entities.conversation.ConversationEntity;
import io.voicehelper.entities.conversation.ConversationEntity.Accepted;
import io.voicehelper.entities.conversation.ConversationEntity.Command;
import io.voicehelper.entities.conversation.ReplyEvent;
import io.voicehelper.entities.conversation.Rejection;
import io.voicehelper.entities.identity.Permission;
import io.voicehelper.entities.knowledge.KnowledgeCatalog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.MediaRange;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.headers.Accept;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.StreamLimitReachedException;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The conversation API under {@code /api/v1/conversations}: create, list and read conversations, post messages and
 * stream replies as server-sent events (resumable with {@code Last-Event-ID}).
 *
 * <p>Every request is authenticated first (401 before anything else happens) and acts for its principal's tenant;
 * reading needs {@code conversations:read}, creating and posting {@code conversations:write} (403 otherwise).
 *
 * <p>The routes only translate: they validate the request, ask the conversation's sharded entity and map its answer.
 * Failures inside are answered as problems; rejections (unknown path, wrong method) are left to the enclosing
 * {@link EdgeRoutes#seal}, so these routes can be combined with others.
 */
public final class ConversationRoutes extends AllDirectives {

  /** Title of a conversation created without one. */
  public static final String DEFAULT_TITLE = "New conversation";

  static final String BASE_PATH = "/api/v1/conversations";
  /** Most collections one conversation may be scoped to. */
  static final int MAX_COLLECTIONS = 100;
  private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7E]+");
  private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final ConversationDirectory directory;
  private final EdgeSettings settings;
  private final Json json;
  private final Sse sse;
  private final Authentication authentication;
  private final LimitDirectives limits;
  private final KnowledgeCatalog catalog;

  /** The routes without rate limits, stream limits or token quotas. */
  public ConversationRoutes(
      ActorSystem<?> system, ClusterSharding sharding, ConversationDirectory directory, EdgeSettings settings,
      Authentication authentication) {
    this(system, sharding, directory, settings, authentication, null);
  }

  /** The routes with the tenant's request rate, concurrent streams and token quota enforced by {@code limits}. */
  public ConversationRoutes(
      ActorSystem<?> system, ClusterSharding sharding, ConversationDirectory directory, EdgeSettings settings,
      Authentication authentication, LimitDirectives limits) {
    this(system, sharding, directory, settings, authentication, limits, null);
  }

  /**
   * The routes with limits, and conversations that may be scoped to collections of the tenant's knowledge base,
   * checked in {@code catalog} ({@code null}: no knowledge base, no scopes).
   */
  public ConversationRoutes(
      ActorSystem<?> system, ClusterSharding sharding, ConversationDirectory directory, EdgeSettings settings,
      Authentication authentication, LimitDirectives limits, KnowledgeCatalog catalog) {
    this.catalog = catalog;
    this.authentication = authentication;
    this.limits = limits;
    this.system = system;
    this.sharding = sharding;
    this.directory = directory;
    this.settings = settings;
    this.json = new Json(settings.maxJsonDepth(), (int) Math.min(Integer.MAX_VALUE, settings.maxBodyBytes()));
    this.sse = new Sse(json, settings);
  }

  public Route route() {
    return ProblemHandling.handleFailures(
        pathPrefix(PathMatchers.segment("api").slash("v1").slash("conversations"), () ->
            authentication.authenticate(principal -> rateLimited(principal, () -> routes(principal)))));
  }

  private Route routes(Principal principal) {
    String tenant = tenant(principal);
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> read(principal, () -> list(tenant))),
            post(() -> write(principal, () -> create(tenant))))),
        pathPrefix(PathMatchers.segment(), id -> concat(
            pathEndOrSingleSlash(() -> get(() -> read(principal, () -> show(tenant, id)))),
            path("messages", () -> post(() -> write(principal, () ->
                streamSlotIfEventStream(principal, () -> postMessage(tenant, id))))),
            path(PathMatchers.segment("replies").slash(PathMatchers.segment()).slash("stream"), replyId ->
                get(() -> read(principal, () -> streamSlot(principal, () -> streamReply(tenant, id, replyId))))))));
  }

  /**
   * The tenant a request acts for: the authenticated principal's, never anything from the request. It scopes every
   * entity id ({@code tenant|conversation}) and every directory query, so another tenant's ids are simply unknown.
   */
  private static String tenant(Principal principal) {
    return principal.tenantId();
  }

  // Limits (docs/limits.md): none when the routes are built without them.

  private Route rateLimited(Principal principal, Supplier<Route> inner) {
    return limits == null ? inner.get() : limits.rateLimited(principal.tenantId(), principal.subject(), inner);
  }

  private Route streamSlot(Principal principal, Supplier<Route> inner) {
    return limits == null ? inner.get() : limits.concurrentStream(principal.tenantId(), inner);
  }

  private Route streamSlotIfEventStream(Principal principal, Supplier<Route> inner) {
    return limits == null ? inner.get() : limits.concurrentStreamIfEventStream(principal.tenantId(), inner);
  }

  /** Sends the message, with its reply's tokens reserved against the tenant's quota first. */
  private CompletionStage<Accepted> send(String tenant, String id, EntityRef<Command> conversation, String content,
      String idempotencyKey) {
    if (limits == null) {
      return ask(conversation, replyTo -> new ConversationEntity.SendMessage(content, idempotencyKey, replyTo), id,
          null);
    }
    return limits.withTokenReservation(tenant, content,
        reservation -> ask(conversation,
            replyTo -> new ConversationEntity.SendMessage(content, idempotencyKey, reservation, replyTo), id, null),
        Accepted::duplicate);
  }

  private static Route read(Principal principal, Supplier<Route> inner) {
    return Authentication.authorize(principal, Permission.CONVERSATIONS_READ, inner);
  }

  private static Route write(Principal principal, Supplier<Route> inner) {
    return Authentication.authorize(principal, Permission.CONVERSATIONS_WRITE, inner);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Conversations

  private Route list(String tenant) {
    return parameterOptional("limit", limitParam -> {
      int limit = limit(limitParam);
      CompletionStage<List<ConversationDirectory.Entry>> entries = withTimeout(() -> directory.list(tenant, limit));
      return completeWithFuture(entries.thenApply(list -> {
        List<Json.ConversationItem> items = new ArrayList<>(list.size());
        for (ConversationDirectory.Entry e : list) {
          items.add(new Json.ConversationItem(e.conversationId(), e.title(), e.createdAt(), e.updatedAt(),
              e.messageCount(), e.lastMessage()));
        }
        return json.response(200, new Json.ConversationList(items));
      }));
    });
  }

  private Route create(String tenant) {
    return jsonBody(true, body -> {
      String title = title(body);
      List<String> collections = collections(body);
      String id = UUID.randomUUID().toString();
      CompletionStage<ConversationEntity.Summary> created = knownCollections(tenant, collections).thenCompose(ok ->
          ask(conversation(tenant, id), replyTo -> new ConversationEntity.Create(title, collections, replyTo), id,
              null));
      return completeWithFuture(created.thenApply(summary ->
          json.response(201, new Json.ConversationCreated(summary.conversationId(), summary.title(),
                  summary.createdAt(), summary.collections()))
              .addHeader(Location.create(BASE_PATH + "/" + summary.conversationId()))));
    });
  }

  private Route show(String tenant, String id) {
    requireId("conversation", id);
    CompletionStage<ConversationEntity.View> view =
        ask(conversation(tenant, id), ConversationEntity.Get::new, id, null);
    return completeWithFuture(view.thenApply(v -> {
      List<Json.MessageItem> messages = new ArrayList<>(v.messages().size());
      for (ConversationEntity.MessageView m : v.messages()) messages.add(message(m));
      return json.response(200,
          new Json.ConversationDetail(v.conversationId(), v.title(), v.createdAt(), v.collections(), messages));
    }));
  }

  private static Json.MessageItem message(ConversationEntity.MessageView m) {
    boolean finishedReply = "assistant".equals(m.role())
        && ("completed".equals(m.status()) || "interrupted".equals(m.status()));
    return new Json.MessageItem(m.id(), m.role(), m.channel(), m.content(), m.status(), m.inReplyTo(), m.replyId(), m.createdAt(),
        finishedReply ? m.model() : null,
        finishedReply ? new Json.Usage(m.inputTokens(), m.outputTokens()) : null,
        finishedReply ? m.latencyMillis() : null,
        m.reason(),
        Json.GroundingItem.of(m.grounding()));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Messages and replies

  private Route postMessage(String tenant, String id) {
    requireId("conversation", id);
    return optionalHeaderValueByName("Idempotency-Key", keyHeader -> extractRequest(request -> {
      String idempotencyKey = idempotencyKey(keyHeader);
      boolean eventStream = wantsEventStream(request);
      return jsonBody(false, body -> {
        String content = content(body);
        EntityRef<Command> conversation = conversation(tenant, id);
        CompletionStage<Accepted> accepted = send(tenant, id, conversation, content, idempotencyKey);
        if (eventStream) {
          return completeWithFuture(accepted.thenCompose(a -> afterAccepted(a,
              replyEvents(conversation, id, a.replyId(), 0).thenApply(events ->
                  sse.response(events, sse.accepted(a.messageId(), a.replyId(), a.duplicate()), a.replyId(),
                      acceptedHeaders(a))))));
        }
        // JSON mode holds the request open until the reply has finished, longer than the server's request-timeout.
        Duration requestTimeout = settings.jsonReplyTimeout().plus(settings.askTimeout().multipliedBy(2))
            .plusSeconds(5);
        return withRequestTimeout(requestTimeout, () -> completeWithFuture(accepted.thenCompose(a -> afterAccepted(a,
            replyEvents(conversation, id, a.replyId(), 0)
                .thenCompose(events -> finishedReply(a, events))
                .thenApply(result -> json.response(200, result).addHeaders(acceptedHeaders(a)))))));
      });
    }));
  }

  private Route streamReply(String tenant, String id, String replyId) {
    requireId("conversation", id);
    requireId("reply", replyId);
    return optionalHeaderValueByName("Last-Event-ID", header -> parameterOptional("lastEventId", param -> {
      long afterSeq = lastEventId(header.isPresent() ? header : param);
      return completeWithFuture(replyEvents(conversation(tenant, id), id, replyId, afterSeq).thenApply(events ->
          sse.response(events, null, replyId, List.of(RawHeader.create("X-Reply-Id", replyId)))));
    }));
  }

  private CompletionStage<Source<ReplyEvent, NotUsed>> replyEvents(
      EntityRef<Command> conversation, String id, String replyId, long afterSeq) {
    CompletionStage<SourceRef<ReplyEvent>> ref = ask(conversation,
        replyTo -> new ConversationEntity.StreamReply(replyId, afterSeq, replyTo), id, replyId);
    return ref.thenApply(SourceRef::getSource);
  }

  /** Folds a reply's events into the JSON-mode answer, or 504 with the reply id when it takes too long. */
  private CompletionStage<Json.ReplyResult> finishedReply(Accepted accepted, Source<ReplyEvent, NotUsed> events) {
    String streamUrl = BASE_PATH + "/" + accepted.conversationId() + "/replies/" + accepted.replyId() + "/stream";
    return events
        .takeWhile(e -> !(e instanceof ReplyEvent.Done), true)
        .completionTimeout(settings.jsonReplyTimeout())
        .runWith(Sink.fold(new Collected(), Collected::add), system)
        .handle((collected, failure) -> {
          if (failure != null && ProblemHandling.unwrap(failure) instanceof TimeoutException) {
            throw ProblemException.of(504, "reply-timeout", "Reply not finished in time",
                    "The reply did not finish within " + settings.jsonReplyTimeout().toSeconds()
                        + " s. It is still being written: stream it from streamUrl with Last-Event-ID 0 soon, or it is"
                        + " stopped and kept as interrupted.")
                .with("streamUrl", streamUrl);
          }
          if (failure != null || collected.done == null) {
            throw ProblemException.of(503, "stream-interrupted", "Stream interrupted",
                    "The reply stream was interrupted. Stream the rest from streamUrl with Last-Event-ID 0.")
                .with("streamUrl", streamUrl)
                .withRetryAfter(Duration.ofSeconds(1));
          }
          ReplyEvent.Done done = collected.done;
          return new Json.ReplyResult(accepted.messageId(), accepted.replyId(), accepted.duplicate(), done.status(),
              collected.text.toString(), done.reason(), done.model(),
              new Json.Usage(done.inputTokens(), done.outputTokens()), done.latencyMillis(),
              Json.GroundingItem.of(done.grounding()));
        });
  }

  /** Text and end of a reply, gathered in stream order. */
  private static final class Collected {
    final StringBuilder text = new StringBuilder();
    ReplyEvent.Done done;

    Collected add(ReplyEvent event) {
      if (event instanceof ReplyEvent.Delta delta) text.append(delta.text());
      else done = (ReplyEvent.Done) event;
      return this;
    }
  }

  /** A failure after the message was accepted still tells the client which message and reply it created. */
  private <T> CompletionStage<T> afterAccepted(Accepted accepted, CompletionStage<T> next) {
    return next.handle((value, failure) -> {
      if (failure == null) return CompletableFuture.completedFuture(value);
      Throwable cause = ProblemHandling.unwrap(failure);
      if (cause instanceof ProblemException problem) {
        ProblemException withIds = problem.with("messageId", accepted.messageId()).with("replyId", accepted.replyId());
        for (HttpHeader h : acceptedHeaders(accepted)) withIds = withIds.withHeader(h);
        return CompletableFuture.<T>failedFuture(withIds);
      }
      return CompletableFuture.<T>failedFuture(cause);
    }).thenCompose(Function.identity());
  }

  private static List<HttpHeader> acceptedHeaders(Accepted accepted) {
    return List.of(RawHeader.create("X-Message-Id", accepted.messageId()),
        RawHeader.create("X-Reply-Id", accepted.replyId()));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Asking the entities

  private EntityRef<Command> conversation(String tenant, String id) {
    return sharding.entityRefFor(ConversationEntity.ENTITY_KEY, ConversationEntity.entityId(tenant, id));
  }

  /** Asks a conversation; its rejections and a timeout become problems. */
  private <R> CompletionStage<R> ask(
      EntityRef<Command> conversation, Function<ActorRef<StatusReply<R>>, Command> command, String id,
      String replyId) {
    CompletionStage<R> answer = conversation.askWithStatus(command::apply, settings.askTimeout());
    return answer.handle((value, failure) -> {
      if (failure == null) return value;
      throw entityFailure(ProblemHandling.unwrap(failure), id, replyId);
    });
  }

  private RuntimeException entityFailure(Throwable cause, String id, String replyId) {
    Optional<Rejection> rejection = Rejection.of(cause);
    if (rejection.isPresent()) {
      String detail = sentence(Rejection.detail(cause));
      return switch (rejection.get()) {
        case NOT_FOUND -> "reply".equals(Rejection.detail(cause)) && replyId != null
            ? ProblemException.notFound("reply", replyId)
            : ProblemException.notFound("conversation", id);
        case ALREADY_EXISTS -> ProblemException.of(409, "conversation-exists", "Conversation exists",
            "A conversation with this id exists already.");
        case CONFLICT -> ProblemException.of(409, "idempotency-key-reused", "Idempotency key reused", detail);
        case TOO_MANY_PENDING -> ProblemException.of(429, "too-many-pending", "Too many messages waiting", detail)
            .withRetryAfter(settings.tooManyPendingRetryAfter());
        case INVALID -> ProblemException.badRequest("invalid-request", detail);
      };
    }
    if (cause instanceof TimeoutException) {
      return ProblemException.serviceUnavailable(
          "The conversation did not answer within " + settings.askTimeout().toMillis() + " ms. Retry the request.",
          Duration.ofSeconds(1));
    }
    return cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
  }

  private <T> CompletionStage<T> withTimeout(Supplier<CompletionStage<T>> call) {
    return Requests.withTimeout(settings.askTimeout(), call);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Request validation

  /**
   * Reads the JSON body: 413 before reading when {@code Content-Length} is over the limit and while reading when a
   * chunked body grows past it, 415 for another content type, 400 for malformed or too deeply nested JSON.
   * {@code inner} gets the parsed body, or null when the body is empty and {@code optional}.
   */
  private Route jsonBody(boolean optional, Function<JsonNode, Route> inner) {
    return extractRequest(request -> {
      RequestEntity entity = request.entity();
      long max = settings.maxBodyBytes();
      OptionalLong length = entity.getContentLengthOption();
      if (length.isPresent() && length.getAsLong() > max) throw ProblemException.payloadTooLarge(max);
      if (entity.isKnownEmpty()) return emptyBody(optional, inner);
      ContentType type = entity.getContentType();
      if (!isJson(type)) throw ProblemException.unsupportedMediaType(type.mediaType().toString());
      // The entity's own limit (server max-content-length) is larger; this one fails the read as soon as it is passed.
      CompletionStage<ByteString> bytes = entity.getDataBytes()
          .limitWeighted(max, chunk -> (long) chunk.size())
          .completionTimeout(settings.bodyReadTimeout())
          .runFold(ByteString.emptyByteString(), ByteString::concat, system)
          .handle((read, failure) -> {
            if (failure == null) return read;
            Throwable cause = ProblemHandling.unwrap(failure);
            if (cause instanceof StreamLimitReachedException) throw ProblemException.payloadTooLarge(max);
            if (cause instanceof TimeoutException) {
              throw ProblemException.plain(408, "Request Timeout", "The request body did not arrive in time.");
            }
            throw ProblemException.badRequest("unreadable-body", "The request body could not be read.");
          });
      return onSuccess(bytes, read -> read.isEmpty() ? emptyBody(optional, inner) : inner.apply(json.parse(read)));
    });
  }

  private static Route emptyBody(boolean optional, Function<JsonNode, Route> inner) {
    if (optional) return inner.apply(null);
    throw ProblemException.badRequest("missing-body", "This request needs a JSON object as its body.");
  }

  private static boolean isJson(ContentType type) {
    String main = type.mediaType().mainType();
    String sub = type.mediaType().subType();
    return "application".equals(main) && ("json".equals(sub) || sub.endsWith("+json"));
  }

  private String title(JsonNode body) {
    if (body == null || body.isNull()) return DEFAULT_TITLE;
    if (!body.isObject()) throw ProblemException.badRequest("invalid-body", "The request body must be a JSON object.");
    JsonNode title = body.get("title");
    if (title == null || title.isNull()) return DEFAULT_TITLE;
    if (!title.isTextual()) throw ProblemException.badRequest("invalid-title", "'title' must be a string.");
    String text = CONTROL.matcher(title.textValue()).replaceAll(" ").strip();
    if (text.isEmpty()) return DEFAULT_TITLE;
    if (text.codePointCount(0, text.length()) > settings.maxTitleLength()) {
      throw ProblemException.badRequest("title-too-long",
          "'title' must be at most " + settings.maxTitleLength() + " characters long.")
          .with("maxLength", settings.maxTitleLength());
    }
    return text;
  }

  /** The optional {@code collections}: distinct collection ids, at most {@link #MAX_COLLECTIONS}. */
  private static List<String> collections(JsonNode body) {
    JsonNode ids = body == null || !body.isObject() ? null : body.get("collections");
    if (ids == null || ids.isNull()) return List.of();
    if (!ids.isArray()) {
      throw ProblemException.badRequest("invalid-collections", "'collections' must be an array of collection ids.");
    }
    if (ids.size() > MAX_COLLECTIONS) {
      throw ProblemException.badRequest("too-many-collections",
          "'collections' may name at most " + MAX_COLLECTIONS + " collections.").with("max", MAX_COLLECTIONS);
    }
    java.util.LinkedHashSet<String> distinct = new java.util.LinkedHashSet<>();
    for (JsonNode id : ids) {
      if (!id.isTextual() || id.textValue().isBlank()) {
        throw ProblemException.badRequest("invalid-collections", "Each of 'collections' must be a collection id.");
      }
      requireId("collection", id.textValue());
      distinct.add(id.textValue());
    }
    return List.copyOf(distinct);
  }

  /** Completes when every id names one of the tenant's collections; 404 for the first that does not. */
  private CompletionStage<Void> knownCollections(String tenant, List<String> collections) {
    if (collections.isEmpty()) return CompletableFuture.completedFuture(null);
    if (catalog == null) {
      return CompletableFuture.failedFuture(ProblemException.badRequest("collections-unavailable",
          "This server has no knowledge base to scope conversations to."));
    }
    return withTimeout(() -> catalog.unknownCollections(tenant, collections)).thenAccept(unknown -> {
      if (!unknown.isEmpty()) throw ProblemException.notFound("collection", unknown.get(0));
    });
  }

  private String content(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw ProblemException.badRequest("invalid-body",
          "The request body must be a JSON object with a 'content' string.");
    }
    JsonNode content = body.get("content");
    if (content == null || content.isNull()) {
      throw ProblemException.badRequest("content-required", "'content' is required.");
    }
    if (!content.isTextual()) throw ProblemException.badRequest("invalid-content", "'content' must be a string.");
    String text = content.textValue();
    if (text.isBlank()) throw ProblemException.badRequest("content-blank", "'content' must not be blank.");
    int length = text.codePointCount(0, text.length());
    if (length > settings.maxMessageLength()) {
      throw ProblemException.badRequest("content-too-long", "'content' is " + length
              + " characters long; at most " + settings.maxMessageLength() + " are accepted.")
          .with("maxLength", settings.maxMessageLength());
    }
    return text;
  }

  private String idempotencyKey(Optional<String> header) {
    if (header.isEmpty()) return null;
    String key = header.get().strip();
    if (key.isEmpty() || key.length() > settings.maxIdempotencyKeyLength()
        || !IDEMPOTENCY_KEY.matcher(key).matches()) {
      throw ProblemException.badRequest("invalid-idempotency-key", "Idempotency-Key must be 1 to "
          + settings.maxIdempotencyKeyLength() + " visible ASCII characters.");
    }
    return key;
  }

  private static long lastEventId(Optional<String> value) {
    if (value.isEmpty() || value.get().isBlank()) return 0;
    String text = value.get().strip();
    try {
      long seq = Long.parseLong(text);
      if (seq >= 0 && text.chars().allMatch(Character::isDigit)) return seq;
    } catch (NumberFormatException ignored) {
      // answered below
    }
    throw ProblemException.badRequest("invalid-last-event-id",
        "Last-Event-ID must be the non-negative id of the last event received, or 0 for the whole reply.");
  }

  private int limit(Optional<String> value) {
    if (value.isEmpty()) return settings.listDefaultLimit();
    try {
      int limit = Integer.parseInt(value.get().strip());
      if (limit >= 1) return Math.min(limit, settings.listMaxLimit());
    } catch (NumberFormatException ignored) {
      // answered below
    }
    throw ProblemException.badRequest("invalid-limit", "'limit' must be a positive whole number.");
  }

  private static void requireId(String what, String id) {
    Requests.requireId(what, id);
  }

  private static boolean wantsEventStream(HttpRequest request) {
    Optional<Accept> accept = request.getHeader(Accept.class);
    if (accept.isEmpty()) return false;
    for (MediaRange range : accept.get().getMediaRanges()) {
      // An explicit text/event-stream, not a wildcard that also matches text/plain.
      if (range.qValue() > 0 && range.matches(MediaTypes.TEXT_EVENT_STREAM) && !range.matches(MediaTypes.TEXT_PLAIN)) {
        return true;
      }
    }
    return false;
  }

  private static String sentence(String text) {
    if (text == null || text.isEmpty()) return "The request was refused.";
    String s = Character.toUpperCase(text.charAt(0)) + text.substring(1);
    return s.endsWith(".") ? s : s + ".";
  }
}
