package io.voicehelper.edge.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.entities.knowledge.DocumentMetadata;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.StreamLimitReachedException;
import org.apache.pekko.util.ByteString;

/**
 * Reads a small JSON request body with the edge's limits: 413 before reading when {@code Content-Length} is over the
 * limit and while reading when a chunked body grows past it, 415 for another content type, 400 for malformed or too
 * deeply nested JSON, 408 when it does not arrive in time.
 */
public final class JsonBody {

  private final ActorSystem<?> system;
  private final Json json;
  private final long maxBytes;
  private final Duration readTimeout;

  public JsonBody(ActorSystem<?> system, Json json, long maxBytes, Duration readTimeout) {
    this.system = system;
    this.json = json;
    this.maxBytes = maxBytes;
    this.readTimeout = readTimeout;
  }

  /** {@code inner} gets the parsed body, which must be a JSON object (400 otherwise). */
  public Route object(Function<JsonNode, Route> inner) {
    return Directives.extractRequest(request -> {
      RequestEntity entity = request.entity();
      OptionalLong length = entity.getContentLengthOption();
      if (length.isPresent() && length.getAsLong() > maxBytes) throw ProblemException.payloadTooLarge(maxBytes);
      if (entity.isKnownEmpty()) throw missing();
      ContentType type = entity.getContentType();
      String sub = type.mediaType().subType();
      if (!"application".equals(type.mediaType().mainType()) || !("json".equals(sub) || sub.endsWith("+json"))) {
        throw ProblemException.unsupportedMediaType(type.mediaType().toString());
      }
      CompletionStage<ByteString> bytes = entity.getDataBytes()
          .limitWeighted(maxBytes, chunk -> (long) chunk.size())
          .completionTimeout(readTimeout)
          .runFold(ByteString.emptyByteString(), ByteString::concat, system)
          .handle((read, failure) -> {
            if (failure == null) return read;
            Throwable cause = ProblemHandling.unwrap(failure);
            if (cause instanceof StreamLimitReachedException) throw ProblemException.payloadTooLarge(maxBytes);
            if (cause instanceof TimeoutException) {
              throw ProblemException.plain(408, "Request Timeout", "The request body did not arrive in time.");
            }
            throw ProblemException.badRequest("unreadable-body", "The request body could not be read.");
          });
      return Directives.onSuccess(bytes, read -> {
        if (read.isEmpty()) throw missing();
        JsonNode body = json.parse(read);
        if (!body.isObject()) throw ProblemException.badRequest("invalid-body", "The request body must be a JSON object.");
        return inner.apply(body);
      });
    });
  }

  private static ProblemException missing() {
    return ProblemException.badRequest("missing-body", "This request needs a JSON object as its body.");
  }

  /** A string member, or null when absent or null; 400 when it is not a string. */
  public static String string(JsonNode body, String member) {
    JsonNode value = body.get(member);
    if (value == null || value.isNull()) return null;
    if (!value.isTextual()) throw ProblemException.badRequest("invalid-" + member, "'" + member + "' must be a string.");
    return value.textValue();
  }

  /**
   * Document metadata: a JSON object of strings within {@link DocumentMetadata}'s limits; empty for {@code null} or
   * absent. Anything else is a 400 {@code invalid-metadata} that says what is wrong.
   */
  public static Map<String, String> metadata(JsonNode value) {
    if (value == null || value.isNull()) return Map.of();
    if (!value.isObject()) {
      throw ProblemException.badRequest("invalid-metadata", "'metadata' must be a JSON object of strings.");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> pairs = value.fields(); pairs.hasNext(); ) {
      Map.Entry<String, JsonNode> pair = pairs.next();
      if (!pair.getValue().isTextual()) {
        throw ProblemException.badRequest("invalid-metadata",
            "'metadata' must be a JSON object of strings; the value of '" + clip(pair.getKey()) + "' is not one.");
      }
      metadata.put(pair.getKey(), pair.getValue().textValue());
    }
    DocumentMetadata.problem(metadata).ifPresent(problem -> {
      throw ProblemException.badRequest("invalid-metadata", "Invalid 'metadata': " + problem + ".");
    });
    return metadata;
  }

  private static String clip(String text) {
    return text.length() > 64 ? text.substring(0, 64) + "…" : text;
  }
}
