package io.voicehelper.streams.voice.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.voicehelper.entities.conversation.ReplyEvent;
import io.voicehelper.entities.voice.CallIdentity;
import io.voicehelper.entities.voice.ClientMessage;
import io.voicehelper.entities.voice.ServerMessage;
import io.voicehelper.entities.voice.VoiceEvent;
import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.SpeechRecognizer;
import io.voicehelper.streams.voice.SpeechSynthesizer;
import io.voicehelper.streams.voice.VoiceOptions;
import io.voicehelper.streams.voice.audio.EnergyVad;
import io.voicehelper.streams.voice.audio.SpeechSegmenter;
import io.voicehelper.streams.voice.audio.VoiceAudioSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A call session with scripted engines and conversation, and the real segmenter over an energy detector: a spoken
 * turn end to end, end-of-turn timing, barge-in, a backchannel that does not interrupt, typed turns, and the slow
 * client policy.
 */
@org.junit.jupiter.api.extension.ExtendWith(org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension.class)
class VoiceCallSessionTest {

  private static final CallIdentity CALLER = new CallIdentity("tenant-1", "user-1", true, "127.0.0.1");
  private static final String REPLY = "Our return window is thirty days from delivery. Items must be unused and in "
      + "their original packaging [1]. Refunds reach your card within five business days.";
  private static ActorTestKit testKit;
  private static VoiceAudioSettings audio;

  @BeforeAll
  static void startKit() {
    testKit = ActorTestKit.create("VoiceCallSessionTest", ConfigFactory.load());
    audio = VoiceAudioSettings.fromConfig(testKit.system().settings().config().getConfig(VoiceAudioSettings.CONFIG_PATH));
  }

  @AfterAll
  static void stopKit() {
    testKit.shutdownTestKit();
  }

  @Test
  void aSpokenTurnIsHeardAnsweredAndSpokenWithMetrics() throws Exception {
    Harness call = new Harness(512, Duration.ofMillis(150));
    call.start();
    call.speak(800);
    VoiceEvent.Vad vadStart = call.next(VoiceEvent.Vad.class);
    assertEquals("start", vadStart.state());
    call.silence(600);
    VoiceEvent.Vad vadEnd = call.next(VoiceEvent.Vad.class);
    assertEquals("end", vadEnd.state());
    long endOfSpeech = System.nanoTime();
    VoiceEvent.Transcript heard = call.nextFinalTranscript();
    long turnEnded = System.nanoTime();
    assertEquals("what is the return policy", heard.text());
    // The turn ends at the policy's silence after the speech ended (the segmenter's own min-silence came first).
    long waited = (turnEnded - endOfSpeech) / 1_000_000;
    assertTrue(waited >= 100 && waited < 1000, "turn ended " + waited + " ms after the end of speech");
    assertEquals("what is the return policy", call.backend.sent.poll(5, TimeUnit.SECONDS));

    VoiceEvent.TtsStart speaking = call.next(VoiceEvent.TtsStart.class);
    assertEquals(heard.turnId(), speaking.turnId());
    int frames = call.audioUntil(VoiceEvent.TtsEnd.class);
    assertTrue(frames > 50, "the reply was spoken: " + frames + " frames");
    VoiceEvent.Metrics metrics = call.next(VoiceEvent.Metrics.class);
    assertNotNull(metrics.endOfSpeechToFinalMs());
    assertNotNull(metrics.finalToFirstTokenMs());
    assertNotNull(metrics.firstTokenToFirstAudioMs());
    assertNotNull(metrics.endOfSpeechToFirstAudioMs());
    CallBackend.TurnRecord recorded = call.backend.recorded.poll(5, TimeUnit.SECONDS);
    assertEquals(REPLY, recorded.spoken());
    assertFalse(recorded.interrupted());
    assertEquals("voice", recorded.input());
    call.stop();
  }

