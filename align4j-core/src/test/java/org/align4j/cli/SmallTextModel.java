package org.align4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;

/** A one-layer, width-32 random model with the embedded tokenizer's vocabulary, saved with its tokenizer files. */
final class SmallTextModel {
    private SmallTextModel() {
    }

    /** Saves the model (seed 5) and the embedded tokenizer into {@code dir} and returns it. */
    static Path write(Path dir) throws IOException {
        ObjectNode config = EmbeddedModel.config().json().deepCopy();
        config.put("hidden_size", 32).put("intermediate_size", 64).put("num_hidden_layers", 1)
                .put("num_attention_heads", 2).put("num_key_value_heads", 1).put("head_dim", 16);
        HfModels.save(Models.randomInit(ModelConfig.fromJson(config, "test"), 5), dir, Dtype.F32, null, 0);
        EmbeddedModel.writeTokenizer(dir);
        return dir;
    }
}
