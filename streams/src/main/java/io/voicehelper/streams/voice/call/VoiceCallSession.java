package io.voicehelper.streams.voice.call;

import io.voicehelper.entities.conversation.ReplyEvent;
import io.voicehelper.entities.conversation.ReplyGenerator;
import io.voicehelper.entities.voice.CallIdentity;
import io.voicehelper.entities.voice.ClientMessage;
import io.voicehelper.entities.voice.ServerMessage;
import io.voicehelper.entities.voice.VoiceEvent;
import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.SpeechRecognizer;
import io.voicehelper.streams.voice.SpeechSynthesizer;
import io.voicehelper.streams.voice.VoiceOptions;
import io.voicehelper.streams.voice.audio.SegmentEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.ThrottleMode;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSink;
import org.apache.pekko.util.ByteString;

/**
 * One voice call on the node that holds its socket: the caller's audio in, events and the assistant's voice out.
 * Audio never leaves this node; only the caller's turns (text) and the replies cross the cluster, through the call's
 * conversation.
 *
 * <p>A turn: the segmenter says speech started (and, if the assistant was speaking, that is a barge-in: its audio
 * stops at once and its reply is cut to what the caller heard); the utterance's audio streams into the recognizer,
 * whose partial transcripts go to the client; after the speech ends and the final transcript arrives, the
 * {@link TurnPolicy}'s silence ends the turn unless the caller speaks again. The turn's text goes to the
 * conversation like a chat message; the reply's text streams back, is cut into sentences and synthesized sentence
 * by sentence, so speaking starts while the model is still writing, and its audio is sent paced at real time (a
 * little ahead: {@code playback-lead}), so that what the caller heard is known when they interrupt.
 *
 * <p>Every queue is bounded: the client's (a client that lets it fill is closed with 1008), the recognizer's, the
 * sentences'. Inputs arrive with backpressure (the client's messages and the segmenter's events).
 */
public final class VoiceCallSession extends AbstractBehavior<VoiceCallSession.Command> {

  /** Close code for a client too slow to take its messages (and a few other policy breaks). */
  public static final int POLICY_VIOLATION = 1008;
  /** Close code for a call that could not be opened for a reason that may pass. */
  public static final int TRY_AGAIN_LATER = 1013;

  // ---------------------------------------------------------------------------------------------------------------
  // Protocol

  public interface Command {}

  enum Ack { INSTANCE }

  record FromClient(ClientMessage message, ActorRef<Ack> ackTo) implements Command {}

  record ClientStarted(ActorRef<Ack> ackTo) implements Command {}

  enum ClientEnded implements Command { INSTANCE }

  private enum GiveUp implements Command { INSTANCE }

  /** How long a closed session waits for its client to take the close before it stops anyway. */
  private static final Duration GIVE_UP = Duration.ofSeconds(5);

  record ClientFailed(Throwable cause) implements Command {}

  record FromAudio(SegmentEvent event, ActorRef<Ack> ackTo) implements Command {}

  record AudioStarted(ActorRef<Ack> ackTo) implements Command {}

  enum AudioEnded implements Command { INSTANCE }

  record AudioFailed(Throwable cause) implements Command {}

  private record Opened(CallBackend.OpenCall call) implements Command {}

  private record OpenFailed(Throwable cause) implements Command {}

  private record Heard(int utterance, SpeechRecognizer.Transcript transcript) implements Command {}

  private record RecognitionEnded(int utterance, Throwable failure) implements Command {}

  private record TurnDue(int listenSeq) implements Command {}

  private record Accepted(int turn, CallBackend.SentTurn sent) implements Command {}

  private record NotAccepted(int turn, Throwable cause) implements Command {}

  private record ReplyElement(int turn, ReplyEvent event, ActorRef<Ack> ackTo) implements Command {}

  private record ReplyStarted(int turn, ActorRef<Ack> ackTo) implements Command {}

  private record ReplyEnded(int turn, Throwable failure) implements Command {}

  private record SpeechFrame(int turn, Frame frame, ActorRef<Ack> ackTo) implements Command {}

  private record SpeechStarted(int turn, ActorRef<Ack> ackTo) implements Command {}

  private record SpeechEnded(int turn, Throwable failure) implements Command {}

  /** One frame of synthesized audio, with the sentence it belongs to. */
  record Frame(ByteString pcm, String text, long offsetMillis, long sentenceMillis) {}

  /** A sentence as it was sent: its text, when its audio began in the turn's audio, and how long it lasts. */
  record SentSentence(String text, long startMillis, long millis) {}