  @Test
  void speechDuringPlaybackBargesInAndTheReplyIsCutToWhatWasHeard() throws Exception {
    Harness call = new Harness(512, Duration.ofMillis(100));
    call.start();
    call.send(new ClientMessage.Text("what is the return policy"));
    call.next(VoiceEvent.TtsStart.class);
    call.audioFrames(60); // 1.2 s of the reply played
    long injected = System.nanoTime();
    call.speak(400);
    VoiceEvent.BargeIn bargeIn = call.next(VoiceEvent.BargeIn.class);
    long afterBargeIn = call.audioSinceLastEvent();
    assertEquals(0, afterBargeIn, "no reply audio after the barge-in event");
    long stoppedMs = (call.lastAudioAt - injected) / 1_000_000;
    assertTrue(call.lastAudioAt < injected || stoppedMs < 100, "audio stopped " + stoppedMs + " ms after the speech");
    VoiceEvent.TtsEnd end = call.next(VoiceEvent.TtsEnd.class);
    assertTrue(end.interrupted());
    assertTrue(end.heardMs() >= 1000 && end.heardMs() < 2500, "heard " + end.heardMs() + " ms");
    Pair<String, Integer> interrupted = call.backend.interrupted.poll(5, TimeUnit.SECONDS);
    assertNotNull(interrupted);
    int heardChars = interrupted.second();
    assertTrue(heardChars > 0 && heardChars < REPLY.length(), "heard " + heardChars + " chars");
    CallBackend.TurnRecord recorded = call.backend.recorded.poll(5, TimeUnit.SECONDS);
    assertTrue(recorded.interrupted());
    assertEquals(REPLY.substring(0, heardChars), recorded.spoken());
    assertEquals(bargeIn.turnId(), recorded.turnId());
    call.stop();
  }

  @Test
  void aBackchannelDoesNotInterruptButLongerSpeechDoes() throws Exception {
    Harness call = new Harness(512, Duration.ofMillis(100));
    call.start();
    call.send(new ClientMessage.Text("what is the return policy"));
    call.next(VoiceEvent.TtsStart.class);
    call.audioFrames(20);
    call.speak(150); // "mhm": shorter than min-speech (250 ms)
    call.silence(400);
    int frames = call.audioUntil(VoiceEvent.TtsEnd.class);
    assertTrue(frames > 100, "the reply kept playing: " + frames + " frames");
    assertTrue(call.seen.stream().noneMatch(e -> e instanceof VoiceEvent.BargeIn), "no barge-in: " + call.seen);
    assertFalse(call.backend.recorded.poll(5, TimeUnit.SECONDS).interrupted());

    // With min-speech lowered below the burst, the same burst interrupts.
    Harness eager = new Harness(512, Duration.ofMillis(100),
        audio.segmenter().withMinSpeech(Duration.ofMillis(100)));
    eager.start();
    eager.send(new ClientMessage.Text("what is the return policy"));
    eager.next(VoiceEvent.TtsStart.class);
    eager.audioFrames(20);
    eager.speak(150);
    eager.next(VoiceEvent.BargeIn.class);
    call.stop();
    eager.stop();
  }

  @Test
  void anExplicitInterruptStopsTheVoiceAndTypedTurnsWork() throws Exception {
    Harness call = new Harness(512, Duration.ofMillis(100));
    call.start();
    call.send(new ClientMessage.Text("what is the return policy"));
    assertEquals("what is the return policy", call.backend.sent.poll(5, TimeUnit.SECONDS));
    call.next(VoiceEvent.TtsStart.class);
    call.send(new ClientMessage.Interrupt());
    VoiceEvent.TtsEnd end = call.next(VoiceEvent.TtsEnd.class);
    assertTrue(end.interrupted());
    assertEquals(0, call.audioSinceLastEvent());
    assertTrue(call.backend.recorded.poll(5, TimeUnit.SECONDS).interrupted());
    call.stop();
  }

