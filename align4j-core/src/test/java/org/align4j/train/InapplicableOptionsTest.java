package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.align4j.Captured;
import org.align4j.InputException;
import org.junit.jupiter.api.Test;

/** TRL's and HF's options that do not apply here: warned about, refused with a reason, or named as removed. */
class InapplicableOptionsTest {

    /** Options that ask for something are warned about, one line per reason; unset values (false, 0, null) are not. */
    @Test
    void optionsWithoutEffectAreDroppedWithOneWarningPerReason() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("learning_rate", 1e-6);
        options.put("run_name", "my-run");
        options.put("hub_model_id", "me/model");
        options.put("bf16", true);
        options.put("dataloader_num_workers", 4);
        options.put("dataloader_pin_memory", false);
        options.put("push_to_hub", false);
        options.put("label_smoothing_factor", 0);
        options.put("fsdp", "");
        String err = Captured.stderr(() -> {
            TrainingArguments args = TrainingArguments.fromOptions(options, "dpo.yaml", TrainingArguments.defaults());
            assertEquals(1e-6, args.learningRate());
        });
        String[] lines = err.strip().split("\n");
        assertEquals(3, lines.length, err);
        assertTrue(lines[0].startsWith("warning: dpo.yaml: no effect here: run_name, hub_model_id (no experiment"),
                lines[0]);
        assertTrue(lines[1].startsWith("warning: dpo.yaml: no effect here: bf16 (training computes in float32"),
                lines[1]);
        assertTrue(lines[2].startsWith("warning: dpo.yaml: no effect here: dataloader_num_workers ("), lines[2]);
    }

    @Test
    void everyOptionThatCannotBeUsedIsNamedInOneMessage() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("evaluation_strategy", "steps");
        options.put("push_to_hub", true);
        options.put("learning_rat", 1e-5);
        options.put("max_seq_length", 512);
        InputException e = assertThrows(InputException.class,
                () -> TrainingArguments.fromOptions(options, "sft.yaml", TrainingArguments.defaults()));
        assertEquals("sft.yaml: 4 options cannot be used: option 'evaluation_strategy' was removed from"
                + " TRL/transformers; use eval_strategy; option 'push_to_hub' = true is not supported: no Hub upload"
                + " here; copy output_dir with the Hugging Face CLI (accepted: false); unknown option 'learning_rat'"
                + " (did you mean 'learning_rate'?); option 'max_seq_length' was removed from TRL/transformers; use"
                + " max_length", e.getMessage());
        assertEquals("x.yaml: unknown option 'bogus'", assertThrows(InputException.class,
                () -> TrainingArguments.fromOptions(Map.of("bogus", 1), "x.yaml", TrainingArguments.defaults()))
                .getMessage());
    }

    @Test
    void anAlgorithmsOwnOptionsAreNeverJudged() {
        Map<String, Object> kept = InapplicableOptions.sieve(Map.of("max_length", 64, "loss_type", "sigmoid"),
                java.util.Set.of("max_length", "loss_type"), "dpo.yaml");
        assertEquals(Map.of("max_length", 64, "loss_type", "sigmoid"), kept);
    }
}