  /** A sentence and its whole audio. */
  private record Spoken(String text, ByteString audio) {}

  // ---------------------------------------------------------------------------------------------------------------
  // Wiring

  /** What a session is built from; one per node, shared by its calls. */
  public record Parts(
      CallBackend backend,
      java.util.function.Function<String, Optional<SpeechRecognizer>> recognizers,
      java.util.function.Function<String, Optional<SpeechSynthesizer>> synthesizers,
      java.util.function.Supplier<Flow<ByteString, SegmentEvent, NotUsed>> audioFront,
      java.util.function.Supplier<Flow<String, String, NotUsed>> sentences,
      TurnPolicy turnPolicy,
      String vadName,
      CallSessionSettings settings) {}

  /**
   * The session's flow: what the client sends in, what the server answers out. The session's actor lives as long
   * as the flow; {@code onStart} runs when it is materialized, {@code onStop} when its actor stops.
   */
  public static Flow<ClientMessage, ServerMessage, NotUsed> flow(
      org.apache.pekko.actor.typed.ActorSystem<?> system, Parts parts, CallIdentity caller, Runnable onStart,
      Runnable onStop) {
    return Flow.<ClientMessage, ServerMessage, NotUsed>fromMaterializer((materializer, attributes) -> {
      onStart.run();
      Pair<BoundedSourceQueue<ServerMessage>, Source<ServerMessage, NotUsed>> out =
          Source.<ServerMessage>queue(parts.settings().outBuffer()).preMaterialize(materializer);
      ActorRef<Command> session = system.systemActorOf(
          Behaviors.<Command>setup(context -> Behaviors.withTimers(timers ->
              new VoiceCallSession(context, timers, parts, caller, out.first(), onStop))),
          "voice-call-" + UUID.randomUUID(), org.apache.pekko.actor.typed.Props.empty());
      Sink<ClientMessage, NotUsed> audio = Flow.<ClientMessage>create()
          .map(message -> ((ClientMessage.Audio) message).pcm())
          .via(parts.audioFront().get())
          .to(ActorSink.actorRefWithBackpressure(session, (ActorRef<Ack> ack, SegmentEvent event) ->
              new FromAudio(event, ack), AudioStarted::new, Ack.INSTANCE, AudioEnded.INSTANCE, AudioFailed::new));
      Sink<ClientMessage, NotUsed> in = Flow.<ClientMessage>create()
          .divertTo(audio, message -> message instanceof ClientMessage.Audio)
          .to(ActorSink.actorRefWithBackpressure(session, (ActorRef<Ack> ack, ClientMessage message) ->
              new FromClient(message, ack), ClientStarted::new, Ack.INSTANCE, ClientEnded.INSTANCE,
              ClientFailed::new));
      Source<ServerMessage, NotUsed> toClient = out.second()
          .recover(SlowClient.class, () -> new ServerMessage.Close(POLICY_VIOLATION,
              "client too slow: " + parts.settings().outBuffer() + " messages unread"));
      return Flow.fromSinkAndSourceCoupled(in, toClient);
    }).mapMaterializedValue(ignored -> NotUsed.getInstance());
  }