  @Test
  void aClientThatDoesNotReadIsClosedWithBoundedMemory() throws Exception {
    CallSessionSettings small = new CallSessionSettings(10, 16, 50, Duration.ofMillis(20), Duration.ofMillis(2000), 64);
    FakeBackend backend = new FakeBackend();
    Pair<BoundedSourceQueue<ClientMessage>, Source<ClientMessage, NotUsed>> in =
        Source.<ClientMessage>queue(16).preMaterialize(testKit.system());
    SinkQueueWithCancel<ServerMessage> out = in.second()
        .via(VoiceCallSession.flow(testKit.system(), parts(backend, small, audio.segmenter(), Duration.ofMillis(100)),
            CALLER, () -> {}, () -> {}))
        .runWith(Sink.queue(1), testKit.system());
    in.first().offer(start());
    // The client reads nothing while the reply's audio (2 s lead: 100 frames at once) overflows its 16 messages.
    org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit.info("reads too slowly").expect(testKit.system(),
        () -> in.first().offer(new ClientMessage.Text("what is the return policy")));
    assertTrue(backend.sent.poll(5, TimeUnit.SECONDS) != null);
    ServerMessage last = null;
    int read = 0;
    for (; read < 40; read++) {
      Optional<ServerMessage> next = out.pull().toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (next.isEmpty()) break;
      last = next.get();
      if (last instanceof ServerMessage.Close) break;
    }
    assertTrue(last instanceof ServerMessage.Close, "closed, after " + read + " messages: " + last);
    assertEquals(1008, ((ServerMessage.Close) last).code());
    // What the client could still read: the session's 16 plus the stream stages' own small input buffers (16 each),
    // not the reply's 450 frames of audio.
    assertTrue(read <= 16 + 2 * 16 + 4, "at most the buffers were held: " + read);
  }

