package io.voicehelper.streams.knowledge.embedding;

/** L2 normalisation and the cosine of unit vectors, shared by the embedders. */
public final class Vectors {

  private Vectors() {}

  /** {@code vector} scaled to length 1, in place; fails for a vector without direction. */
  public static float[] normalise(float[] vector) {
    double sum = 0;
    for (float v : vector) sum += (double) v * v;
    if (sum == 0 || Double.isNaN(sum) || Double.isInfinite(sum)) {
      throw new EmbeddingFailure("the model returned a vector that cannot be normalised", null);
    }
    float norm = (float) Math.sqrt(sum);
    for (int i = 0; i < vector.length; i++) vector[i] /= norm;
    return vector;
  }

  /** The dot product: the cosine similarity of two unit vectors. */
  public static double dot(float[] a, float[] b) {
    if (a.length != b.length) throw new IllegalArgumentException(a.length + "-d and " + b.length + "-d vectors");
    double sum = 0;
    for (int i = 0; i < a.length; i++) sum += (double) a[i] * b[i];
    return sum;
  }
}
