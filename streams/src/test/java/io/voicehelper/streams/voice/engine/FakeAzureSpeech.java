package io.voicehelper.streams.voice.engine;

import io.voicehelper.streams.voice.Pcm;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * A loopback stand-in for Azure Speech that speaks enough of its WebSocket protocol (USP: text messages of headers and
 * a JSON body; binary messages of a 2-byte header length, headers and audio) for the real SDK, pointed at it with
 * {@code SpeechConfig.fromHost("ws://127.0.0.1:port")}, as observed from SDK 1.50.0: a recognition answers a hypothesis
 * once audio arrives and the phrase once the audio ends; a synthesis answers with the configured 16 kHz PCM. A wrong
 * key is refused with HTTP 401, as the service does.
 */
final class FakeAzureSpeech implements AutoCloseable {

  static final String KEY = "fake-key";

  private final ServerBinding binding;
  private final String hypothesis;
  private final String phrase;
  private final ByteString speech;
  /** The recognitions' audio and the syntheses' SSML, as received. */
  final List<ByteString> audioReceived = new CopyOnWriteArrayList<>();
  final List<String> ssmlReceived = new CopyOnWriteArrayList<>();

  private FakeAzureSpeech(ActorSystem<?> system, String hypothesis, String phrase, ByteString speech) throws Exception {
    this.hypothesis = hypothesis;
    this.phrase = phrase;
    this.speech = speech;
    this.binding = Http.get(system).newServerAt("127.0.0.1", 0)
        .bindSync(request -> handle(request, system))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /**
   * Recognizes any audio as {@code hypothesis} so far, then {@code phrase} ({@code null}: never answers the end of the
   * audio); synthesizes any SSML as {@code speech}.
   */
  static FakeAzureSpeech start(ActorSystem<?> system, String hypothesis, String phrase, ByteString speech)
      throws Exception {
    return new FakeAzureSpeech(system, hypothesis, phrase, speech);
  }

  /** The host URI to configure ({@code voicehelper.voice.azure.host}). */
  String host() {
    return "ws://127.0.0.1:" + binding.localAddress().getPort();
  }

  private HttpResponse handle(HttpRequest request, ActorSystem<?> system) {
    if (!request.getHeader("Ocp-Apim-Subscription-Key").map(h -> h.value().equals(KEY)).orElse(false)) {
      return HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED);
    }
    return request.getAttribute(AttributeKeys.webSocketUpgrade)
        .map(upgrade -> {
          Materializer materializer = Materializer.matFromSystem(system);
          Pair<BoundedSourceQueue<Message>, Source<Message, NotUsed>> out =
              Source.<Message>queue(1024).preMaterialize(system);
          Connection connection = new Connection(out.first(), request.getUri().path().contains("recognition"));
          Sink<Message, NotUsed> in = Flow.<Message>create()
              .mapAsync(1, message -> message.isText()
                  ? message.asTextMessage().toStrict(5000, materializer).<Message>thenApply(m -> m)
                  : message.asBinaryMessage().toStrict(5000, materializer).<Message>thenApply(m -> m))
              .to(Sink.foreach(connection::receive));
          return upgrade.handleMessagesWith(in, out.second(), "USP");
        })
        .orElse(HttpResponse.create().withStatus(StatusCodes.NOT_FOUND));
  }

  /** One WebSocket of the SDK. */
  private final class Connection {
    private final BoundedSourceQueue<Message> out;
    private final boolean recognition;
    private final ByteStringBuilder audio = new ByteStringBuilder();
    private String turn = "";
    private int turns;

    Connection(BoundedSourceQueue<Message> out, boolean recognition) {
      this.out = out;
      this.recognition = recognition;
    }