  @Test
  void aClientThatVanishesFreesItsCallSlot() throws Exception {
    // The socket goes away without a close (a tab closed, a network lost): the client's queue is cancelled from
    // downstream, and the session stopping after it must still count its call as gone, or the node's max-calls
    // slots leak. The stop races the cancellation, so many calls are dropped.
    CallSessionSettings settings = new CallSessionSettings(1000, 64, 50, Duration.ofMillis(20),
        Duration.ofMillis(100), 64);
    int calls = 100;
    java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(calls);
    for (int i = 0; i < calls; i++) {
      Pair<BoundedSourceQueue<ClientMessage>, Source<ClientMessage, NotUsed>> in =
          Source.<ClientMessage>queue(16).preMaterialize(testKit.system());
      CompletionStage<ServerMessage> first = in.second()
          .via(VoiceCallSession.flow(testKit.system(), parts(new FakeBackend(), settings, audio.segmenter(),
              Duration.ofMillis(100)), CALLER, () -> {}, stopped::countDown))
          .runWith(Sink.head(), testKit.system());
      in.first().offer(start());
      first.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    assertTrue(stopped.await(20, TimeUnit.SECONDS), stopped.getCount() + " of " + calls + " calls never counted as gone");
  }

  @Test
  void aCallThatCannotBeOpenedClosesWithACodeSayingWhetherToRetry() throws Exception {
    assertEquals(1008, closeWhenOpenFails(new CallBackend.CallFailure("call-ended", "That call has ended.")));
    assertEquals(1008, closeWhenOpenFails(new CallBackend.CallFailure("not-found", "No such conversation.")));
    assertEquals(1013, closeWhenOpenFails(new CallBackend.CallFailure("unavailable", "Busy.")));
    assertEquals(1013, closeWhenOpenFails(new IllegalStateException("an ask timed out")));
  }

  /** The close code a client gets when opening its call fails with {@code failure}; an error event comes first. */
  private static int closeWhenOpenFails(RuntimeException failure) throws Exception {
    FakeBackend refusing = new FakeBackend() {
      @Override
      public CompletionStage<OpenCall> open(CallIdentity caller, ClientMessage.Start start, String callIdIfNew) {
        return CompletableFuture.failedFuture(failure);
      }
    };
    List<ServerMessage> got = Source.single((ClientMessage) start()).concat(Source.never())
        .via(VoiceCallSession.flow(testKit.system(), parts(refusing, new CallSessionSettings(10, 64, 50,
            Duration.ofMillis(20), Duration.ofMillis(100), 64), audio.segmenter(), Duration.ofMillis(100)), CALLER,
            () -> {}, () -> {}))
        .takeWhile(message -> !(message instanceof ServerMessage.Close), true)
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(got.get(0) instanceof ServerMessage.Event event && event.event() instanceof VoiceEvent.Error, "" + got);
    return ((ServerMessage.Close) got.get(got.size() - 1)).code();
  }

  // -----------------------------------------------------------------------------------------------------------------

  private static ClientMessage.Start start() {
    return new ClientMessage.Start("en-US", null, null, 1.0, 1.0, null, null, List.of());
  }

  private static VoiceCallSession.Parts parts(FakeBackend backend, CallSessionSettings settings,
      VoiceAudioSettings.Segmenter segmenter, Duration turnSilence) {
    return new VoiceCallSession.Parts(backend,
        language -> Optional.of(new ScriptedRecognizer("what is the return policy")),
        language -> Optional.of(new ToneSynthesizer()),
        () -> SpeechSegmenter.flow(() -> new EnergyVad(10, -55), segmenter, 16),
        () -> Flow.<String>create().via(new SentenceSplitter()),
        (text, language) -> turnSilence,
        "energy",
        settings);
  }

  /** One call driven by a test: what it sends, and everything it got back in order. */
  private static final class Harness {
    final FakeBackend backend = new FakeBackend();
    final BoundedSourceQueue<ClientMessage> in;
    final LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
    final List<VoiceEvent> seen = new ArrayList<>();
    long lastAudioAt;
    private final int frame;
    private long audioSinceEvent;

    Harness(int frame, Duration turnSilence) {
      this(frame, turnSilence, audio.segmenter());
    }

    Harness(int frame, Duration turnSilence, VoiceAudioSettings.Segmenter segmenter) {
      this.frame = frame;
      CallSessionSettings settings = new CallSessionSettings(10, 4096, 200, Duration.ofMillis(20),
          Duration.ofMillis(100), 256);
      Pair<BoundedSourceQueue<ClientMessage>, Source<ClientMessage, NotUsed>> queue =
          Source.<ClientMessage>queue(4096).preMaterialize(testKit.system());
      in = queue.first();
      queue.second()
          .via(VoiceCallSession.flow(testKit.system(), parts(backend, settings, segmenter, turnSilence), CALLER,
              () -> {}, () -> {}))
          .runWith(Sink.foreach(message -> {
            if (message instanceof ServerMessage.Audio) {
              received.add(new AudioAt(System.nanoTime()));
            } else if (message instanceof ServerMessage.Event event) {
              received.add(event.event());
            } else {
              received.add(message);
            }
          }), testKit.system());
    }

    record AudioAt(long nanos) {}

    void start() throws InterruptedException {
      send(VoiceCallSessionTest.start());
      silence(500); // the caller's room before they speak: the energy detector learns its noise floor
      VoiceEvent.Started started = next(VoiceEvent.Started.class);
      assertEquals("scripted", started.asr());
    }

    void send(ClientMessage message) {
      assertEquals(org.apache.pekko.stream.QueueOfferResult.enqueued(), in.offer(message));
    }

    /** Sends {@code millis} of loud voiced sound (speech to the energy detector); returns when it was sent. */
    long speak(int millis) {
      long at = System.nanoTime();
      send(millis, 0.3);
      return at;
    }

    void silence(int millis) {
      send(millis, 0.0003);
    }

    private void send(int millis, double amplitude) {
      int samples = millis * Pcm.SAMPLE_RATE / 1000;
      short[] pcm = new short[samples];
      java.util.Random noise = new java.util.Random(millis);
      for (int i = 0; i < samples; i++) {
        double tone = Math.sin(2 * Math.PI * 180 * i / Pcm.SAMPLE_RATE) + 0.5 * Math.sin(2 * Math.PI * 360 * i
            / Pcm.SAMPLE_RATE);
        pcm[i] = (short) (32767 * (amplitude * tone * 0.6 + 0.0003 * noise.nextGaussian()));
      }
      for (int offset = 0; offset < samples; offset += 640) {
        send(new ClientMessage.Audio(Pcm.bytes(pcm, offset, Math.min(640, samples - offset))));
      }
    }

    <T extends VoiceEvent> T next(Class<T> type) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        Object next = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (next == null) break;
        if (next instanceof AudioAt at) {
          lastAudioAt = at.nanos();
          audioSinceEvent++;
          continue;
        }
        if (next instanceof VoiceEvent event) {
          seen.add(event);
          audioSinceEvent = 0;
          if (type.isInstance(event)) return type.cast(event);
        }
      }
      throw new AssertionError("no " + type.getSimpleName() + " within 10 s; seen " + seen);
    }

