package io.voicehelper.streams.voice.engine;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** Base of the engine tests: one actor system per test class, the engines' settings, dispatcher and processes. */
@ExtendWith(LogCapturingExtension.class)
abstract class EngineTesting {

  protected static ActorTestKit testKit;

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  /** The settings of {@code reference.conf} with {@code overrides} (HOCON) on top. */
  static VoiceEngineSettings settings(String overrides) {
    return VoiceEngineSettings.fromConfig(ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()));
  }

  /** The engine dispatcher of the test system. */
  static Executor blocking() {
    return testKit.system().dispatchers().lookup(DispatcherSelector.fromConfig(VoiceEngineSettings.DISPATCHER));
  }

  /** Processes of this JVM whose command line names {@code program}. */
  static List<ProcessHandle> running(String program) {
    return ProcessHandle.current().descendants()
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.endsWith(program)).orElse(false))
        .toList();
  }

  /** Waits (up to 10 s) until exactly {@code processes} of {@code program} run. */
  static void expectRunning(String program, int processes) {
    TestProbe<Void> waiter = testKit.createTestProbe();
    waiter.awaitAssert(Duration.ofSeconds(10), () -> {
      org.junit.jupiter.api.Assertions.assertEquals(processes, running(program).size());
      return null;
    });
  }
}
