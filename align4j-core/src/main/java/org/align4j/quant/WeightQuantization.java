package org.align4j.quant;

import org.align4j.InputException;

/**
 * The two BitNet weight quantisers, each mapping a float matrix W to integer codes W̃ and one per-tensor scale, so
 * that W ≈ scale · W̃.
 *
 * <ul>
 *   <li>{@link #TERNARY}: BitNet b1.58 (Ma et al. 2024, "The Era of 1-bit LLMs", arXiv 2402.17764, eq. 1-3):
 *       W̃ = RoundClip(W / (γ + ε), −1, 1) with γ = mean|W|, codes in {−1, 0, +1} (log₂3 ≈ 1.58 bits).</li>
 *   <li>{@link #BINARY}: BitNet (Wang et al. 2023, "BitNet: Scaling 1-bit Transformers", arXiv 2310.11453,
 *       section 2.1):
 *       W̃ = Sign(W − α) with α = mean W, codes in {−1, +1} (Sign(0) = −1), and scale β = mean|W|.</li>
 * </ul>
 */
public enum WeightQuantization {
    /** BitNet b1.58's absmean ternary quantiser. */
    TERNARY("1.58"),
    /** BitNet's centred sign quantiser. */
    BINARY("1");

    /** The ε of eq. 3 (b1.58), keeping the division finite for an all-zero matrix. */
    public static final float EPSILON = 1e-5f;

    private final String bits;

    WeightQuantization(String bits) {
        this.bits = bits;
    }

    /** Bits per weight as the papers and HF's {@code quantization_config} name it: "1.58" or "1". */
    public String bits() {
        return bits;
    }

    /**
     * The quantiser named by its bits, "1.58" (ternary) or "1" (binary).
     *
     * @throws IllegalArgumentException for any other value
     */
    public static WeightQuantization ofBits(String bits) {
        for (WeightQuantization q : values()) {
            if (q.bits.equals(bits.trim())) {
                return q;
            }
        }
        throw new InputException("unsupported bits '" + bits + "': 1.58 (ternary) or 1 (binary)");
    }

    /** The per-tensor scale: γ = β = mean|W| over {@code w[0, n)}. */
    public static float scale(float[] w, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.abs(w[i]);
        }
        return (float) (sum / n);
    }

    /** The centring α of the binary quantiser: mean W over {@code w[0, n)}. */
    private static float mean(float[] w, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += w[i];
        }
        return (float) (sum / n);
    }

    /**
     * The codes W̃ of {@code w[0, n)} written into {@code codes}, and the scale returned (the float W ≈ scale · W̃).
     */
    public float quantize(float[] w, int n, byte[] codes) {
        float scale = scale(w, n);
        switch (this) {
            case TERNARY -> {
                float inverse = 1f / (scale + EPSILON);
                for (int i = 0; i < n; i++) {
                    codes[i] = (byte) Math.max(-1, Math.min(1, Math.round(w[i] * inverse)));
                }
            }
            case BINARY -> {
                float alpha = mean(w, n);
                for (int i = 0; i < n; i++) {
                    codes[i] = (byte) (w[i] - alpha > 0 ? 1 : -1);
                }
            }
        }
        return scale;
    }

    /** The dequantised weights scale · W̃ of {@code w[0, n)} written into {@code out} (the QAT forward's weight). */
    public void fakeQuantize(float[] w, int n, float[] out) {
        byte[] codes = new byte[n];
        float scale = quantize(w, n, codes);
        for (int i = 0; i < n; i++) {
            out[i] = scale * codes[i];
        }
    }
}
