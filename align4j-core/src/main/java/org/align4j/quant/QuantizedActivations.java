package org.align4j.quant;

/**
 * Activations [tokens, width] quantised to int8 per token by absmax, as BitNet b1.58 and BitNet quantise a
 * BitLinear's input (Wang et al. 2023, arXiv 2310.11453, section 2.1; Ma et al. 2024, arXiv 2402.17764):
 * x̃ = Clip(round(x · 127 / max|x|), −128, 127), one scale s_x = max|x| / 127 per token, so that x ≈ s_x · x̃.
 * Since |x · 127 / max|x|| ≤ 127 the codes lie in [−127, 127], so that negating one never overflows.
 *
 * @param codes  the int8 codes, row-major [tokens, width]
 * @param scales s_x of each token
 * @param tokens rows
 * @param width  columns
 */
public record QuantizedActivations(byte[] codes, float[] scales, int tokens, int width) {
    /** Qb of the papers: the int8 range's bound. */
    public static final int LEVELS = 127;
    /** The floor of max|x|, as BitNet clamps it, so that an all-zero token has a finite scale. */
    public static final float MIN_ABSMAX = 1e-5f;

    /** Quantises {@code x} [tokens, width] (row-major, from offset 0). */
    public static QuantizedActivations quantize(float[] x, int tokens, int width) {
        byte[] codes = new byte[tokens * width];
        float[] scales = new float[tokens];
        for (int t = 0; t < tokens; t++) {
            int base = t * width;
            float absmax = MIN_ABSMAX;
            for (int i = 0; i < width; i++) {
                absmax = Math.max(absmax, Math.abs(x[base + i]));
            }
            float factor = LEVELS / absmax;
            for (int i = 0; i < width; i++) {
                codes[base + i] = (byte) Math.max(-128, Math.min(127, Math.round(x[base + i] * factor)));
            }
            scales[t] = absmax / LEVELS;
        }
        return new QuantizedActivations(codes, scales, tokens, width);
    }

    /** The dequantised activations s_x · x̃ written into {@code out} [tokens, width] (the QAT forward's input). */
    public void dequantize(float[] out) {
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < width; i++) {
                out[t * width + i] = scales[t] * codes[t * width + i];
            }
        }
    }
}
