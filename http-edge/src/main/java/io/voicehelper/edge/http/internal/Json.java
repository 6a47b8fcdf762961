package io.voicehelper.edge.http.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.voicehelper.entities.conversation.ReplyGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.util.ByteString;

/**
 * The JSON of the public API: one {@link ObjectMapper} with the request limits built into its parser, and the
 * records that define the wire format (kept apart from the entities' protocol, which is not a public format).
 */
public final class Json {

  public static final ContentType.WithFixedCharset JSON = ContentTypes.APPLICATION_JSON;

  private final ObjectMapper mapper;
  private final int maxDepth;

  /** A mapper that refuses request bodies nested deeper than {@code maxDepth} or with strings over {@code maxString}. */
  public Json(int maxDepth, int maxString) {
    this.maxDepth = maxDepth;
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(maxDepth)
            .maxStringLength(Math.max(maxString, 1))
            .maxNumberLength(100)
            .build())
        .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    this.mapper = JsonMapper.builder(factory)
        .addModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();
  }

  public ObjectMapper mapper() {
    return mapper;
  }

  /** Compact JSON (never a raw line break, so it fits one SSE {@code data:} line). */
  public String write(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  public HttpResponse response(int status, Object body) {
    return HttpResponse.create()
        .withStatus(StatusCodes.get(status))
        .withEntity(HttpEntities.create(JSON, ByteString.fromString(write(body))));
  }

  /**
   * Parses a request body. Syntax errors and limit violations become 400 problems whose detail names the position,
   * never the parser's own message (which names Java types).
   */
  public JsonNode parse(ByteString body) {
    try (JsonParser parser = mapper.createParser(body.toArrayUnsafe())) {
      return mapper.readTree(parser);
    } catch (StreamConstraintsException e) {
      String message = String.valueOf(e.getOriginalMessage()).toLowerCase();
      if (message.contains("depth")) {
        throw ProblemException.badRequest("json-too-deep",
            "The request body nests arrays and objects deeper than " + maxDepth + " levels.");
      }
      throw ProblemException.badRequest("json-too-large", "A value in the request body is too long.");
    } catch (JsonProcessingException e) {
      throw ProblemException.badRequest("malformed-json", "The request body is not valid JSON" + at(e.getLocation())
          + ".");
    } catch (IOException e) {
      throw ProblemException.badRequest("malformed-json", "The request body could not be read as JSON.");
    }
  }

  private static String at(JsonLocation location) {
    if (location == null || location.getLineNr() < 1) return "";
    return " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Wire format

  /** Token usage of a reply. */
  public record Usage(int inputTokens, int outputTokens) {}

  /** Answer to creating a conversation; {@code collections} empty: it answers from all of the tenant's. */
  public record ConversationCreated(String id, String title, Instant createdAt, List<String> collections) {}

  /** One conversation of a listing. */
  public record ConversationItem(
      String id, String title, Instant createdAt, Instant updatedAt, int messageCount, String lastMessage) {}

  public record ConversationList(List<ConversationItem> items) {}

  /**
   * A message of a conversation; model, usage and latency are set on finished assistant messages only, the
   * grounding's fields on completed replies that were routed.
   */
  public record MessageItem(
      String id,
      String role,
      String channel,
      String content,
      String status,
      String inReplyTo,
      String replyId,
      Instant createdAt,
      String model,
      Usage usage,
      Long latencyMs,
      String reason,
      @JsonUnwrapped GroundingItem grounding) {}

  public record ConversationDetail(
      String id, String title, Instant createdAt, List<String> collections, List<MessageItem> messages) {}

  /**
   * How a reply was grounded, written as fields of the object holding it: {@code mode} ({@code chat} or
   * {@code rag}), {@code routing} (why that mode), {@code support} ({@code generated}, {@code extractive} or
   * {@code none}) and {@code citations}.
   */
  public record GroundingItem(String mode, String routing, String support,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer rounds, List<CitationItem> citations) {

    /** The wire form of a reply's grounding; null (no fields) for a reply without one. */
    public static GroundingItem of(ReplyGenerator.Grounding grounding) {
      return grounding == null ? null : new GroundingItem(grounding.mode(), grounding.reason(), grounding.support(),
          grounding.rounds() > 0 ? grounding.rounds() : null, CitationItem.of(grounding));
    }
  }

  /** A source a reply cites as {@code [number]}: one chunk of one version of a document. */
  public record CitationItem(
      int number,
      String documentId,
      String collectionId,
      String documentName,
      int version,
      String chunkId,
      List<String> headingPath,
      String snippet,
      double score) {

    static List<CitationItem> of(ReplyGenerator.Grounding grounding) {
      return grounding.citations().stream().map(c -> new CitationItem(c.number(), c.documentId(),
          c.collectionId(), c.documentName(), c.version(), c.chunkId(), c.headingPath(), c.snippet(), c.score()))
          .toList();
    }
  }

  /** Data of the SSE {@code accepted} event. */
  public record AcceptedData(String messageId, String replyId, boolean duplicate) {}

  /** Data of an SSE {@code delta} event. */
  public record DeltaData(long seq, String text) {}

  /** Data of the SSE {@code done} event; the grounding's fields are there when the reply was routed. */
  public record DoneData(
      String messageId,
      String replyId,
      String status,
      String reason,
      String model,
      Usage usage,
      long latencyMs,
      long lastSeq,
      @JsonUnwrapped GroundingItem grounding) {}

  /** Answer to posting a message without {@code Accept: text/event-stream}: the finished reply. */
  public record ReplyResult(
      String messageId,
      String replyId,
      boolean duplicate,
      String status,
      String content,
      String reason,
      String model,
      Usage usage,
      long latencyMs,
      @JsonUnwrapped GroundingItem grounding) {}
}
