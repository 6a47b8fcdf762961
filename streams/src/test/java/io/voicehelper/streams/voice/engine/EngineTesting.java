package io.voicehelper.streams.voice.engine;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.DispatcherSelector;

/** The engines' settings and dispatcher as a test system sees them. */
final class EngineTesting {

  private EngineTesting() {}

  /** The settings of {@code reference.conf} with {@code overrides} (HOCON) on top. */
  static VoiceEngineSettings settings(String overrides) {
    return VoiceEngineSettings.fromConfig(ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()));
  }

  static Executor blocking(ActorTestKit testKit) {
    return testKit.system().dispatchers().lookup(DispatcherSelector.fromConfig(VoiceEngineSettings.DISPATCHER));
  }

  /** Processes of this JVM whose command line names {@code program}. */
  static List<ProcessHandle> running(String program) {
    return ProcessHandle.current().descendants()
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.endsWith(program)).orElse(false))
        .toList();
  }
}
