package org.align4j.spark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.model.RewardModel;
import org.align4j.model.io.Dtype;

/** Small random members of the embedded model's family, saved with the embedded tokenizer, for the jobs' tests. */
final class TinyModels {
    private TinyModels() {
    }

    /** A 1-layer width-32 model of seed {@code seed} with its tokenizer, written to {@code dir}. */
    static Path write(Path dir, long seed) throws IOException {
        HfModels.save(model(seed), dir, Dtype.F32, EmbeddedModel.generationConfig(), Long.MAX_VALUE);
        EmbeddedModel.writeTokenizer(dir);
        return dir;
    }

    /** A reward model on {@link #write}'s backbone, with its tokenizer, written to {@code dir}. */
    static Path writeRewardModel(Path dir, long seed) throws IOException {
        RewardModel.fromCausalLM(model(seed), seed).save(dir, Dtype.F32);
        EmbeddedModel.writeTokenizer(dir);
        return dir;
    }

    private static CausalLM model(long seed) {
        ObjectNode json = EmbeddedModel.config().json().deepCopy().put("hidden_size", 32)
                .put("intermediate_size", 64).put("num_hidden_layers", 1).put("num_attention_heads", 2)
                .put("num_key_value_heads", 1).put("head_dim", 16);
        return Models.randomInit(ModelConfig.fromJson(json, "tiny"), seed);
    }
}