    VoiceEvent.Transcript nextFinalTranscript() throws InterruptedException {
      while (true) {
        VoiceEvent.Transcript transcript = next(VoiceEvent.Transcript.class);
        if (transcript.isFinal()) return transcript;
      }
    }

    /** Audio frames received since the last event was taken (then waits briefly for stragglers). */
    long audioSinceLastEvent() throws InterruptedException {
      Object more;
      while ((more = received.poll(200, TimeUnit.MILLISECONDS)) != null) {
        if (more instanceof AudioAt at) {
          lastAudioAt = at.nanos();
          audioSinceEvent++;
        } else {
          received.add(more);
          break;
        }
      }
      // Put events back in order: only audio was consumed above, and the first event stopped the loop.
      return audioSinceEvent;
    }

    void audioFrames(int count) throws InterruptedException {
      int got = 0;
      while (got < count) {
        Object next = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(next, "audio frames");
        if (next instanceof AudioAt at) {
          lastAudioAt = at.nanos();
          got++;
        } else if (next instanceof VoiceEvent event) {
          seen.add(event);
        }
      }
    }

    int audioUntil(Class<? extends VoiceEvent> type) throws InterruptedException {
      int frames = 0;
      while (true) {
        Object next = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(next, "no " + type.getSimpleName() + "; seen " + seen);
        if (next instanceof AudioAt) {
          frames++;
        } else if (next instanceof VoiceEvent event) {
          seen.add(event);
          if (type.isInstance(event)) return frames;
        }
      }
    }

