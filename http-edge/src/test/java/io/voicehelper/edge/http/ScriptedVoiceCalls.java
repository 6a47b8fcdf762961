package io.voicehelper.edge.http;

import io.voicehelper.entities.conversation.Citation;
import io.voicehelper.entities.voice.CallIdentity;
import io.voicehelper.entities.voice.ClientMessage;
import io.voicehelper.entities.voice.ServerMessage;
import io.voicehelper.entities.voice.VoiceEvent;
import io.voicehelper.entities.voice.VoiceSessions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Voice calls played from a script, for the voice page's browser test against the real edge: an energy detector
 * turns the caller's audio into one turn whose transcript is always {@link #QUESTION}; a typed {@code text} is a turn
 * of its own, except {@link #DROP} which breaks the connection (close 1011) so the page reconnects, and {@link #FAIL}
 * which fails with an {@code error} event. Every reply is
 * {@link #REPLY}, cited from {@code account-and-privacy.md} and read out as a 440 Hz tone in 20 ms frames on the
 * real-time clock: {@link #FIRST_REPLY_FRAMES} for the first turn (long enough to interrupt), {@link #REPLY_FRAMES}
 * after. {@code interrupt} cuts the tone. Calls outlive their connection, so {@code start} with a call id resumes one
 * with its turns.
 */
final class ScriptedVoiceCalls implements VoiceSessions {

  static final String QUESTION = "how do I reset my password";
  static final String REPLY = "On the sign-in screen, tap Forgot password? [1] Then choose a new password.";
  static final String DROP = "drop the line";
  static final String FAIL = "fail this turn";
  static final String FAILED = "The answer could not be generated; ask again.";
  static final int FIRST_REPLY_FRAMES = 200;
  static final int REPLY_FRAMES = 25;
  private static final int FRAME_SAMPLES = 320;
  private static final double SPEECH_RMS = 300; // of 32768: about -40 dBFS
  private static final int SPEECH_FRAMES = 5; // 100 ms of sound starts a turn
  private static final int SILENCE_FRAMES = 30; // 600 ms of quiet ends it

  private final Map<String, List<VoiceEvent.PastTurn>> calls = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  /** Every audio frame's size, as received. */
  final List<Integer> audioFrameSizes = new CopyOnWriteArrayList<>();

  @Override
  public Flow<ClientMessage, ServerMessage, NotUsed> open(CallIdentity caller) {
    Call call = new Call();
    return Flow.<ClientMessage>create().map(call::on).flatMapMerge(4, source -> source);
  }

  @Override
  public boolean hasRoom() {
    return true;
  }

  /** One connection's state; {@link #on} runs in one stream stage, the kill switch is shared with the reply's. */
  private final class Call {
    private String callId;
    private List<VoiceEvent.PastTurn> turns;
    private int speechFrames;
    private int silentFrames;
    private boolean speaking;
    private long frames;
    private final AtomicReference<UniqueKillSwitch> playing = new AtomicReference<>();
    private volatile String playingTurn;

    Source<ServerMessage, NotUsed> on(ClientMessage message) {
      if (message instanceof ClientMessage.Start start) return started(start);
      if (message instanceof ClientMessage.Audio audio) return heard(audio.pcm());
      if (message instanceof ClientMessage.Text text) {
        if (DROP.equals(text.text())) return Source.single(new ServerMessage.Close(1011, "scripted drop"));
        if (FAIL.equals(text.text())) return Source.single(event(new VoiceEvent.Error("turn-failed", FAILED)));
        return turn("text", text.text());
      }
      if (message instanceof ClientMessage.Interrupt) return interrupted();
      if (message instanceof ClientMessage.Stop) {
        return Source.from(List.of(event(new VoiceEvent.Ended(callId, "caller")),
            new ServerMessage.Close(1000, "call ended")));
      }
      if (message instanceof ClientMessage.Violation violation) {
        return Source.single(new ServerMessage.Close(violation.code(), violation.reason()));
      }
      return Source.empty();
    }

    private Source<ServerMessage, NotUsed> started(ClientMessage.Start start) {
      boolean resumed = start.callId() != null && calls.containsKey(start.callId());
      callId = resumed ? start.callId() : "call-" + ids.incrementAndGet();
      turns = calls.computeIfAbsent(callId, id -> new CopyOnWriteArrayList<>());
      return Source.single(event(new VoiceEvent.Started(callId, "conv-" + callId, resumed, start.language(),
          "scripted", "tone", "energy", 16000, List.copyOf(turns))));
    }

    private Source<ServerMessage, NotUsed> heard(ByteString pcm) {
      audioFrameSizes.add(pcm.size());
      frames++;
      ByteBuffer samples = pcm.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      double energy = 0;
      while (samples.remaining() >= 2) {
        double s = samples.getShort();
        energy += s * s;
      }
      boolean loud = Math.sqrt(energy / (pcm.size() / 2.0)) > SPEECH_RMS;
      if (!speaking) {
        speechFrames = loud ? speechFrames + 1 : 0;
        if (speechFrames < SPEECH_FRAMES) return Source.empty();
        speaking = true;
        silentFrames = 0;
        return Source.from(List.of(event(new VoiceEvent.Vad("start", frames * 20)),
            event(new VoiceEvent.Transcript(nextTurnId(), "how do", false))));
      }
      silentFrames = loud ? 0 : silentFrames + 1;
      if (silentFrames < SILENCE_FRAMES) return Source.empty();
      speaking = false;
      speechFrames = 0;
      return Source.single(event(new VoiceEvent.Vad("end", frames * 20))).concat(turn("voice", QUESTION));
    }

    private String nextTurnId() {
      return "turn-" + (turns.size() + 1);
    }

    private Source<ServerMessage, NotUsed> turn(String input, String transcript) {
      String turnId = nextTurnId();
      turns.add(new VoiceEvent.PastTurn(turnId, input, transcript, REPLY, false));
      String replyId = "reply-" + callId + "-" + turnId;
      List<ServerMessage> text = new ArrayList<>();
      text.add(event(new VoiceEvent.Transcript(turnId, transcript, true)));
      String[] words = REPLY.split(" ");
      for (int i = 0; i < words.length; i++) {
        text.add(event(new VoiceEvent.ReplyDelta(turnId, replyId, i + 1, (i == 0 ? "" : " ") + words[i])));
      }
      text.add(event(new VoiceEvent.ReplyDone(turnId, replyId, "completed", "rag", "supported",
          List.of(new Citation(1, "doc-1", "col-sample", "account-and-privacy.md", 1, "chunk-1",
              List.of("Resetting Your Password"), "1. On the sign-in screen, tap Forgot password?", 0.9)))));
      text.add(event(new VoiceEvent.TtsStart(turnId)));
      // The turn's hops are all known once its first audio is on its way.
      boolean spoken = input.equals("voice");
      text.add(event(new VoiceEvent.Metrics(turnId, spoken ? 310L : null, 42L, 150L, spoken ? 502L : null)));
      int count = turns.size() == 1 ? FIRST_REPLY_FRAMES : REPLY_FRAMES;
      Source<ServerMessage, NotUsed> speech = Source.range(0, count - 1)
          .<ServerMessage>map(i -> new ServerMessage.Audio(tone(i)))
          .throttle(1, Duration.ofMillis(20))
          .concat(Source.single(event(new VoiceEvent.TtsEnd(turnId, false, count * 20L))))
          .viaMat(KillSwitches.single(), Keep.right())
          .mapMaterializedValue(killSwitch -> {
            playing.set(killSwitch);
            playingTurn = turnId;
            return NotUsed.getInstance();
          });
      return Source.from(text).concat(speech);
    }

    private Source<ServerMessage, NotUsed> interrupted() {
      UniqueKillSwitch killSwitch = playing.getAndSet(null);
      if (killSwitch == null) return Source.empty();
      killSwitch.shutdown();
      String turnId = playingTurn;
      turns.replaceAll(t -> t.turnId().equals(turnId)
          ? new VoiceEvent.PastTurn(t.turnId(), t.input(), t.transcript(), "On the sign-in screen,", true) : t);
      return Source.single(event(new VoiceEvent.TtsEnd(turnId, true, 300)));
    }
  }

  private static ServerMessage event(VoiceEvent event) {
    return new ServerMessage.Event(event);
  }

  /** 20 ms of a 440 Hz tone at -18 dBFS, frame {@code index} of the reply. */
  private static ByteString tone(int index) {
    byte[] pcm = new byte[FRAME_SAMPLES * 2];
    ByteBuffer out = ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < FRAME_SAMPLES; i++) {
      double t = (index * FRAME_SAMPLES + i) / 16000.0;
      out.putShort((short) Math.round(4000 * Math.sin(2 * Math.PI * 440 * t)));
    }
    return ByteString.fromArrayUnsafe(pcm);
  }

  /** Sizes of the audio frames received, without repeats (the page should send one size). */
  List<Integer> distinctFrameSizes() {
    return audioFrameSizes.stream().distinct().sorted().toList();
  }
}