    void receive(Message message) {
      if (message.isText()) {
        Map<String, String> headers = new LinkedHashMap<>();
        String body = parse(message.asTextMessage().getStrictText(), headers);
        if ("ssml".equalsIgnoreCase(headers.get("path"))) synthesize(headers.get("x-requestid"), body);
        return;
      }
      ByteString data = message.asBinaryMessage().getStrictData();
      int headerLength = ((data.apply(0) & 0xff) << 8) | (data.apply(1) & 0xff);
      Map<String, String> headers = new LinkedHashMap<>();
      parse(data.slice(2, 2 + headerLength).utf8String(), headers);
      if (recognition && "audio".equalsIgnoreCase(headers.get("path"))) {
        hear(headers.get("x-requestid"), headers.containsKey("content-type"), data.drop(2 + headerLength));
      }
    }

    /**
     * Each turn's audio starts with a WAV header (it has a Content-Type) and ends with an empty message. The first
     * turn hears the speech; after its turn.end the SDK opens a continuation turn, which ends the dictation.
     */
    private void hear(String requestId, boolean header, ByteString body) {
      if (!requestId.equals(turn)) {
        turn = requestId;
        turns++;
        send(requestId, "turn.start", "{\"context\":{\"serviceTag\":\"fake\"}}");
        if (turns == 1) send(requestId, "speech.startDetected", "{\"Offset\":0}");
      }
      if (header) return;
      if (turns > 1) {
        if (body.isEmpty()) {
          send(requestId, "speech.phrase", "{\"RecognitionStatus\":\"EndOfDictation\",\"Offset\":0,\"Duration\":0}");
          send(requestId, "turn.end", "{}");
        }
        return;
      }
      if (!body.isEmpty()) {
        if (audio.length() == 0) {
          send(requestId, "speech.hypothesis", "{\"Text\":\"" + hypothesis + "\",\"Offset\":0,\"Duration\":5000000}");
        }
        audio.append(body);
        return;
      }
      ByteString heard = audio.result();
      audioReceived.add(heard);
      if (phrase == null) return; // a service that never finishes
      long duration = Pcm.millis(heard.size()) * 10_000;
      send(requestId, "speech.endDetected", "{\"Offset\":" + duration + "}");
      send(requestId, "speech.phrase", "{\"RecognitionStatus\":\"Success\",\"DisplayText\":\"" + phrase
          + "\",\"Offset\":0,\"Duration\":" + duration + "}");
      send(requestId, "turn.end", "{}");
    }

    private void synthesize(String requestId, String ssml) {
      ssmlReceived.add(ssml);
      send(requestId, "turn.start", "{\"context\":{\"serviceTag\":\"fake\"}}");
      for (int offset = 0; offset < speech.size(); offset += 4000) {
        byte[] headers = ("X-RequestId:" + requestId + "\r\nX-StreamId:1\r\nPath:audio\r\n"
            + "Content-Type:raw-16khz-16bit-mono-pcm\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteStringBuilder frame = new ByteStringBuilder();
        frame.putByte((byte) (headers.length >> 8)).putByte((byte) headers.length).putBytes(headers);
        frame.append(speech.slice(offset, Math.min(speech.size(), offset + 4000)));
        out.offer(BinaryMessage.create(frame.result()));
      }
      send(requestId, "turn.end", "{}");
    }

    private void send(String requestId, String path, String json) {
      out.offer(TextMessage.create("X-RequestId:" + requestId + "\r\nContent-Type:application/json; charset=utf-8\r\n"
          + "Path:" + path + "\r\n\r\n" + json));
    }
  }

  /** Fills {@code headers} (names lower case) from a USP header block and returns what follows the blank line. */
  private static String parse(String message, Map<String, String> headers) {
    int end = message.indexOf("\r\n\r\n");
    String block = end < 0 ? message : message.substring(0, end);
    List<String> lines = new ArrayList<>(List.of(block.split("\r\n")));
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon > 0) headers.put(line.substring(0, colon).strip().toLowerCase(), line.substring(colon + 1).strip());
    }
    return end < 0 ? "" : message.substring(end + 4);
  }

  @Override
  public void close() {
    binding.unbind();
  }
}
