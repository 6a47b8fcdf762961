package io.voicehelper.edge.http.voice;

import com.fasterxml.jackson.databind.JsonNode;
import io.voicehelper.edge.http.internal.Json;
import io.voicehelper.edge.http.internal.ProblemException;
import io.voicehelper.entities.voice.ClientMessage;
import io.voicehelper.entities.voice.ServerMessage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.StreamLimitReachedException;
import org.apache.pekko.util.ByteString;

/**
 * Turns WebSocket messages into {@link ClientMessage}s, with every check the protocol promises (docs/voice-api.md):
 * a message the client should not have sent becomes a {@link ClientMessage.Violation} carrying its close code —
 * 1009 too big, 1007 malformed (bad JSON, odd-length audio, a value out of range), 1003 of a type the protocol does
 * not know. And renders {@link ServerMessage}s.
 */
final class VoiceCodec {

  static final int TOO_BIG = 1009;
  static final int INVALID_DATA = 1007;
  static final int UNSUPPORTED = 1003;
  static final int POLICY = 1008;

  private static final Pattern LANGUAGE = Pattern.compile("[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:()\\- ]{1,80}");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_\\-]{1,64}");
  private static final Set<String> START_FIELDS = Set.of("type", "token", "language", "voice", "style", "rate",
      "pitch", "conversationId", "callId", "collections");
  private static final int MAX_COLLECTIONS = 20;

  private final VoiceEdgeSettings settings;
  private final Json json;
  private final Materializer materializer;

  VoiceCodec(VoiceEdgeSettings settings, Json json, Materializer materializer) {
    this.settings = settings;
    this.json = json;
    this.materializer = materializer;
  }

  /** A decoded message, with the credential a {@code start} carried ({@code null} if none). */
  record Decoded(ClientMessage message, String token) {}

  CompletionStage<Decoded> decode(Message message) {
    if (message.isText()) {
      TextMessage text = message.asTextMessage();
      if (text.isStrict()) return CompletableFuture.completedFuture(decodeText(text.getStrictText()));
      return text.getStreamedText()
          .limitWeighted(settings.maxTextMessageBytes(), s -> (long) s.length())
          .runFold(new StringBuilder(), StringBuilder::append, materializer)
          .thenApply(builder -> decodeText(builder.toString()))
          .exceptionally(VoiceCodec::tooBigOrInvalid);
    }
    BinaryMessage binary = message.asBinaryMessage();
    if (binary.isStrict()) return CompletableFuture.completedFuture(decodeAudio(binary.getStrictData()));
    return binary.getStreamedData()
        .limitWeighted(settings.maxAudioFrameBytes(), b -> (long) b.size())
        .runFold(ByteString.emptyByteString(), ByteString::concat, materializer)
        .thenApply(this::decodeAudio)
        .exceptionally(VoiceCodec::tooBigOrInvalid);
  }

  private static Decoded tooBigOrInvalid(Throwable failure) {
    Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof StreamLimitReachedException) return violation(TOO_BIG, "message too big");
    return violation(INVALID_DATA, "message could not be read");
  }

  private Decoded decodeAudio(ByteString pcm) {
    if (pcm.size() > settings.maxAudioFrameBytes()) {
      return violation(TOO_BIG, "audio frame over " + settings.maxAudioFrameBytes() + " bytes");
    }
    if ((pcm.size() & 1) != 0) return violation(INVALID_DATA, "audio frame of an odd byte length (PCM16)");
    return new Decoded(new ClientMessage.Audio(pcm), null);
  }

  private Decoded decodeText(String text) {
    // Characters are at most 3 bytes in UTF-8 for what a JSON client sends; counting chars is the cheap bound.
    if (text.length() > settings.maxTextMessageBytes()
        || text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > settings.maxTextMessageBytes()) {
      return violation(TOO_BIG, "text message over " + settings.maxTextMessageBytes() + " bytes");
    }
    JsonNode node;
    try {
      node = json.parse(ByteString.fromString(text));
    } catch (ProblemException e) {
      return violation(INVALID_DATA, "not valid JSON");
    }
    if (!node.isObject() || !node.path("type").isTextual()) {
      return violation(INVALID_DATA, "a message is a JSON object with a string 'type'");
    }
    String type = node.get("type").asText();
    try {
      switch (type) {
        case "start":
          return start(node);
        case "text":
          return new Decoded(new ClientMessage.Text(typed(node)), null);
        case "interrupt":
          return new Decoded(new ClientMessage.Interrupt(), null);
        case "stop":
          return new Decoded(new ClientMessage.Stop(), null);
        default:
          return violation(UNSUPPORTED, "unknown message type '" + clip(type) + "'");
      }
    } catch (IllegalArgumentException e) {
      return violation(INVALID_DATA, e.getMessage());
    }
  }

  private Decoded start(JsonNode node) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!START_FIELDS.contains(name)) throw new IllegalArgumentException("start: unknown field '" + clip(name) + "'");
    }
    String language = optional(node, "language", LANGUAGE, "a language tag such as en-US");
    String voice = optional(node, "voice", NAME, "a voice name");
    String style = optional(node, "style", NAME, "a style name");
    double rate = number(node, "rate");
    double pitch = number(node, "pitch");
    String conversationId = optional(node, "conversationId", ID, "an id");
    String callId = optional(node, "callId", ID, "an id");
    List<String> collections = new ArrayList<>();
    JsonNode list = node.get("collections");
    if (list != null && !list.isNull()) {
      if (!list.isArray() || list.size() > MAX_COLLECTIONS) {
        throw new IllegalArgumentException("start: collections is an array of at most " + MAX_COLLECTIONS + " ids");
      }
      for (JsonNode id : list) {
        if (!id.isTextual() || !ID.matcher(id.asText()).matches()) {
          throw new IllegalArgumentException("start: collections holds ids");
        }
        collections.add(id.asText());
      }
    }
    JsonNode token = node.get("token");
    if (token != null && !token.isNull() && (!token.isTextual() || token.asText().length() > 4096)) {
      throw new IllegalArgumentException("start: token is a string");
    }
    return new Decoded(new ClientMessage.Start(language == null ? "en-US" : language, voice, style, rate, pitch,
        conversationId, callId, collections), token == null || token.isNull() ? null : token.asText());
  }

  private String typed(JsonNode node) {
    JsonNode text = node.get("text");
    if (text == null || !text.isTextual() || text.asText().isBlank()) {
      throw new IllegalArgumentException("text: 'text' is a non-blank string");
    }
    if (text.asText().codePointCount(0, text.asText().length()) > settings.maxTextLength()) {
      throw new IllegalArgumentException("text: longer than " + settings.maxTextLength() + " characters");
    }
    return text.asText();
  }

  private static String optional(JsonNode node, String field, Pattern pattern, String what) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) return null;
    if (!value.isTextual() || !pattern.matcher(value.asText()).matches()) {
      throw new IllegalArgumentException("start: " + field + " must be " + what);
    }
    return value.asText();
  }

  private static double number(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) return 1.0;
    if (!value.isNumber() || value.asDouble() < 0.5 || value.asDouble() > 2.0) {
      throw new IllegalArgumentException("start: " + field + " must be a number from 0.5 to 2.0");
    }
    return value.asDouble();
  }

  private static Decoded violation(int code, String reason) {
    return new Decoded(new ClientMessage.Violation(code, reason), null);
  }

  private static String clip(String value) {
    return value.length() > 40 ? value.substring(0, 40) + "..." : value;
  }

  /** The WebSocket message of a server message; {@link ServerMessage.Close} has none. */
  Message encode(ServerMessage message) {
    if (message instanceof ServerMessage.Audio audio) return BinaryMessage.create(audio.pcm());
    ServerMessage.Event event = (ServerMessage.Event) message;
    return TextMessage.create(json.write(event.event()));
  }
}
