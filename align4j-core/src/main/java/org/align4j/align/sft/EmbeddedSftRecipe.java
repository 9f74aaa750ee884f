package org.align4j.align.sft;

import java.nio.file.Path;
import java.util.Map;
import org.align4j.model.EmbeddedModel;
import org.align4j.train.TrainingArguments;

/**
 * The recipe {@code align4j demo} fine-tunes the {@link EmbeddedModel} with from scratch, which the experiments
 * reuse: steps of 16 rows (16 for evaluation too), AdamW at 3e-3 with a cosine schedule after a 5% warm-up, weight
 * decay 0.1, β2 0.95, a log line every tenth of the run, no checkpoints.
 */
public final class EmbeddedSftRecipe {
    private EmbeddedSftRecipe() {
    }

    /** The recipe's arguments for {@code steps} steps; override with {@link TrainingArguments#withOptions}. */
    public static TrainingArguments arguments(Path outputDir, int steps, long seed) {
        return TrainingArguments.defaults().withOptions(Map.ofEntries(
                Map.entry("output_dir", outputDir.toString()), Map.entry("learning_rate", 3e-3),
                Map.entry("lr_scheduler_type", "cosine"), Map.entry("warmup_ratio", 0.05),
                Map.entry("max_steps", steps), Map.entry("per_device_train_batch_size", 16),
                Map.entry("per_device_eval_batch_size", 16), Map.entry("weight_decay", 0.1),
                Map.entry("adam_beta2", 0.95), Map.entry("logging_steps", Math.max(1, steps / 10)),
                Map.entry("save_strategy", "no"), Map.entry("seed", seed)));
    }
}
