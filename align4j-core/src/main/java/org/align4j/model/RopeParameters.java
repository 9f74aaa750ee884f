package org.align4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import org.align4j.tensor.Tensor;

/**
 * Rotary position embedding frequencies (Su et al. 2021, RoFormer) as transformers computes them:
 * inv_freq[i] = theta^(-2i/d) for the default rope type, and Llama 3's piecewise frequency scaling
 * ({@code rope_type: llama3}: low frequencies divided by {@code factor}, high ones kept, a smooth blend between).
 *
 * @param theta                 rope_theta
 * @param type                  rope_type: "default" or "llama3"
 * @param factor                llama3 scaling factor
 * @param lowFreqFactor         llama3 low_freq_factor
 * @param highFreqFactor        llama3 high_freq_factor
 * @param originalMaxPositions  llama3 original_max_position_embeddings
 * @param headDim               rotated width (the whole head)
 */
public record RopeParameters(double theta, String type, double factor, double lowFreqFactor, double highFreqFactor,
                             int originalMaxPositions, int headDim) {

    /**
     * Reads {@code rope_parameters} (transformers 5) or the older {@code rope_theta} + {@code rope_scaling} fields.
     */
    static RopeParameters fromConfig(JsonNode config, int headDim, String src) {
        JsonNode p = config.get("rope_parameters");
        if (p == null || p.isNull()) {
            p = config.get("rope_scaling");
        }
        double theta = ModelConfig.number(config, "rope_theta", 10000.0, src);
        if (p == null || p.isNull()) {
            return new RopeParameters(theta, "default", 1, 1, 1, 0, headDim);
        }
        theta = ModelConfig.number(p, "rope_theta", theta, src);
        JsonNode typeNode = p.has("rope_type") ? p.get("rope_type") : p.get("type");
        String type = typeNode == null || typeNode.isNull() ? "default" : typeNode.asText();
        return switch (type) {
            case "default" -> new RopeParameters(theta, type, 1, 1, 1, 0, headDim);
            case "llama3" -> new RopeParameters(theta, type, ModelConfig.number(p, "factor", 8, src),
                    ModelConfig.number(p, "low_freq_factor", 1, src), ModelConfig.number(p, "high_freq_factor", 4, src),
                    ModelConfig.integer(p, "original_max_position_embeddings", 8192, src), headDim);
            default -> throw new ModelException(src + ": rope_type '" + type
                    + "' is not supported (supported: default, llama3)");
        };
    }

    /** The inverse frequencies, length headDim / 2, in double precision. */
    public double[] inverseFrequencies() {
        int half = headDim / 2;
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        }
        if (type.equals("llama3")) {
            double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
            double highFreqWavelen = originalMaxPositions / highFreqFactor;
            for (int i = 0; i < half; i++) {
                double wavelen = 2 * Math.PI / inv[i];
                if (wavelen > lowFreqWavelen) {
                    inv[i] = inv[i] / factor;
                } else if (wavelen >= highFreqWavelen) {
                    double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
                }
            }
        }
        return inv;
    }

    /** cos and sin tables [positions, headDim / 2] for positions 0 .. positions-1. */
    public Tensor[] tables(int positions) {
        double[] inv = inverseFrequencies();
        int half = inv.length;
        float[] cos = new float[positions * half];
        float[] sin = new float[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * inv[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new Tensor[] {Tensor.of(cos, positions, half), Tensor.of(sin, positions, half)};
    }
}
