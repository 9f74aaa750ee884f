package org.align4j.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The embedded default: a small Llama-style model (about 4M parameters: 4 layers, width 256, grouped-query
 * attention with 2 kv heads, SwiGLU, tied embeddings) over the bundled byte-level BPE tokenizer (4,000 merges learned
 * on the bundled Brown fiction, vocabulary 4,257). Sized to train on two CPU cores in minutes; no download.
 */
public final class EmbeddedModel {
    /** Width of the embedded model. */
    public static final int HIDDEN = 256;
    /** The tokenizer's end-of-text id, which is also the model's bos and pad id. */
    public static final int EOS = 4256;
    private static final String TOKENIZER_RESOURCE = "/embedded/tokenizer/";
    private static final String[] TOKENIZER_FILES = {"tokenizer.json", "tokenizer_config.json"};

    private EmbeddedModel() {
    }

    /** The embedded model's config.json. */
    public static ModelConfig config() {
        String json = "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"vocab_size\":4257,"
                + "\"hidden_size\":" + HIDDEN + ",\"intermediate_size\":688,\"num_hidden_layers\":4,"
                + "\"num_attention_heads\":4,\"num_key_value_heads\":2,\"head_dim\":64,\"hidden_act\":\"silu\","
                + "\"max_position_embeddings\":512,\"rms_norm_eps\":1e-5,\"initializer_range\":0.02,"
                + "\"rope_parameters\":{\"rope_theta\":10000.0,\"rope_type\":\"default\"},\"tie_word_embeddings\":true,"
                + "\"attention_bias\":false,\"mlp_bias\":false,\"bos_token_id\":" + EOS + ","
                + "\"eos_token_id\":" + EOS + ",\"pad_token_id\":" + EOS + ",\"dtype\":\"float32\"}";
        try {
            return ModelConfig.fromJson((ObjectNode) new ObjectMapper().readTree(json), "embedded model");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("embedded config is not valid JSON", e);
        }
    }

    /** The generation config saved with the embedded model's checkpoints: bos, eos and pad are {@link #EOS}. */
    public static ObjectNode generationConfig() {
        return new ObjectMapper().createObjectNode().put("bos_token_id", EOS).put("eos_token_id", EOS)
                .put("pad_token_id", EOS);
    }

    /** A freshly initialised embedded model. */
    public static CausalLM randomInit(long seed) {
        return Models.randomInit(config(), seed);
    }

    /** Writes the embedded tokenizer's files into {@code dir} (created if needed) and returns it. */
    public static Path writeTokenizer(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : TOKENIZER_FILES) {
            try (InputStream in = EmbeddedModel.class.getResourceAsStream(TOKENIZER_RESOURCE + name)) {
                if (in == null) {
                    throw new IllegalStateException("bundled resource " + TOKENIZER_RESOURCE + name + " is missing");
                }
                Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }
}
