package io.voicehelper.streams.voice.audio.internal;

/** Small operations on arrays of PCM16 samples shared by the audio stages. */
public final class Samples {

  private Samples() {}

  /** {@code parts} one after the other, in one new array. */
  public static short[] concat(short[]... parts) {
    int length = 0;
    for (short[] part : parts) length += part.length;
    short[] out = new short[length];
    int at = 0;
    for (short[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  /** {@code value} rounded and clipped to the PCM16 range. */
  public static short clip(double value) {
    return (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(value)));
  }
}
