package io.voicehelper.streams.voice.audio;

import io.voicehelper.streams.voice.Pcm;
import io.voicehelper.streams.voice.VoiceActivityDetector;

/**
 * The fallback detector: a frame's RMS level in dB above an adaptive noise floor, squashed to 0..1 (0.5 at
 * {@code marginDb} above the floor). The floor follows quieter frames quickly and louder ones slowly (about 1.5 dB
 * per second), so steady background noise is learned while speech is not. Not thread-safe: one per call.
 */
public final class EnergyVad implements VoiceActivityDetector {

  /** Frame size, matching Silero's so that the segmenter's timing is the same with either detector. */
  public static final int FRAME_SAMPLES = 512;

  private static final double SILENT_DBFS = -100;
  private static final double FLOOR_FALL = 0.5;
  private static final double FLOOR_RISE_DB_PER_FRAME = 0.05;
  private static final double SLOPE_DB = 2.5;

  private final double marginDb;
  private final double minDbfs;
  private double floorDb = Double.NaN;

  /**
   * @param marginDb level above the noise floor at which the probability is 0.5
   * @param minDbfs quietest level that can count as speech at all
   */
  public EnergyVad(double marginDb, double minDbfs) {
    this.marginDb = marginDb;
    this.minDbfs = minDbfs;
  }

  @Override
  public String name() {
    return "energy";
  }

  @Override
  public int frameSamples() {
    return FRAME_SAMPLES;
  }

  @Override
  public float speechProbability(short[] frame) {
    double level = Math.max(SILENT_DBFS, Pcm.rmsDbfs(frame));
    if (Double.isNaN(floorDb)) {
      floorDb = level;
    } else if (level < floorDb) {
      floorDb += FLOOR_FALL * (level - floorDb);
    } else {
      floorDb += Math.min(level - floorDb, FLOOR_RISE_DB_PER_FRAME);
    }
    if (level < minDbfs) return 0f;
    double above = level - floorDb - marginDb;
    return (float) (1 / (1 + Math.exp(-above / SLOPE_DB)));
  }

  /** The current noise floor estimate, in dBFS ({@code NaN} before the first frame). */
  public double noiseFloorDbfs() {
    return floorDb;
  }

  @Override
  public void reset() {
    floorDb = Double.NaN;
  }
}
