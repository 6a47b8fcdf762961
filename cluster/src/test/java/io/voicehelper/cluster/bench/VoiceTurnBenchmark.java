package io.voicehelper.cluster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.voicehelper.edge.http.EdgeRoutes;
import io.voicehelper.edge.http.EdgeSecurity;
import io.voicehelper.edge.http.EdgeSettings;
import io.voicehelper.edge.http.HttpServer;
import io.voicehelper.edge.http.auth.AuthSettings;
import io.voicehelper.edge.http.auth.Authentication;
import io.voicehelper.edge.http.voice.VoiceEdgeSettings;
import io.voicehelper.edge.http.voice.VoiceRoutes;
import io.voicehelper.entities.bench.BenchmarkReport;
import io.voicehelper.entities.conversation.ReplyEvent;
import io.voicehelper.entities.identity.Accounts;
import io.voicehelper.entities.identity.AccountsSettings;
import io.voicehelper.entities.identity.FastPasswordHasher;
import io.voicehelper.entities.identity.Identity;
import io.voicehelper.entities.identity.InMemoryIdentityStore;
import io.voicehelper.entities.voice.CallIdentity;
import io.voicehelper.entities.voice.ClientMessage;
import io.voicehelper.streams.voice.SpeechFixtures;
import io.voicehelper.streams.voice.SpeechRecognizer;
import io.voicehelper.streams.voice.SpeechSynthesizer;
import io.voicehelper.streams.voice.VoiceOptions;
import io.voicehelper.streams.voice.audio.SentenceChunker;
import io.voicehelper.streams.voice.audio.VoiceActivityDetectors;
import io.voicehelper.streams.voice.audio.VoiceAudioPipeline;
import io.voicehelper.streams.voice.audio.VoiceAudioSettings;
import io.voicehelper.streams.voice.call.CallBackend;
import io.voicehelper.streams.voice.call.CallSessionSettings;
import io.voicehelper.streams.voice.call.VoiceCallSession;
import io.voicehelper.streams.voice.call.VoiceCallSessions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What our own voice path adds to a turn, and what an idle call costs a node. The edge as a node assembles it
 * ({@link VoiceRoutes} behind {@link EdgeRoutes#seal}, the real {@link Authentication}, the production Pekko HTTP
 * server settings) in front of call sessions with the configured audio stages (noise suppression, the Silero VAD, the
 * segmenter) and sentence chunker, as {@link VoiceCallSessions#create} builds them, but no end-of-turn wait; only the
 * engines and the conversation are stand-ins that answer at once, so what is measured is our hops. Then idle calls are opened from a separate process
 * ({@link IdleCallClients}): 1,000 for the heap per call, then as many as asked (10,000) for what one node holds with
 * its keep-alive pings. Writes the {@code voice-turn} section of {@code docs/benchmarks.md}. Run:
 *
 * <pre>mvn -o -B -pl cluster -am test -Dtest=VoiceTurnBenchmark -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 *
 * <p>{@code -Dvoice.idle=N} changes the number of idle calls of the last part (default 10000).
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class VoiceTurnBenchmark {

  private static final int WARMUP = 30;
  private static final int MEASURED = 200;
  private static final int HEAP_CALLS = 1000;
  private static final int IDLE_CALLS = Integer.getInteger("voice.idle", 10_000);
  private static final int KEEP_ALIVE_SECONDS = 5;
  private static final int HOLD_SECONDS = 3 * KEEP_ALIVE_SECONDS;
  private static final String QUESTION = "what is the return policy";
  private static final String REPLY = "Our return window is thirty days from delivery, for unused items in their "
      + "original packaging [1]. Refunds reach your card within five business days. Shall I start a return?";
  private static final int FRAME_MS = 20;
  /** How long a frame sent one at a time is waited on for the end of speech. */
  private static final int WAIT_MS = 200;
  /** Turns whose end-of-speech frame was not certain (the end came on the first frame waited on): not measured. */
  private static int unclear;
  private static int turnsSpoken;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  /** Signing key of the benchmark's edge (not a secret of any deployment). */
  private static final String KEYS = "bench:" + java.util.Base64.getEncoder().encodeToString(
      "voice-turn-benchmark-signing-key-32b".getBytes(StandardCharsets.US_ASCII));

  /** One measured turn, in milliseconds, as the client saw it and as the session reported it. */
  record Turn(double sentToVadEnd, double vadEndToFinal, double finalToToken, double tokenToAudio, double total,
      double echo, long serverEndToFinal, long serverFinalToToken, long serverTokenToAudio, long serverEndToAudio) {}

  @Test
  void measure() throws Exception {
    double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Config config = ConfigFactory.parseString(String.join("\n",
            "pekko.actor.provider = local",
            "pekko.loglevel = WARNING",
            "pekko.coordinated-shutdown.exit-jvm = off",
            "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
            "voicehelper.http.host = \"127.0.0.1\"",
            "voicehelper.http.port = 0",
            "voicehelper.auth.tokens.keys = \"" + KEYS + "\"",
            "voicehelper.auth.tokens.access-token-ttl = 1h",
            // The node's limit is not what is measured: the sockets are.
            "voicehelper.voice.session.max-calls = " + (IDLE_CALLS + 100),
            "pekko.http.server.max-connections = " + (IDLE_CALLS + 1000),
            // Pings on idle sockets sooner than the production 20 s, so that a short hold sees them.
            "pekko.http.server.websocket.periodic-keep-alive-max-idle = " + KEEP_ALIVE_SECONDS + "s"))
        .withFallback(ConfigFactory.load())
        .resolve();
    // The session's per-call INFO line stays on, as in production; it goes to the test's output file.
    ActorTestKit kit = ActorTestKit.create("VoiceTurnBenchmark", config);
    ActorSystem<Void> system = kit.system();
    try {
      Config auth = config.getConfig("voicehelper.auth");
      Accounts accounts = new Accounts(new InMemoryIdentityStore(), new FastPasswordHasher(),
          AccountsSettings.fromConfig(auth.getConfig("accounts")), Clock.systemUTC());
      Authentication authentication = Authentication.start(system, accounts, AuthSettings.fromConfig(auth),
          Clock.systemUTC());
      Identity.Session owner = accounts.register("Bench", "bench@example.com", "a long bench password", "127.0.0.1")
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      String token = authentication.tokens().toCompletableFuture().get(10, TimeUnit.SECONDS)
          .issue(owner.user(), owner.tokenVersion()).token();

      VoiceAudioSettings audio = VoiceAudioSettings.fromConfig(config.getConfig(VoiceAudioSettings.CONFIG_PATH));
      VoiceActivityDetectors detectors = VoiceActivityDetectors.create(audio.vad());
      InstantEngine engine = new InstantEngine();
      // The parts VoiceCallSessions.create builds from the configuration, but for the end-of-turn policy: no wait
      // after the final transcript at all. The settings take 1 ms at least, and a timer of 1 ms fires on the
      // scheduler's next tick (10 ms apart), which put about 20 ms into every turn of a first run.
      VoiceCallSessions calls = new VoiceCallSessions(system, new VoiceCallSession.Parts(new InstantConversation(),
          language -> Optional.of(engine), language -> Optional.of(engine),
          () -> VoiceAudioPipeline.inbound(audio, detectors::newDetector),
          () -> SentenceChunker.flow(audio.chunker()),
          (transcript, language) -> Duration.ZERO, detectors.engine(),
          CallSessionSettings.fromConfig(config.getConfig(CallSessionSettings.CONFIG_PATH))));
      EdgeSettings edge = EdgeSettings.fromConfig(config.getConfig("voicehelper.http"));
      ServerBinding binding = HttpServer.start(system,
          EdgeRoutes.seal(EdgeSecurity.fromConfig(config.getConfig("voicehelper.http.security")),
              new VoiceRoutes(system, calls, authentication,
                  VoiceEdgeSettings.fromConfig(config.getConfig("voicehelper.http.voice")), edge.maxJsonDepth())
                  .route()),
          edge).toCompletableFuture().get(10, TimeUnit.SECONDS);
      String voiceUrl = "ws://127.0.0.1:" + binding.localAddress().getPort() + "/api/v1/voice/ws";
      ServerBinding echo = Http.get(system).newServerAt("127.0.0.1", 0)
          .bind(Directives.path("echo", () -> Directives.handleWebSocketMessages(Flow.create())))
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      String echoUrl = "ws://127.0.0.1:" + echo.localAddress().getPort() + "/echo";

      List<Turn> turns = turns(voiceUrl, echoUrl, token, audio.segmenter().minSilence());
      double loadAfterTurns = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      awaitNoCalls(kit, calls);

      long heapBase = usedHeapAfterGc();
      long rssBase = rssBytes();
      java.util.Map<String, long[]> histogramBase = histogram();
      Idle small = Idle.open(voiceUrl, token, HEAP_CALLS);
      assertEquals(HEAP_CALLS, small.opened, small.summary);
      awaitCalls(kit, calls, HEAP_CALLS);
      long heapSmall = usedHeapAfterGc();
      long rssSmall = rssBytes();
      List<String> perCall = perCall(histogramBase, histogram(), HEAP_CALLS, 12);
      small.close();
      awaitNoCalls(kit, calls);

      long heapBaseLarge = usedHeapAfterGc();
      long fdsBase = openFiles();
      Idle large = Idle.open(voiceUrl, token, IDLE_CALLS);
      awaitCalls(kit, calls, large.opened);
      int activeLarge = calls.active();
      long heapLarge = usedHeapAfterGc();
      long fdsLarge = openFiles();
      long rssLarge = rssBytes();
      String held = large.hold(HOLD_SECONDS);
      int activeAfterHold = calls.active();
      long heapAfterHold = usedHeapAfterGc();
      large.close();
      double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      awaitNoCalls(kit, calls);

      write(turns, new double[] {loadBefore, loadAfterTurns, loadAfter}, new long[] {heapBase, heapSmall, rssBase,
          rssSmall}, large, new long[] {heapBaseLarge, heapLarge, heapAfterHold, rssLarge, activeLarge,
          activeAfterHold, fdsBase, fdsLarge}, held, audio.segmenter().minSilence(), perCall);
      echo.unbind();
      binding.unbind();
      detectors.close();
    } finally {
      kit.shutdownTestKit();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Turns

  /**
   * Speaks {@link #WARMUP} + {@link #MEASURED} turns in one call: the recorded question (FreeTTS, synthesized once),
   * then room noise at -70 dBFS, sent as fast as the socket takes it (the segmenter counts samples, not time) up to
   * shortly before the segmenter's {@code min-silence} can have passed, then one 20 ms frame at a time, each waited on
   * until the {@code vad end} event comes or {@link #WAIT_MS} pass. The frame after which the end came is the one that
   * ended the speech, when a frame before it was waited on in vain: the turn's time runs from sending it (turns
   * without such a frame are spoken but not measured). One echo round trip of a frame per turn is the baseline.
   */
  private static List<Turn> turns(String voiceUrl, String echoUrl, String token, Duration minSilence)
      throws Exception {
    List<ByteString> speech = SpeechFixtures.frames(SpeechFixtures.speak(QUESTION), FRAME_MS);
    Client call = Client.open(voiceUrl, token);
    Client echo = Client.open(echoUrl, null);
    call.send("{\"type\":\"start\",\"language\":\"en-US\"}");
    call.next("started", null);
    for (ByteString frame : SpeechFixtures.frames(SpeechFixtures.noise(600, -70, 1), FRAME_MS)) call.sendBinary(frame);

    // Frames of room noise sent at once after the speech; then one at a time. It follows the frame that ended the
    // last turn's speech, so that two frames are waited on without an end before the one that brings it.
    int burstFrames = (int) (minSilence.toMillis() / FRAME_MS) - 4;
    List<Turn> measured = new ArrayList<>();
    long seed = 2;
    for (int t = 0; measured.size() < MEASURED; t++) {
      assertTrue(t < 3 * (WARMUP + MEASURED), "too many turns without a clear end-of-speech frame");
      for (ByteString frame : speech) call.sendBinary(frame);
      List<ByteString> quiet = SpeechFixtures.frames(SpeechFixtures.noise(2000, -70, seed++), FRAME_MS);
      for (int i = 0; i < burstFrames; i++) call.sendBinary(quiet.get(i));
      long sent = -1;
      Event vadEnd = null;
      int ending = burstFrames;
      for (; vadEnd == null; ending++) {
        assertTrue(ending < quiet.size(), "the segmenter never ended the speech of turn " + t);
        sent = System.nanoTime();
        call.sendBinary(quiet.get(ending));
        vadEnd = call.nextVadEnd(WAIT_MS);
      }
      ending--;
      // Only when a frame before it brought no end within the wait is this frame surely the one that ended it.
      boolean clear = ending > burstFrames;
      if (!clear) unclear++;
      burstFrames = Math.max(1, ending - 2);
      Event heard = call.next("transcript", e -> e.json.get("final").asBoolean());
      assertEquals(QUESTION, heard.json.get("text").asText());
      Event token1 = call.next("reply.delta", null);
      Event audio1 = call.nextAudio();
      Event metrics = call.next("metrics", null);
      long echoStart = System.nanoTime();
      echo.sendBinary(quiet.get(0));
      Event echoed = echo.nextAudio();
      if (t >= WARMUP && clear) {
        JsonNode m = metrics.json;
        measured.add(new Turn(ms(vadEnd.at - sent), ms(heard.at - vadEnd.at), ms(token1.at - heard.at),
            ms(audio1.at - token1.at), ms(audio1.at - sent), ms(echoed.at - echoStart),
            m.get("endOfSpeechToFinalMs").asLong(), m.get("finalToFirstTokenMs").asLong(),
            m.get("firstTokenToFirstAudioMs").asLong(), m.get("endOfSpeechToFirstAudioMs").asLong()));
      }
      call.drain();
      turnsSpoken = t + 1;
    }
    call.send("{\"type\":\"stop\"}");
    call.next("ended", null);
    echo.socket.sendClose(1000, "done");
    return measured;
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  /** Something the client received, with the time it arrived. */
  record Event(long at, String type, JsonNode json) {}

  /** A java.net.http WebSocket client that timestamps what it receives on arrival. */
  static final class Client implements WebSocket.Listener {
    final LinkedBlockingQueue<Event> received = new LinkedBlockingQueue<>();
    private final StringBuilder text = new StringBuilder();
    private boolean binaryStarted;
    WebSocket socket;

    static Client open(String url, String token) throws Exception {
      Client client = new Client();
      WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
      if (token != null) builder.subprotocols("voicehelper.v1", "bearer." + token);
      client.socket = builder.buildAsync(URI.create(url), client).get(10, TimeUnit.SECONDS);
      return client;
    }

    void send(String json) throws Exception {
      socket.sendText(json, true).get(10, TimeUnit.SECONDS);
    }

    void sendBinary(ByteString frame) throws Exception {
      socket.sendBinary(frame.asByteBuffer(), true).get(10, TimeUnit.SECONDS);
    }

    /** The next event of {@code type} (that {@code matches}, if given); others before it are skipped. */
    Event next(String type, java.util.function.Predicate<Event> matches) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        Event event = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (event == null) throw new AssertionError("no " + type + " within 10 s");
        if (event.type.equals("error")) throw new AssertionError("the call failed: " + event.json);
        if (event.type.equals(type) && (matches == null || matches.test(event))) return event;
      }
    }

    /** The {@code vad end} event if it comes within {@code millis}; events before it are skipped. */
    Event nextVadEnd(long millis) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      while (true) {
        Event event = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (event == null) return null;
        if (event.type.equals("vad") && event.json.get("state").asText().equals("end")) return event;
      }
    }

    Event nextAudio() throws Exception {
      return next("audio", null);
    }

    /** Drops what is left of a finished turn (its remaining audio and events). */
    void drain() {
      received.clear();
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      long at = System.nanoTime();
      text.append(data);
      if (last) {
        try {
          JsonNode json = JSON.readTree(text.toString());
          received.add(new Event(at, json.get("type").asText(), json));
        } catch (java.io.IOException e) {
          received.add(new Event(at, "error", JSON.createObjectNode().put("message", e.toString())));
        }
        text.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      // The first fragment of a binary message is its first byte on this side.
      if (!binaryStarted) received.add(new Event(System.nanoTime(), "audio", null));
      binaryStarted = !last;
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      received.add(new Event(System.nanoTime(), "closed", JSON.createObjectNode().put("code", statusCode)));
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Idle calls

  /** {@link IdleCallClients} in a process of its own, with the calls it opened. */
  private static final class Idle {
    final Process process;
    final BufferedReader out;
    final Writer in;
    final String summary;
    final int opened;
    final long openMillis;

    private Idle(Process process, BufferedReader out, Writer in, String summary) throws Exception {
      this.process = process;
      this.out = out;
      this.in = in;
      this.summary = summary;
      JsonNode json = JSON.readTree(summary);
      this.opened = json.get("opened").asInt();
      this.openMillis = json.get("millis").asLong();
    }

    static Idle open(String url, String token, int count) throws Exception {
      List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:+UseSerialGC", "-Xss256k", "-Xmx" + Math.max(256, count / 8) + "m",
          // Its own classes only: the JDK is all it uses.
          "-cp", Path.of(IdleCallClients.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
          IdleCallClients.class.getName(), url, String.valueOf(count), "64");
      ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
      // The token goes in the environment, not on a command line that `ps` shows.
      builder.environment().put("CALL_TOKEN", token);
      Process process = builder.start();
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String summary = out.readLine();
      if (summary == null) throw new AssertionError("the idle callers failed to start");
      return new Idle(process, out, new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8),
          summary);
    }

    String hold(int seconds) throws Exception {
      in.write("hold " + seconds + "\n");
      in.flush();
      return out.readLine();
    }

    void close() throws Exception {
      in.write("exit\n");
      in.flush();
      if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly();
    }
  }

  private static void awaitCalls(ActorTestKit kit, VoiceCallSessions calls, int count) {
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      assertTrue(calls.active() >= count, calls.active() + " calls open, expected " + count);
      return null;
    });
  }

  private static void awaitNoCalls(ActorTestKit kit, VoiceCallSessions calls) {
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      assertEquals(0, calls.active(), "calls still open");
      return null;
    });
  }

  /** Heap in use after full collections (the least of three, so that a late finalizer does not count). */
  private static long usedHeapAfterGc() {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return least;
  }

  /**
   * The live heap by class ({@code GC.class_histogram}, which collects first): class name → {instances, bytes}.
   */
  private static java.util.Map<String, long[]> histogram() throws Exception {
    String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    java.util.Map<String, long[]> classes = new java.util.HashMap<>();
    for (String line : text.split("\n")) {
      String[] fields = line.strip().split("\\s+");
      if (fields.length < 4 || !fields[0].endsWith(":")) continue;
      classes.put(fields[3], new long[] {Long.parseLong(fields[1]), Long.parseLong(fields[2])});
    }
    return classes;
  }

  /** Table rows: the {@code top} classes that grew most between the histograms, per call. */
  private static List<String> perCall(java.util.Map<String, long[]> before, java.util.Map<String, long[]> after,
      int calls, int top) {
    record Growth(String name, long instances, long bytes) {}
    List<Growth> growth = new ArrayList<>();
    after.forEach((name, counts) -> {
      long[] was = before.getOrDefault(name, new long[2]);
      growth.add(new Growth(name, counts[0] - was[0], counts[1] - was[1]));
    });
    growth.sort(java.util.Comparator.comparingLong(Growth::bytes).reversed());
    List<String> rows = new ArrayList<>();
    for (Growth g : growth.subList(0, Math.min(top, growth.size()))) {
      rows.add(String.format(Locale.ROOT, "| `%s` | %.1f | %,d |", g.name(), (double) g.instances() / calls,
          g.bytes() / calls));
    }
    return rows;
  }

  /** This process's resident memory (Linux), or -1. */
  private static long rssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    } catch (java.io.IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** File descriptors this process has open (Linux), or -1. */
  private static long openFiles() {
    try (var files = Files.list(Path.of("/proc/self/fd"))) {
      return files.count();
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Stand-ins that answer at once

  /**
   * Both engines at once: hears {@link #QUESTION} in every utterance, finally when its audio ends, and speaks each
   * sentence as 40 ms of tone.
   */
  private static final class InstantEngine implements SpeechRecognizer, SpeechSynthesizer {
    private static final ByteString TONE = SpeechFixtures.tone(40, 440, -20);

    @Override
    public String name() {
      return "instant";
    }

    @Override
    public boolean supports(String language) {
      return true;
    }

    @Override
    public Flow<ByteString, Transcript, NotUsed> recognize(String language) {
      return Flow.<ByteString>create().fold(0, (bytes, chunk) -> bytes + chunk.size())
          .map(bytes -> new Transcript(QUESTION, true));
    }

    @Override
    public Source<ByteString, NotUsed> synthesize(String text, VoiceOptions voice) {
      return Source.single(TONE);
    }
  }

  /** A conversation that answers every turn with {@link #REPLY} at once, word by word. */
  private static final class InstantConversation implements CallBackend {
    private final AtomicInteger replies = new AtomicInteger();
    private static final List<ReplyEvent> EVENTS = events();

    private static List<ReplyEvent> events() {
      List<ReplyEvent> events = new ArrayList<>();
      String[] words = REPLY.split("(?<= )");
      for (int i = 0; i < words.length; i++) events.add(new ReplyEvent.Delta(i + 1, words[i]));
      events.add(new ReplyEvent.Done("message", "reply", "completed", null, "instant", 1, 1, 0, words.length));
      return List.copyOf(events);
    }

    @Override
    public CompletionStage<OpenCall> open(CallIdentity caller, ClientMessage.Start start, String callIdIfNew) {
      return CompletableFuture.completedFuture(new OpenCall(callIdIfNew, "conversation-" + callIdIfNew, false,
          List.of()));
    }

    @Override
    public CompletionStage<SentTurn> send(CallIdentity caller, String conversationId, String text,
        String idempotencyKey) {
      int n = replies.incrementAndGet();
      return CompletableFuture.completedFuture(new SentTurn("message-" + n, "reply-" + n));
    }

    @Override
    public Source<ReplyEvent, NotUsed> reply(CallIdentity caller, String conversationId, String replyId,
        long afterSeq) {
      return Source.from(EVENTS);
    }

    @Override
    public CompletionStage<Done> interrupt(CallIdentity caller, String conversationId, String replyId,
        int heardChars) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> recordTurn(CallIdentity caller, String callId, TurnRecord turn) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> disconnected(CallIdentity caller, String callId, String reason) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> end(CallIdentity caller, String callId, String reason) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Report

  private static double pct(List<Turn> turns, java.util.function.ToDoubleFunction<Turn> metric, double p) {
    double[] values = turns.stream().mapToDouble(metric).sorted().toArray();
    return values[(int) Math.min(values.length - 1, Math.ceil(p / 100 * values.length) - 1)];
  }

  private static String row(List<Turn> turns, String name, java.util.function.ToDoubleFunction<Turn> metric,
      String format) {
    return String.format(Locale.ROOT, "| %s | " + format + " | " + format + " | " + format + " |", name,
        pct(turns, metric, 50), pct(turns, metric, 95), pct(turns, metric, 99));
  }

  private static String mb(long bytes) {
    return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
  }

  private static void write(List<Turn> turns, double[] load, long[] small, Idle large, long[] big, String held,
      Duration minSilence, List<String> perCall) throws Exception {
    JsonNode hold = JSON.readTree(held);
    long heapPerCall = (small[1] - small[0]) / HEAP_CALLS;
    long rssPerCall = (small[3] - small[2]) / HEAP_CALLS;
    long heapPerCallLarge = large.opened == 0 ? 0 : (big[1] - big[0]) / large.opened;
    double p95 = pct(turns, Turn::total, 95);
    double echoP50 = pct(turns, Turn::echo, 50);
    double echoP95 = pct(turns, Turn::echo, 95);
    List<String> lines = new ArrayList<>(List.of(
        "## Voice turn: our hops, heap per call, idle calls per node",
        "",
        "`cluster/src/test/java/io/voicehelper/cluster/bench/VoiceTurnBenchmark.java`, run on " + LocalDate.now()
            + " (2 cores, Java " + System.getProperty("java.version") + ", shared with other work):",
        "",
        "```",
        "mvn -o -B -pl cluster -am test -Dtest=VoiceTurnBenchmark -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false",
        "```",
        "",
        "**Setup.** One JVM holds the edge as a node assembles it — `VoiceRoutes` behind `EdgeRoutes.seal`, the real "
            + "`Authentication` (a signed access token in the `bearer.` subprotocol), Pekko HTTP with the production "
            + "`voicehelper-http-server.conf` — in front of `VoiceCallSessions.create` with the configured audio stages "
            + "(noise suppression, the Silero VAD on its dispatcher, the segmenter with `min-silence` = "
            + minSilence.toMillis() + " ms), end of turn and the sentence chunker. Stand-ins that answer at once "
            + "replace what is not ours: the recognizer (the final transcript when the utterance's audio ends), the "
            + "synthesizer (40 ms of tone per sentence) and the conversation (`CallBackend`: the reply's " + REPLY.split(
            " ").length + " words from memory; so sharding, the `ConversationEntity` and its journal are *not* in "
            + "these figures). The end-of-turn wait after the final transcript (`voice.audio.turn.silence`, 700 ms by "
            + "default, on purpose) is set to **0**: the sessions are built from the same parts as "
            + "`VoiceCallSessions.create` builds, but with a `TurnPolicy` that answers zero (nothing is subtracted). "
            + "The settings refuse 0, and with their least, 1 ms, a first run measured about 20 ms more in the "
            + "`vad end` → final hop (P50 23.4 ms, P95 38.3 ms; added time P50 33.2 ms, P95 58.1 ms): a timer waits "
            + "for the scheduler's ticks (10 ms apart), so 1 ms took about 20 ms; the production 700 ms wait is "
            + "rounded up the same way, by a tick or two.",
        "",
        "**Turns.** One call over a java.net.http WebSocket in the same JVM; " + MEASURED + " measured turns. "
            + "Each turn is the same recorded question (\"" + QUESTION + "\", FreeTTS "
            + "`kevin16`, synthesized once) in 20 ms frames, then room noise at -70 dBFS, sent as fast as the socket "
            + "takes it up to shortly before `min-silence` has passed, then one 20 ms frame at a time, each waited on "
            + "until the `vad` `end` event arrives (or " + WAIT_MS + " ms pass): the frame after which it came is the "
            + "one that ended the speech, and the turn's time runs from sending it. A turn counts only when a frame "
            + "before that one was waited on in vain, so that the attribution is certain (" + unclear + " of the "
            + turnsSpoken + " turns spoken were not, and the first " + WARMUP + " were warm-up). *Client* hops are "
            + "arrival times at the "
            + "client (nanoTime, same JVM); *session* hops are the `metrics` event's own (whole ms, the session's "
            + "clock from the segmenter's `SpeechEnded` on). **Added time** = that frame sent → first TTS byte "
            + "received: the socket both ways, decoding, noise suppression, VAD, segmenter, session, recognizer "
            + "stream, turn timer, conversation stream, chunker, synthesis stream, pacing, encoding.",
        "",
        "| client hop (ms) | P50 | P95 | P99 |",
        "|---|---|---|---|",
        row(turns, "speech-ending frame sent → `vad end` received (edge in, audio stages, segmenter, edge out)",
            Turn::sentToVadEnd, "%.2f"),
        row(turns, "`vad end` → final `transcript` (recognizer stream, end of turn)", Turn::vadEndToFinal,
            "%.2f"),
        row(turns, "final `transcript` → first `reply.delta` (conversation stream)", Turn::finalToToken, "%.2f"),
        row(turns, "first `reply.delta` → first TTS byte (chunker, synthesis, pacing)", Turn::tokenToAudio, "%.2f"),
        row(turns, "**added time: frame sent → first TTS byte**", Turn::total, "**%.2f**"),
        row(turns, "*baseline: bare Pekko HTTP WebSocket echo of a 640-byte frame*", Turn::echo, "%.2f"),
        "",
        "| session hop (`metrics` event, ms) | P50 | P95 | P99 |",
        "|---|---|---|---|",
        row(turns, "`endOfSpeechToFinalMs`", t -> t.serverEndToFinal, "%.0f"),
        row(turns, "`finalToFirstTokenMs`", t -> t.serverFinalToToken, "%.0f"),
        row(turns, "`firstTokenToFirstAudioMs`", t -> t.serverTokenToAudio, "%.0f"),
        row(turns, "`endOfSpeechToFirstAudioMs`", t -> t.serverEndToAudio, "%.0f"),
        "",
        String.format(Locale.ROOT, "Target added P95 < 60 ms: **%s** (%.2f ms). Added time against the echo round "
                + "trip measured in the same turns: %.1f× at P50 (%.2f vs %.2f ms), %.1f× at P95 (%.2f vs %.2f ms).",
            p95 < 60 ? "met" : "not met", p95, pct(turns, Turn::total, 50) / echoP50, pct(turns, Turn::total, 50),
            echoP50, p95 / echoP95, p95, echoP95),
        "",
        "**Heap per live call.** " + HEAP_CALLS + " calls opened (each `start` answered by `started`) and left idle "
            + "by an `IdleCallClients` process of its own (java.net.http, 64 handshakes at a time), so that the "
            + "clients' sockets and heap are not counted: heap in use after full GCs (`System.gc()`, G1) went from "
            + mb(small[0]) + " to " + mb(small[1]) + ": **" + String.format(Locale.ROOT, "%.1f KB", heapPerCall / 1e3)
            + " per call**; the process's resident memory grew by " + String.format(Locale.ROOT, "%.1f KB",
            rssPerCall / 1e3) + " per call (heap the JVM had already reserved is not counted again there, native "
            + "buffers are). Where the heap goes, from the JVM's class histograms (`GC.class_histogram`) before and "
            + "after, per call, the largest classes:",
        "",
        "| class | instances per call | bytes per call |",
        "|---|---|---|"));
    lines.addAll(perCall);
    lines.addAll(List.of(
        "",
        "Reading it: the double arrays (`[D`) are the noise suppressor's state per call (its STFT history, spectra "
            + "and minimum-statistics windows; the largest single item), the float arrays (`[F`) the Silero VAD's; "
            + "`stream.impl.Concat` (a node of a stream blueprint's traversal), `GraphInterpreter$Connection` and "
            + "most of the Scala list cells belong to Pekko Streams: the call's stream graphs, their blueprints "
            + "included, stay reachable while the call lasts.",
        "",
        "**Idle calls one node holds.** " + IDLE_CALLS + " calls asked for the same way: **" + large.opened
            + " open** in " + String.format(Locale.ROOT, "%.1f s", large.openMillis / 1e3) + " (" + big[4]
            + " sessions active on the node), heap after GC " + mb(big[1]) + " (" + mb(big[0]) + " before: "
            + String.format(Locale.ROOT, "%.1f KB", heapPerCallLarge / 1e3) + " per call), resident memory "
            + mb(big[3]) + ", " + big[7] + " file descriptors (" + big[6] + " before; `ulimit -n` is "
            + ulimit() + " here, above the calls, so it was not raised). With pings on sockets idle "
            + KEEP_ALIVE_SECONDS + " s (`periodic-keep-alive-max-idle`, 20 s in production), after a hold of "
            + HOLD_SECONDS + " s: " + hold.get("open").asInt() + " calls still open, " + hold.get("pinged").asInt()
            + " of them pinged during the hold; " + big[5] + " sessions active on the node, heap after GC "
            + mb(big[2]) + ".",
        "",
        String.format(Locale.ROOT, "Machine load: the 1-minute load average was %.2f when the benchmark began, %.2f "
            + "after the turns and %.2f at the end (2 cores; other builds and tests were running).", load[0], load[1],
            load[2])));
    BenchmarkReport.writeSection("voice-turn", String.join("\n", lines));
    System.out.println(String.join("\n", lines));
  }

  private static String ulimit() {
    try {
      Process process = new ProcessBuilder("sh", "-c", "ulimit -n").redirectErrorStream(true).start();
      String value = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      process.waitFor(5, TimeUnit.SECONDS);
      return value;
    } catch (java.io.IOException | InterruptedException e) {
      return "unknown";
    }
  }
}
