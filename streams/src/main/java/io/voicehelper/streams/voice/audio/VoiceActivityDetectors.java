package io.voicehelper.streams.voice.audio;

import io.voicehelper.streams.voice.VoiceActivityDetector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's source of per-call voice activity detectors: Silero VAD v5 when configured and loadable (one shared
 * ONNX session), otherwise the energy detector. Create one per node with {@link #create}; close it at shutdown.
 */
public final class VoiceActivityDetectors implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(VoiceActivityDetectors.class);

  private final VoiceAudioSettings.Vad settings;
  private final SileroVadModel silero;

  private VoiceActivityDetectors(VoiceAudioSettings.Vad settings, SileroVadModel silero) {
    this.settings = settings;
    this.silero = silero;
  }

  /**
   * Loads what {@code settings} asks for: with engine {@code silero}, the model (bundled or {@code model-path}); if
   * it cannot be loaded (no native runtime for this platform, a bad file), logs a warning and uses the energy
   * detector. Blocking: call once per node at start.
   */
  public static VoiceActivityDetectors create(VoiceAudioSettings.Vad settings) {
    if (settings.engine() == VoiceAudioSettings.VadEngine.ENERGY) return new VoiceActivityDetectors(settings, null);
    try {
      return new VoiceActivityDetectors(settings, SileroVadModel.load(settings.modelPath(), settings.intraOpThreads()));
    } catch (Exception | LinkageError e) {
      log.warn("Silero VAD could not be loaded ({}); voice activity falls back to the energy detector", e.toString());
      return new VoiceActivityDetectors(settings, null);
    }
  }

  /** Which detector {@link #newDetector()} returns: {@code silero} or {@code energy}. */
  public String engine() {
    return silero != null ? "silero" : "energy";
  }

  /** A new detector for one call. */
  public VoiceActivityDetector newDetector() {
    return silero != null
        ? silero.newDetector()
        : new EnergyVad(settings.energyMarginDb(), settings.energyMinDbfs());
  }

  @Override
  public void close() throws Exception {
    if (silero != null) silero.close();
  }
}