    void stop() {
      send(new ClientMessage.Stop());
    }
  }

  /** Hears {@code text} in any utterance: a partial after the first chunk, the final when the audio ends. */
  private static final class ScriptedRecognizer implements SpeechRecognizer {
    private final String text;

    ScriptedRecognizer(String text) {
      this.text = text;
    }

    @Override
    public String name() {
      return "scripted";
    }

    @Override
    public boolean supports(String language) {
      return true;
    }

    @Override
    public Flow<ByteString, Transcript, NotUsed> recognize(String language) {
      return Flow.<ByteString>create()
          .fold(0, (bytes, chunk) -> bytes + chunk.size())
          .mapConcat(bytes -> List.of(new Transcript(text.split(" ")[0], false), new Transcript(text, true)));
    }
  }

  /** Speaks each sentence as a tone of 30 ms per character. */
  private static final class ToneSynthesizer implements SpeechSynthesizer {
    @Override
    public String name() {
      return "tone";
    }

    @Override
    public boolean supports(String language) {
      return true;
    }

    @Override
    public Source<ByteString, NotUsed> synthesize(String text, VoiceOptions voice) {
      int samples = text.length() * 30 * Pcm.SAMPLE_RATE / 1000;
      short[] pcm = new short[samples];
      for (int i = 0; i < samples; i++) pcm[i] = (short) (8000 * Math.sin(2 * Math.PI * 440 * i / Pcm.SAMPLE_RATE));
      return Source.single(Pcm.bytes(pcm));
    }
  }

  /** Cuts text at '.', a stand-in for the real chunker. */
  private static final class SentenceSplitter extends org.apache.pekko.stream.stage.GraphStage<
      org.apache.pekko.stream.FlowShape<String, String>> {
    final org.apache.pekko.stream.Inlet<String> in = org.apache.pekko.stream.Inlet.create("in");
    final org.apache.pekko.stream.Outlet<String> out = org.apache.pekko.stream.Outlet.create("out");

    @Override
    public org.apache.pekko.stream.FlowShape<String, String> shape() {
      return org.apache.pekko.stream.FlowShape.of(in, out);
    }

    @Override
    public org.apache.pekko.stream.stage.GraphStageLogic createLogic(org.apache.pekko.stream.Attributes attributes) {
      return new org.apache.pekko.stream.stage.GraphStageLogic(shape()) {
        final StringBuilder buffer = new StringBuilder();

        {
          setHandler(in, new org.apache.pekko.stream.stage.AbstractInHandler() {
            @Override
            public void onPush() {
              buffer.append(grab(in));
              List<String> sentences = new ArrayList<>();
              int dot;
              while ((dot = buffer.indexOf(". ")) >= 0) {
                sentences.add(buffer.substring(0, dot + 1).replaceAll("\\[\\d+]", "").strip());
                buffer.delete(0, dot + 2);
              }
              if (sentences.isEmpty()) pull(in);
              else emitMultiple(out, sentences.iterator());
            }

            @Override
            public void onUpstreamFinish() {
              if (buffer.length() > 0) emit(out, buffer.toString().replaceAll("\\[\\d+]", "").strip());
              completeStage();
            }
          });
          setHandler(out, new org.apache.pekko.stream.stage.AbstractOutHandler() {
            @Override
            public void onPull() {
              if (!hasBeenPulled(in)) pull(in);
            }
          });
        }
      };
    }
  }

  /** The conversation answers every turn with {@link #REPLY}, in word deltas; records what the session asks. */
  static class FakeBackend implements CallBackend {
    final LinkedBlockingQueue<String> sent = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<Pair<String, Integer>> interrupted = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<TurnRecord> recorded = new LinkedBlockingQueue<>();
    final ConcurrentLinkedQueue<String> ended = new ConcurrentLinkedQueue<>();
    private int replies;

    @Override
    public CompletionStage<OpenCall> open(CallIdentity caller, ClientMessage.Start start, String callIdIfNew) {
      return CompletableFuture.completedFuture(new OpenCall(callIdIfNew, "conversation-1", false, List.of()));
    }

    @Override
    public synchronized CompletionStage<SentTurn> send(CallIdentity caller, String conversationId, String text,
        String idempotencyKey) {
      sent.add(text);
      replies++;
      return CompletableFuture.completedFuture(new SentTurn("message-" + replies, "reply-" + replies));
    }

    @Override
    public Source<ReplyEvent, NotUsed> reply(CallIdentity caller, String conversationId, String replyId,
        long afterSeq) {
      List<ReplyEvent> events = new ArrayList<>();
      String[] words = REPLY.split("(?<= )");
      for (int i = 0; i < words.length; i++) events.add(new ReplyEvent.Delta(i + 1, words[i]));
      events.add(new ReplyEvent.Done("message", replyId, "completed", null, "fake", 1, 1, 1, words.length));
      return Source.from(events);
    }

    @Override
    public CompletionStage<Done> interrupt(CallIdentity caller, String conversationId, String replyId,
        int heardChars) {
      interrupted.add(Pair.create(replyId, heardChars));
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> recordTurn(CallIdentity caller, String callId, TurnRecord turn) {
      recorded.add(turn);
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> disconnected(CallIdentity caller, String callId, String reason) {
      ended.add("disconnected " + reason);
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> end(CallIdentity caller, String callId, String reason) {
      ended.add("ended " + reason);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }
}