  /** The client's queue filled: it does not read. */
  static final class SlowClient extends RuntimeException {
    SlowClient() {
      super("client too slow", null, false, false);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // State

  private final TimerScheduler<Command> timers;
  private final Parts parts;
  private final CallIdentity caller;
  private final BoundedSourceQueue<ServerMessage> out;
  private final Runnable onStop;
  private final CallSessionSettings settings;

  private ClientMessage.Start start;
  private VoiceOptions voice;
  private CallBackend.OpenCall call;
  private SpeechRecognizer recognizer;
  private SpeechSynthesizer synthesizer;
  private final List<FromClient> waiting = new ArrayList<>();
  private boolean closed;
  private String endReason = "client gone";

  // Listening: the caller's turn being heard.
  private int utterance;
  private BoundedSourceQueue<ByteString> recognition;
  private int listenSeq;
  private String listeningTurnId;
  private final StringBuilder heardText = new StringBuilder();
  private boolean speechActive;
  private int pendingFinals;
  private long speechEndedNanos = -1;
  private long finalNanos = -1;

  // Speaking: the assistant's reply to the last turn.
  private int turnSeq;
  private Turn speaking;
  private final Map<Integer, Turn> turns = new LinkedHashMap<>();

  private VoiceCallSession(ActorContext<Command> context, TimerScheduler<Command> timers, Parts parts,
      CallIdentity caller, BoundedSourceQueue<ServerMessage> out, Runnable onStop) {
    super(context);
    this.timers = timers;
    this.parts = parts;
    this.caller = caller;
    this.out = out;
    this.onStop = onStop;
    this.settings = parts.settings();
  }

  /** A turn of the call: the caller's words and the reply being spoken. */
  private static final class Turn {
    final int seq;
    final String turnId;
    final String input;
    final String transcript;
    final long endOfSpeechNanos;
    final long finalNanos;
    String messageId;
    String replyId;
    long firstTokenNanos = -1;
    long firstAudioNanos = -1;
    final StringBuilder replyText = new StringBuilder();
    boolean replyDone;
    BoundedSourceQueue<String> toSpeak;
    UniqueKillSwitch speech;
    UniqueKillSwitch reply;
    ActorRef<Ack> speechAck;
    long playStartNanos = -1;
    long sentMillis;
    final List<SentSentence> sentences = new ArrayList<>();
    boolean speechDone;
    boolean interrupted;
    boolean recorded;

    Turn(int seq, String turnId, String input, String transcript, long endOfSpeechNanos, long finalNanos) {
      this.seq = seq;
      this.turnId = turnId;
      this.input = input;
      this.transcript = transcript;
      this.endOfSpeechNanos = endOfSpeechNanos;
      this.finalNanos = finalNanos;
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ClientStarted.class, m -> ack(m.ackTo()))
        .onMessage(FromClient.class, this::onClient)
        .onMessageEquals(ClientEnded.INSTANCE, () -> gone("client gone"))
        .onMessageEquals(GiveUp.INSTANCE, () -> gone("client did not take the close"))
        .onMessage(ClientFailed.class, m -> gone("connection failed"))
        .onMessage(AudioStarted.class, m -> ack(m.ackTo()))
        .onMessage(FromAudio.class, this::onAudio)
        .onMessageEquals(AudioEnded.INSTANCE, () -> this)
        .onMessage(AudioFailed.class, this::onAudioFailed)
        .onMessage(Opened.class, this::onOpened)
        .onMessage(OpenFailed.class, this::onOpenFailed)
        .onMessage(Heard.class, this::onHeard)
        .onMessage(RecognitionEnded.class, this::onRecognitionEnded)
        .onMessage(TurnDue.class, this::onTurnDue)
        .onMessage(Accepted.class, this::onAccepted)
        .onMessage(NotAccepted.class, this::onNotAccepted)
        .onMessage(ReplyStarted.class, this::onReplyStarted)
        .onMessage(ReplyElement.class, this::onReplyElement)
        .onMessage(ReplyEnded.class, this::onReplyEnded)
        .onMessage(SpeechStarted.class, this::onSpeechStarted)
        .onMessage(SpeechFrame.class, this::onSpeechFrame)
        .onMessage(SpeechEnded.class, this::onSpeechEnded)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> ack(ActorRef<Ack> ackTo) {
    ackTo.tell(Ack.INSTANCE);
    return this;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The client

  private Behavior<Command> onClient(FromClient m) {
    ClientMessage message = m.message();
    if (message instanceof ClientMessage.Violation violation) {
      endReason = "protocol violation";
      return close(violation.code(), violation.reason(), m.ackTo());
    }
    if (call == null) {
      if (start == null && message instanceof ClientMessage.Start s) {
        begin(s);
        return ack(m.ackTo());
      }
      if (start == null) return close(1003, "the first message must be 'start'", m.ackTo());
      // Opening: hold the client (backpressure) until the call is open. At most one message waits.
      waiting.add(m);
      return this;
    }
    if (message instanceof ClientMessage.Start) {
      emit(new VoiceEvent.Error("already-started", "This call has started; send 'stop' to end it."));
    } else if (message instanceof ClientMessage.Text text) {
      interruptSpeaking("typed");
      abandonListening();
      beginTurn(UUID.randomUUID().toString(), "text", text.text(), -1, System.nanoTime());
    } else if (message instanceof ClientMessage.Interrupt) {
      interruptSpeaking("interrupt");
    } else if (message instanceof ClientMessage.Stop) {
      interruptSpeaking("call ended");
      endReason = "caller";
      parts.backend().end(caller, call.callId(), "caller");
      emit(new VoiceEvent.Ended(call.callId(), "caller"));
      return close(1000, "call ended", m.ackTo());
    }
    return ack(m.ackTo());
  }

  private void begin(ClientMessage.Start s) {
    start = s;
    try {
      voice = new VoiceOptions(s.language(), s.voice(), s.style(), s.rate(), s.pitch());
    } catch (IllegalArgumentException e) {
      voice = VoiceOptions.of("en-US");
    }
    recognizer = parts.recognizers().apply(s.language()).orElse(null);
    synthesizer = parts.synthesizers().apply(s.language()).orElse(null);
    String newCallId = UUID.randomUUID().toString();
    getContext().pipeToSelf(parts.backend().open(caller, s, newCallId),
        (opened, failure) -> failure == null ? new Opened(opened) : new OpenFailed(failure));
  }

  private Behavior<Command> onOpened(Opened m) {
    call = m.call();
    emit(new VoiceEvent.Started(call.callId(), call.conversationId(), call.resumed(), start.language(),
        recognizer == null ? null : recognizer.name(), synthesizer == null ? null : synthesizer.name(),
        parts.vadName(), Pcm.SAMPLE_RATE, call.turns()));
    if (recognizer == null) {
      emit(new VoiceEvent.Error("no-recognizer", "No speech recognizer serves " + start.language()
          + " on this server: speak is off, typed text still works."));
    }
    if (synthesizer == null) {
      emit(new VoiceEvent.Error("no-synthesizer", "No speech synthesizer serves " + start.language()
          + " on this server: replies come as text only."));
    }
    getContext().getLog().info("Voice call {} of tenant {} open (conversation {}, {}, asr {}, tts {})",
        call.callId(), caller.tenantId(), call.conversationId(), call.resumed() ? "resumed" : "new",
        recognizer == null ? "none" : recognizer.name(), synthesizer == null ? "none" : synthesizer.name());
    List<FromClient> held = new ArrayList<>(waiting);
    waiting.clear();
    Behavior<Command> next = this;
    for (FromClient message : held) next = onClient(message);
    return next;
  }

  private Behavior<Command> onOpenFailed(OpenFailed m) {
    Throwable cause = unwrap(m.cause());
    endReason = "not opened";
    if (cause instanceof CallBackend.CallFailure failure) {
      emit(new VoiceEvent.Error(failure.code(), failure.getMessage()));
      // Something that may pass (the cluster was busy): try again later; anything else is the request's own fault.
      boolean transient_ = Set.of("unavailable", "limits-unavailable", "busy").contains(failure.code());
      return close(transient_ ? TRY_AGAIN_LATER : POLICY_VIOLATION, failure.getMessage(), null);
    }
    getContext().getLog().warn("Could not open a voice call for tenant {}: {}", caller.tenantId(), cause.toString());
    emit(new VoiceEvent.Error("unavailable", "The call could not be opened just now; try again."));
    return close(TRY_AGAIN_LATER, "call could not be opened; retry", null);
  }

  private Behavior<Command> gone(String reason) {
    if (call != null && !"caller".equals(endReason)) {
      parts.backend().disconnected(caller, call.callId(), reason);
      interruptSpeaking("caller left");
    }
    return Behaviors.stopped();
  }

  /**
   * Sends the close and ends the client's queue. The session stays until the client's side ends (the edge ends it
   * once the close went out), because stopping now would cut the queue before the close is delivered; a client that
   * never takes it is given up on after {@link #GIVE_UP}.
   */
  private Behavior<Command> close(int code, String reason, ActorRef<Ack> ackTo) {
    if (!closed) {
      closed = true;
      offer(new ServerMessage.Close(code, reason));
      complete(out);
      timers.startSingleTimer("give-up", GiveUp.INSTANCE, GIVE_UP);
    }
    if (ackTo != null) ackTo.tell(Ack.INSTANCE);
    return this;
  }

  private void emit(VoiceEvent event) {
    offer(new ServerMessage.Event(event));
  }

  private void offer(ServerMessage message) {
    if (closed && !(message instanceof ServerMessage.Close)) return;
    QueueOfferResult result = out.offer(message);
    if (result == QueueOfferResult.dropped()) {
      closed = true;
      getContext().getLog().info("Voice call {}: the client reads too slowly; closing it",
          call == null ? "(opening)" : call.callId());
      out.fail(new SlowClient());
      endReason = "client too slow";
      timers.startSingleTimer("give-up", GiveUp.INSTANCE, GIVE_UP);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Listening

  private Behavior<Command> onAudio(FromAudio m) {
    m.ackTo().tell(Ack.INSTANCE);
    if (call == null || closed) return this;
    SegmentEvent event = m.event();
    if (event instanceof SegmentEvent.SpeechStarted started) {
      speechActive = true;
      timers.cancel("turn");
      listenSeq++;
      if (listeningTurnId == null) listeningTurnId = UUID.randomUUID().toString();
      emit(new VoiceEvent.Vad("start", started.atMillis()));
      if (speaking != null && !speaking.speechDone) {
        emit(new VoiceEvent.BargeIn(speaking.turnId));
        interruptSpeaking("barge-in");
      }
      openRecognition();
    } else if (event instanceof SegmentEvent.Audio audio) {
      if (recognition != null && recognition.offer(audio.audio()) == QueueOfferResult.dropped()) {
        getContext().getLog().warn("Voice call {}: the recognizer fell behind; utterance dropped", call.callId());
        recognition.fail(new IllegalStateException("recognizer too slow"));
        recognition = null;
      }
    } else if (event instanceof SegmentEvent.SpeechEnded ended) {
      speechActive = false;
      speechEndedNanos = System.nanoTime();
      emit(new VoiceEvent.Vad("end", ended.atMillis()));
      if (recognition != null) {
        recognition.complete();
        recognition = null;
      }
      scheduleTurnEnd();
    }
    return this;
  }

  private Behavior<Command> onAudioFailed(AudioFailed m) {
    getContext().getLog().warn("Voice call {}: audio processing failed: {}", call == null ? "-" : call.callId(),
        m.cause().toString());
    emit(new VoiceEvent.Error("audio-failed", "The audio could not be processed."));
    return close(1011, "audio processing failed", null);
  }

  private void openRecognition() {
    if (recognizer == null) return;
    int id = ++utterance;
    pendingFinals++;
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> queue =
        Source.<ByteString>queue(settings.asrBuffer()).preMaterialize(getContext().getSystem());
    recognition = queue.first();
    ActorRef<Command> self = getContext().getSelf();
    queue.second()
        .via(recognizer.recognize(start.language()))
        .runWith(Sink.foreach(transcript -> self.tell(new Heard(id, transcript))), getContext().getSystem())
        .whenComplete((done, failure) -> self.tell(new RecognitionEnded(id, failure)));
  }

  private Behavior<Command> onHeard(Heard m) {
    if (listeningTurnId == null) return this;
    String text = m.transcript().text().strip();
    if (!m.transcript().isFinal()) {
      if (!text.isEmpty()) {
        emit(new VoiceEvent.Transcript(listeningTurnId, join(heardText.toString(), text), false));
      }
      return this;
    }
    if (!text.isEmpty()) {
      if (heardText.length() > 0) heardText.append(' ');
      heardText.append(text);
      emit(new VoiceEvent.Transcript(listeningTurnId, heardText.toString(), false));
    }
    return this;
  }

  private Behavior<Command> onRecognitionEnded(RecognitionEnded m) {
    pendingFinals = Math.max(0, pendingFinals - 1);
    if (m.failure() != null) {
      getContext().getLog().warn("Voice call {}: recognition failed: {}", call == null ? "-" : call.callId(),
          m.failure().toString());
      emit(new VoiceEvent.Error("asr-failed", "That could not be recognized; please say it again."));
    }
    finalNanos = System.nanoTime();
    scheduleTurnEnd();
    return this;
  }

  private void scheduleTurnEnd() {
    if (speechActive || pendingFinals > 0 || listeningTurnId == null) return;
    Duration wait = parts.turnPolicy().silenceToEnd(heardText.toString(), start.language());
    long waited = speechEndedNanos < 0 ? 0 : System.nanoTime() - speechEndedNanos;
    Duration remaining = wait.minusNanos(waited);
    if (remaining.isNegative()) remaining = Duration.ZERO;
    timers.startSingleTimer("turn", new TurnDue(listenSeq), remaining);
  }

  private Behavior<Command> onTurnDue(TurnDue m) {
    if (m.listenSeq() != listenSeq || speechActive || pendingFinals > 0 || listeningTurnId == null) return this;
    String text = heardText.toString().strip();
    String turnId = listeningTurnId;
    long endOfSpeech = speechEndedNanos;
    long heardAt = finalNanos < 0 ? System.nanoTime() : finalNanos;
    abandonListening();
    if (text.isEmpty()) return this; // a noise the recognizer made nothing of
    emit(new VoiceEvent.Transcript(turnId, text, true));
    beginTurn(turnId, "voice", text, endOfSpeech, heardAt);
    return this;
  }

  private void abandonListening() {
    timers.cancel("turn");
    listenSeq++;
    listeningTurnId = null;
    heardText.setLength(0);
    speechEndedNanos = -1;
    finalNanos = -1;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Replying

  private void beginTurn(String turnId, String input, String text, long endOfSpeechNanos, long finalNanos) {
    Turn turn = new Turn(++turnSeq, turnId, input, text, endOfSpeechNanos, finalNanos);
    turns.put(turn.seq, turn);
    speaking = turn;
    getContext().pipeToSelf(parts.backend().send(caller, call.conversationId(), text, call.callId() + ":" + turnId),
        (sent, failure) -> failure == null ? new Accepted(turn.seq, sent) : new NotAccepted(turn.seq, failure));
  }

  private Behavior<Command> onAccepted(Accepted m) {
    Turn turn = turns.get(m.turn());
    if (turn == null) return this;
    turn.messageId = m.sent().messageId();
    turn.replyId = m.sent().replyId();
    if (turn.interrupted) {
      // Interrupted before the conversation even answered: cut the reply to nothing.
      parts.backend().interrupt(caller, call.conversationId(), turn.replyId, 0);
      record(turn, "");
      return this;
    }
    if (synthesizer != null) startSpeech(turn);
    ActorRef<Command> self = getContext().getSelf();
    int seq = turn.seq;
    turn.reply = parts.backend().reply(caller, call.conversationId(), turn.replyId, 0)
        .viaMat(KillSwitches.single(), Keep.right())
        .to(ActorSink.actorRefWithBackpressure(self, (ActorRef<Ack> ack, ReplyEvent event) ->
                new ReplyElement(seq, event, ack), ack -> new ReplyStarted(seq, ack), Ack.INSTANCE,
            new ReplyEnded(seq, null), failure -> new ReplyEnded(seq, failure)))
        .run(getContext().getSystem());
    return this;
  }

  private Behavior<Command> onNotAccepted(NotAccepted m) {
    Turn turn = turns.remove(m.turn());
    if (speaking == turn) speaking = null;
    Throwable cause = unwrap(m.cause());
    if (cause instanceof CallBackend.CallFailure failure) {
      emit(new VoiceEvent.Error(failure.code(), failure.getMessage()));
    } else {
      getContext().getLog().warn("Voice call {}: the conversation did not take a turn: {}", call.callId(),
          cause.toString());
      emit(new VoiceEvent.Error("unavailable", "The turn could not be sent just now; please say it again."));
    }
    return this;
  }

  private Behavior<Command> onReplyStarted(ReplyStarted m) {
    return ack(m.ackTo());
  }

  private Behavior<Command> onReplyElement(ReplyElement m) {
    m.ackTo().tell(Ack.INSTANCE);
    Turn turn = turns.get(m.turn());
    if (turn == null || turn.interrupted) return this;
    if (m.event() instanceof ReplyEvent.Delta delta) {
      if (turn.firstTokenNanos < 0) turn.firstTokenNanos = System.nanoTime();
      turn.replyText.append(delta.text());
      emit(new VoiceEvent.ReplyDelta(turn.turnId, turn.replyId, delta.seq(), delta.text()));
      if (turn.toSpeak != null && turn.toSpeak.offer(delta.text()) == QueueOfferResult.dropped()) {
        getContext().getLog().warn("Voice call {}: synthesis fell behind the reply; its voice stops here",
            call.callId());
        endText(turn);
      }
    } else if (m.event() instanceof ReplyEvent.Done done) {
      turn.replyDone = true;
      ReplyGenerator.Grounding grounding = done.grounding();
      emit(new VoiceEvent.ReplyDone(turn.turnId, turn.replyId, done.status(),
          grounding == null ? null : grounding.mode(), grounding == null ? null : grounding.support(),
          grounding == null ? List.of() : grounding.citations()));
      endText(turn);
      if (synthesizer == null || turn.speech == null) {
        turn.speechDone = true;
        record(turn, turn.replyText.toString());
      }
    }
    return this;
  }

  private Behavior<Command> onReplyEnded(ReplyEnded m) {
    Turn turn = turns.get(m.turn());
    if (turn != null && m.failure() != null && !turn.replyDone && !turn.interrupted) {
      getContext().getLog().warn("Voice call {}: the reply stream failed: {}", call.callId(), m.failure().toString());
      emit(new VoiceEvent.Error("reply-failed", "The reply was cut off."));
      endText(turn);
    }
    return this;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Speaking

  private void startSpeech(Turn turn) {
    Pair<BoundedSourceQueue<String>, Source<String, NotUsed>> text =
        Source.<String>queue(settings.sentenceText()).preMaterialize(getContext().getSystem());
    turn.toSpeak = text.first();
    SpeechSynthesizer engine = synthesizer;
    VoiceOptions options = voice;
    org.apache.pekko.actor.typed.ActorSystem<?> system = getContext().getSystem();
    long frameMillis = settings.audioFrame().toMillis();
    int frameBytes = Pcm.bytesFor(frameMillis);
    int lead = (int) Math.max(1, settings.playbackLead().toMillis() / frameMillis);
    ActorRef<Command> self = getContext().getSelf();
    int seq = turn.seq;
    turn.speech = text.second()
        .via(parts.sentences().get())
        .mapAsync(1, sentence -> engine.synthesize(sentence, options)
            .runFold(ByteString.emptyByteString(), ByteString::concat, system)
            .thenApply(audio -> new Spoken(sentence, audio)))
        .buffer(1, OverflowStrategy.backpressure())
        .mapConcat(spoken -> frames(spoken, frameBytes))
        .throttle(1, settings.audioFrame(), lead, ThrottleMode.shaping())
        .viaMat(KillSwitches.single(), Keep.right())
        .to(ActorSink.actorRefWithBackpressure(self, (ActorRef<Ack> ack, Frame frame) -> new SpeechFrame(seq, frame,
                ack), ack -> new SpeechStarted(seq, ack), Ack.INSTANCE, new SpeechEnded(seq, null),
            failure -> new SpeechEnded(seq, failure)))
        .run(system);
  }

  private static List<Frame> frames(Spoken spoken, int frameBytes) {
    List<Frame> frames = new ArrayList<>();
    ByteString audio = spoken.audio();
    long total = Pcm.millis(audio.size());
    for (int offset = 0; offset < audio.size(); offset += frameBytes) {
      ByteString pcm = audio.slice(offset, Math.min(audio.size(), offset + frameBytes));
      frames.add(new Frame(pcm, spoken.text(), Pcm.millis(offset), total));
    }
    return frames;
  }

  private Behavior<Command> onSpeechStarted(SpeechStarted m) {
    return ack(m.ackTo());
  }

  private Behavior<Command> onSpeechFrame(SpeechFrame m) {
    Turn turn = turns.get(m.turn());
    if (turn == null || turn.interrupted || closed) {
      m.ackTo().tell(Ack.INSTANCE);
      return this;
    }
    if (turn.firstAudioNanos < 0) {
      turn.firstAudioNanos = System.nanoTime();
      turn.playStartNanos = turn.firstAudioNanos;
      emit(new VoiceEvent.TtsStart(turn.turnId));
    }
    if (m.frame().offsetMillis() == 0) {
      turn.sentences.add(new SentSentence(m.frame().text(), turn.sentMillis, m.frame().sentenceMillis()));
    }
    offer(new ServerMessage.Audio(m.frame().pcm()));
    turn.sentMillis += Pcm.millis(m.frame().pcm().size());
    m.ackTo().tell(Ack.INSTANCE);
    return this;
  }

  private Behavior<Command> onSpeechEnded(SpeechEnded m) {
    Turn turn = turns.get(m.turn());
    if (turn == null || turn.interrupted) return this;
    if (m.failure() != null) {
      getContext().getLog().warn("Voice call {}: synthesis failed: {}", call.callId(), m.failure().toString());
      emit(new VoiceEvent.Error("tts-failed", "The reply could not be spoken; it is shown as text."));
    }
    turn.speechDone = true;
    if (turn.firstAudioNanos >= 0) emit(new VoiceEvent.TtsEnd(turn.turnId, false, turn.sentMillis));
    if (turn.replyDone) record(turn, turn.replyText.toString());
    return this;
  }

  /** Stops the reply being spoken (if any): its audio at once, its generation, and cuts it to what was heard. */
  private void interruptSpeaking(String why) {
    Turn turn = speaking;
    if (turn == null || turn.interrupted || turn.recorded || (turn.speechDone && turn.replyDone)) return;
    turn.interrupted = true;
    if (turn.speech != null) turn.speech.shutdown();
    endText(turn);
    if (turn.reply != null) turn.reply.shutdown();
    long heardMs = turn.playStartNanos < 0 ? 0
        : Math.min(turn.sentMillis, (System.nanoTime() - turn.playStartNanos) / 1_000_000);
    String spoken = heardSpokenText(turn, heardMs);
    String reply = turn.replyText.toString();
    int heardChars = heardCharsOf(reply, spoken);
    if (turn.firstAudioNanos >= 0) emit(new VoiceEvent.TtsEnd(turn.turnId, true, heardMs));
    getContext().getLog().debug("Voice call {}: turn {} interrupted ({}) after {} ms, {} chars heard", call.callId(),
        turn.turnId, why, heardMs, heardChars);
    if (turn.replyId != null) {
      parts.backend().interrupt(caller, call.conversationId(), turn.replyId, heardChars);
      record(turn, reply.substring(0, Math.min(reply.length(), heardChars)));
    }
  }

  /** The spoken text the caller heard in {@code heardMs}: whole sentences, then the part of the last one. */
  static String heardSpokenText(Turn turn, long heardMs) {
    StringBuilder heard = new StringBuilder();
    for (SentSentence sentence : turn.sentences) {
      if (heardMs <= sentence.startMillis()) break;
      long into = heardMs - sentence.startMillis();
      if (into >= sentence.millis()) {
        heard.append(sentence.text()).append(' ');
      } else {
        int cut = (int) (sentence.text().length() * into / Math.max(1, sentence.millis()));
        int space = sentence.text().lastIndexOf(' ', cut);
        heard.append(sentence.text(), 0, space > 0 ? space : cut);
        break;
      }
    }
    return heard.toString().strip();
  }

  /**
   * How much of {@code reply} (its first n chars) the caller heard when they heard {@code spoken}: the sentences
   * spoken are the reply's text with markup and citation marks left out, so the letters and digits of one are
   * matched in order against the other's.
   */
  static int heardCharsOf(String reply, String spoken) {
    int r = 0;
    for (int s = 0; s < spoken.length(); s++) {
      char c = spoken.charAt(s);
      if (!Character.isLetterOrDigit(c)) continue;
      int found = -1;
      for (int i = r; i < reply.length(); i++) {
        if (Character.toLowerCase(reply.charAt(i)) == Character.toLowerCase(c)) {
          found = i;
          break;
        }
      }
      if (found < 0) break;
      r = found + 1;
    }
    return reply.codePointCount(0, r);
  }

  private void record(Turn turn, String spoken) {
    if (turn.recorded) return;
    turn.recorded = true;
    if (speaking == turn) speaking = null;
    Long endToFinal = turn.endOfSpeechNanos < 0 ? null : millis(turn.finalNanos - turn.endOfSpeechNanos);
    Long finalToToken = turn.firstTokenNanos < 0 ? null : millis(turn.firstTokenNanos - turn.finalNanos);
    Long tokenToAudio = turn.firstAudioNanos < 0 || turn.firstTokenNanos < 0 ? null
        : millis(turn.firstAudioNanos - turn.firstTokenNanos);
    Long endToAudio = turn.firstAudioNanos < 0 || turn.endOfSpeechNanos < 0 ? null
        : millis(turn.firstAudioNanos - turn.endOfSpeechNanos);
    emit(new VoiceEvent.Metrics(turn.turnId, endToFinal, finalToToken, tokenToAudio, endToAudio));
    parts.backend().recordTurn(caller, call.callId(), new CallBackend.TurnRecord(turn.turnId, turn.input,
            turn.transcript, turn.messageId, turn.replyId, spoken, turn.interrupted, endToFinal, finalToToken,
            tokenToAudio, endToAudio))
        .whenComplete((done, failure) -> {
          if (failure != null) {
            org.slf4j.LoggerFactory.getLogger(VoiceCallSession.class).warn(
                "Voice call {}: turn {} not recorded: {}", call.callId(), turn.turnId, failure.toString());
          }
        });
    turns.remove(turn.seq);
  }

  /** No more reply text for the turn's synthesis (a bounded queue completes only once). */
  private static void endText(Turn turn) {
    if (turn.toSpeak != null) {
      complete(turn.toSpeak);
      turn.toSpeak = null;
    }
  }

  private static long millis(long nanos) {
    return Math.max(0, nanos / 1_000_000);
  }

  private Behavior<Command> onPostStop() {
    try {
      if (recognition != null) complete(recognition);
      for (Turn turn : turns.values()) {
        if (turn.speech != null) turn.speech.shutdown();
        if (turn.reply != null) turn.reply.shutdown();
        endText(turn);
      }
      if (!closed) complete(out);
    } finally {
      // Always: the node counts its calls by this, and a call never counted as gone holds a max-calls slot forever.
      onStop.run();
    }
    return this;
  }

  /**
   * Completes {@code queue} unless its stream has ended already: a queue whose downstream cancelled (the client's
   * socket went away without a close, a synthesis stream shut down) refuses a second end with an exception.
   */
  private static void complete(BoundedSourceQueue<?> queue) {
    try {
      queue.complete();
    } catch (IllegalStateException alreadyEnded) {
      // Nothing more goes through it either way.
    }
  }

  private static String join(String before, String partial) {
    return before.isEmpty() ? partial : before + " " + partial;
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }
}
