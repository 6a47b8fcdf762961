package io.voicehelper.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CommonPoolTest {

  /** Prints the common pool's parallelism after {@link CommonPool#ensureParallelism()}, as main would. */
  public static final class Probe {
    public static void main(String[] args) {
      CommonPool.ensureParallelism();
      System.out.print(java.util.concurrent.ForkJoinPool.getCommonPoolParallelism());
    }
  }

  @Test
  void aTwoCoreMachineGetsAPoolNotAThreadPerTask() throws Exception {
    assertEquals("2", probe("-XX:ActiveProcessorCount=2"));
    assertEquals("2", probe("-XX:ActiveProcessorCount=1"));
  }

  @Test
  void largerMachinesKeepTheJdkDefault() throws Exception {
    assertEquals("7", probe("-XX:ActiveProcessorCount=8"));
  }

  @Test
  void anOperatorsChoiceWins() throws Exception {
    assertEquals("5", probe("-XX:ActiveProcessorCount=2", "-D" + CommonPool.PARALLELISM + "=5"));
  }

  private static String probe(String... jvmArgs) throws IOException, InterruptedException {
    java.util.List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(java.util.List.of(jvmArgs));
    command.addAll(java.util.List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the probe did not finish");
    }
    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
  }
}
