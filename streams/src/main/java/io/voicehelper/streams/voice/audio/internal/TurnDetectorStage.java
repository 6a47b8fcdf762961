package io.voicehelper.streams.voice.audio.internal;

import io.voicehelper.streams.voice.audio.TurnDetector;
import io.voicehelper.streams.voice.audio.TurnSignal;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;

/**
 * Runs a {@link TurnDetector} in a stream: signals in (always pulled, so speech resuming is seen at once), turn
 * ends out when the detector's deadline passes, driven by a stage timer. A turn end waits for demand; turns are
 * seconds apart, so at most a few ever wait.
 */
public final class TurnDetectorStage extends GraphStage<FlowShape<TurnSignal, TurnDetector.TurnEnded>> {

  private static final String DEADLINE = "deadline";

  private final Inlet<TurnSignal> in = Inlet.create("TurnDetector.in");
  private final Outlet<TurnDetector.TurnEnded> out = Outlet.create("TurnDetector.out");
  private final FlowShape<TurnSignal, TurnDetector.TurnEnded> shape = FlowShape.of(in, out);
  private final Supplier<TurnDetector> newDetector;
  private final LongSupplier clockMillis;

  public TurnDetectorStage(Supplier<TurnDetector> newDetector, LongSupplier clockMillis) {
    this.newDetector = newDetector;
    this.clockMillis = clockMillis;
  }

  @Override
  public FlowShape<TurnSignal, TurnDetector.TurnEnded> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new TimerGraphStageLogic(shape) {
      private final TurnDetector detector = newDetector.get();

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            long now = clockMillis.getAsLong();
            grab(in).applyTo(detector, now);
            decide(now);
            pull(in);
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {}
        });
      }

      @Override
      public void preStart() {
        pull(in);
      }

      @Override
      public void onTimer(Object key) {
        decide(clockMillis.getAsLong());
      }

      private void decide(long now) {
        cancelTimer(DEADLINE);
        detector.poll(now).ifPresent(ended -> emit(out, ended));
        OptionalLong deadline = detector.deadline();
        if (deadline.isPresent()) {
          scheduleOnce(DEADLINE, Duration.ofMillis(Math.max(0, deadline.getAsLong() - now)));
        }
      }
    };
  }
}
