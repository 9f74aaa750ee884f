package org.align4j.experiments;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;

/**
 * The embedded model's architecture at other widths and depths, for scaling sweeps: {@link EmbeddedModel#config()}
 * (Llama, SwiGLU, tied embeddings, the bundled 4,257-token vocabulary) with {@code hidden_size} = width, heads of
 * width 64 (one head below width 128), half as many key/value heads, {@code intermediate_size} = 8/3 · width rounded
 * up to a multiple of 16 (688 at width 256, as the embedded model), and the given number of layers. Width 256 with
 * 4 layers is the embedded model itself.
 */
public final class EmbeddedModelFamily {
    private static final String EMBEDDING = "model.embed_tokens.weight";

    private EmbeddedModelFamily() {
    }

    /** The config of the member with {@code width} (a multiple of 16, at least 16) and {@code layers}. */
    public static ModelConfig config(int width, int layers) {
        if (width < 16 || width % 16 != 0 || layers < 1) {
            throw new IllegalArgumentException("a family member needs a width that is a multiple of 16 and at least 16,"
                    + " and at least one layer; got width " + width + ", layers " + layers);
        }
        int heads = Math.max(1, width / 64);
        if (width % heads != 0) {
            throw new IllegalArgumentException("width " + width + " does not split into " + heads + " heads");
        }
        ObjectNode json = EmbeddedModel.config().json().deepCopy();
        json.put("hidden_size", width);
        json.put("intermediate_size", Math.ceilDiv(8 * width, 3 * 16) * 16);
        json.put("num_hidden_layers", layers);
        json.put("num_attention_heads", heads);
        json.put("num_key_value_heads", Math.max(1, heads / 2));
        json.put("head_dim", width / heads);
        return ModelConfig.fromJson(json, "embedded model family, width " + width + ", " + layers + " layers");
    }

    /** All parameters (the tied embedding counted once), Hoffmann et al.'s N. */
    public static long parameters(ModelConfig config) {
        return Models.parameterShapes(config).values().stream().mapToLong(EmbeddedModelFamily::size).sum();
    }

    /** Parameters other than the token embedding (tied to the lm_head), Kaplan et al.'s N. */
    public static long nonEmbeddingParameters(ModelConfig config) {
        long total = 0;
        for (Map.Entry<String, int[]> e : Models.parameterShapes(config).entrySet()) {
            if (!e.getKey().equals(EMBEDDING)) {
                total += size(e.getValue());
            }
        }
        return total;
    }

    private static long size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }
}
