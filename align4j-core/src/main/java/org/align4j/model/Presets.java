package org.align4j.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * Named architecture shapes for random-init benchmarks and experiments (no download): the published sizes of GPT-2,
 * Llama 3.2 1B and Qwen2 0.5B/1.5B (the sizes users align), Llama 3.1 8B and Qwen2 7B (for memory estimates), and
 * tiny Llama/GPT-2 shapes for tests.
 */
public final class Presets {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> CONFIGS = new TreeMap<>(Map.of(
            "gpt2:124M", "{\"model_type\":\"gpt2\",\"vocab_size\":50257,\"n_positions\":1024,\"n_embd\":768,"
                    + "\"n_layer\":12,\"n_head\":12}",
            "gpt2:355M", "{\"model_type\":\"gpt2\",\"vocab_size\":50257,\"n_positions\":1024,\"n_embd\":1024,"
                    + "\"n_layer\":24,\"n_head\":16}",
            "gpt2:tiny", "{\"model_type\":\"gpt2\",\"vocab_size\":1000,\"n_positions\":256,\"n_embd\":64,"
                    + "\"n_layer\":2,\"n_head\":4,\"initializer_range\":0.1}",
            "llama:tiny", "{\"model_type\":\"llama\",\"vocab_size\":1000,\"hidden_size\":64,\"intermediate_size\":176,"
                    + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
                    + "\"max_position_embeddings\":256,\"initializer_range\":0.1}",
            "llama:1B", "{\"model_type\":\"llama\",\"vocab_size\":128256,\"hidden_size\":2048,"
                    + "\"intermediate_size\":8192,\"num_hidden_layers\":16,\"num_attention_heads\":32,"
                    + "\"num_key_value_heads\":8,\"head_dim\":64,\"max_position_embeddings\":131072,"
                    + "\"rms_norm_eps\":1e-5,\"rope_theta\":500000.0,\"rope_scaling\":{\"rope_type\":\"llama3\","
                    + "\"factor\":32.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
                    + "\"original_max_position_embeddings\":8192},\"tie_word_embeddings\":true}",
            "qwen2:1.5B", "{\"model_type\":\"qwen2\",\"vocab_size\":151936,\"hidden_size\":1536,"
                    + "\"intermediate_size\":8960,\"num_hidden_layers\":28,\"num_attention_heads\":12,"
                    + "\"num_key_value_heads\":2,\"max_position_embeddings\":131072,\"rms_norm_eps\":1e-6,"
                    + "\"rope_theta\":1000000.0,\"tie_word_embeddings\":true}",
            "llama:8B", "{\"model_type\":\"llama\",\"vocab_size\":128256,\"hidden_size\":4096,"
                    + "\"intermediate_size\":14336,\"num_hidden_layers\":32,\"num_attention_heads\":32,"
                    + "\"num_key_value_heads\":8,\"max_position_embeddings\":131072,\"rms_norm_eps\":1e-5,"
                    + "\"rope_theta\":500000.0,\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,"
                    + "\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
                    + "\"original_max_position_embeddings\":8192},\"tie_word_embeddings\":false}",
            "qwen2:7B", "{\"model_type\":\"qwen2\",\"vocab_size\":152064,\"hidden_size\":3584,"
                    + "\"intermediate_size\":18944,\"num_hidden_layers\":28,\"num_attention_heads\":28,"
                    + "\"num_key_value_heads\":4,\"max_position_embeddings\":131072,\"rms_norm_eps\":1e-6,"
                    + "\"rope_theta\":1000000.0,\"tie_word_embeddings\":false}",
            "qwen2:0.5B", "{\"model_type\":\"qwen2\",\"vocab_size\":151936,\"hidden_size\":896,"
                    + "\"intermediate_size\":4864,\"num_hidden_layers\":24,\"num_attention_heads\":14,"
                    + "\"num_key_value_heads\":2,\"max_position_embeddings\":32768,\"rms_norm_eps\":1e-6,"
                    + "\"rope_theta\":1000000.0,\"tie_word_embeddings\":true}"));

    private Presets() {
    }

    /** The embedded model's shape ({@link EmbeddedModel}) as a preset. */
    private static final String EMBEDDED = "llama:embedded";

    /**
     * The config of {@code arch:preset}, e.g. ("gpt2", "124M"), or ("llama", "embedded") for the embedded model's; an
     * unknown pair lists the known ones.
     */
    public static ModelConfig config(String arch, String preset) {
        String key = arch + ":" + preset;
        if (key.equals(EMBEDDED)) {
            return EmbeddedModel.config();
        }
        String json = CONFIGS.get(key);
        if (json == null) {
            throw new ModelException("unknown preset '" + key + "' (known: " + String.join(", ", CONFIGS.keySet())
                    + ", " + EMBEDDED + ")");
        }
        try {
            return ModelConfig.fromJson((ObjectNode) JSON.readTree(json), "preset " + key);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("preset " + key + " is not valid JSON", e);
        }
    }
}
