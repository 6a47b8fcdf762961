package io.voicehelper.cluster;

/** Starts a VoiceHelper node with the configuration on the classpath and in the environment. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    CommonPool.ensureParallelism();
    Node.start(Node.loadConfig());
  }
}
