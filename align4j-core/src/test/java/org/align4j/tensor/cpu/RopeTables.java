package org.align4j.tensor.cpu;

/** Test helper: HF-style rotary cos/sin tables [maxPositions, headDim / 2] for a base frequency theta. */
final class RopeTables {
    private RopeTables() {
    }

    /** {cos, sin} with angle p · theta^(−2i / headDim) at [p, i]. */
    static float[][] of(int maxPositions, int headDim, double theta) {
        int half = headDim / 2;
        float[] cos = new float[maxPositions * half];
        float[] sin = new float[maxPositions * half];
        for (int p = 0; p < maxPositions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * Math.pow(theta, -2.0 * i / headDim);
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }
}
