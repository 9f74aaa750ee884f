package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.train.TrainingArguments.IntervalStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingArgumentsTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreHuggingFaceTrainers() {
        TrainingArguments a = TrainingArguments.defaults();
        assertEquals(5e-5, a.learningRate());
        assertEquals(LearningRateSchedule.Type.LINEAR, a.lrSchedulerType());
        assertEquals(3.0, a.numTrainEpochs());
        assertEquals(-1, a.maxSteps());
        assertEquals(8, a.perDeviceTrainBatchSize());
        assertEquals(1.0, a.maxGradNorm());
        assertEquals(0.999, a.adamBeta2());
        assertEquals("adamw_torch", a.optim());
        assertEquals(42, a.seed());
        assertEquals(IntervalStrategy.NO, a.evalStrategy());
        assertEquals(IntervalStrategy.STEPS, a.saveStrategy());
        assertEquals(500.0, a.saveSteps());
        assertNull(a.saveTotalLimit());
        assertFalse(a.gradientCheckpointing());
        assertEquals(Map.of(), a.gradientCheckpointingKwargs());
        assertEquals(List.of(), a.warnings());
        assertTrue(TrainingArguments.optionNames().containsAll(
                java.util.List.of("per_device_train_batch_size", "adam_beta1", "lr_scheduler_kwargs",
                        "resume_from_checkpoint", "save_total_limit", "plot_loss")));
    }

    @Test
    void gradientCheckpointingKwargsAcceptUseReentrantWithAWarning() throws IOException {
        Path file = dir.resolve("checkpointing.yaml");
        Files.writeString(file, """
                gradient_checkpointing: true
                gradient_checkpointing_kwargs: {use_reentrant: false}
                """);
        TrainingArguments a = TrainingArguments.load(file);
        assertTrue(a.gradientCheckpointing());
        assertEquals(Map.of("use_reentrant", false), a.gradientCheckpointingKwargs());
        assertEquals(List.of("gradient_checkpointing_kwargs: use_reentrant is ignored (blocks are always recomputed"
                + " on a tape of their own, as with use_reentrant=False)"), a.warnings());
        Files.writeString(file, "gradient_checkpointing_kwargs: {preserve_rng_state: true}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingArguments.load(file));
        assertEquals(file + ": gradient_checkpointing_kwargs: unknown key 'preserve_rng_state' (known: use_reentrant)",
                e.getMessage());
        Files.writeString(file, "gradient_checkpointing_kwargs: {use_reentrant: null}\n");
        e = assertThrows(IllegalArgumentException.class, () -> TrainingArguments.load(file));
        assertEquals(file + ": gradient_checkpointing_kwargs: use_reentrant must be true or false", e.getMessage());
    }

    @Test
    void loadsYamlWithHuggingFaceNames() throws IOException {
        Path file = dir.resolve("train.yaml");
        Files.writeString(file, """
                output_dir: runs/sft
                learning_rate: 2e-5          # a string to YAML 1.1, read as a number
                lr_scheduler_type: cosine_with_min_lr
                lr_scheduler_kwargs: {min_lr_rate: 0.1}
                per_device_train_batch_size: 4
                gradient_accumulation_steps: 2
                eval_strategy: steps
                eval_steps: 0.25
                save_total_limit: 2
                optim: sgd
                optim_args: momentum=0.9,nesterov=True
                resume_from_checkpoint: true
                """);
        TrainingArguments a = TrainingArguments.load(file);
        assertEquals("runs/sft", a.outputDir());
        assertEquals(2e-5, a.learningRate());
        assertEquals(LearningRateSchedule.Type.COSINE_WITH_MIN_LR, a.lrSchedulerType());
        assertEquals(0.1, a.scheduleFor(100).factor(100), 1e-12, "min_lr / learning_rate at the end");
        assertEquals(4, a.perDeviceTrainBatchSize());
        assertEquals(2, a.gradientAccumulationSteps());
        assertEquals(IntervalStrategy.STEPS, a.evalStrategy());
        assertEquals(25, TrainingArguments.resolveInterval(a.evalSteps(), 100));
        assertEquals(2, a.saveTotalLimit());
        assertEquals(Map.of("momentum", "0.9", "nesterov", "True"), a.optimizerOptions());
        assertEquals("true", a.resumeFromCheckpoint());
        assertEquals(8, a.perDeviceEvalBatchSize(), "unset options keep their defaults");
    }

    @Test
    void savedJsonLoadsBackEqual() throws IOException {
        TrainingArguments a = TrainingArguments.defaults().withOptions(Map.of("max_steps", 7, "warmup_ratio", 0.1,
                "eval_strategy", "epoch", "metric_for_best_model", "loss", "output_dir", dir.toString()));
        Path file = dir.resolve("training_args.json");
        a.save(file);
        assertTrue(Files.readString(file).contains("\"per_device_train_batch_size\" : 8"));
        assertEquals(a, TrainingArguments.load(file));
        assertEquals(a, TrainingArguments.fromOptions(a.toOptions(), "map", TrainingArguments.defaults()));
    }

    @Test
    void unknownKeyNamesTheFileAndTheClosestOption() throws IOException {
        Path file = dir.resolve("typo.yaml");
        Files.writeString(file, "learning_rat: 1e-4\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingArguments.load(file));
        assertEquals(file + ": unknown option 'learning_rat' (did you mean 'learning_rate'?)", e.getMessage());
        Files.writeString(file, "packing: true\n");
        e = assertThrows(IllegalArgumentException.class, () -> TrainingArguments.load(file));
        assertEquals(file + ": unknown option 'packing'", e.getMessage());
    }

    @Test
    void badValuesNameTheOption() throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "eval_strategy: sometimes\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingArguments.load(file));
        assertEquals(file + ": option 'eval_strategy': must be one of no, steps, epoch; got 'sometimes'",
                e.getMessage());
        Files.writeString(file, "per_device_train_batch_size: many\n");
        e = assertThrows(IllegalArgumentException.class, () -> TrainingArguments.load(file));
        assertTrue(e.getMessage().startsWith(file + ": option 'per_device_train_batch_size': "), e.getMessage());
        Files.writeString(file, "gradient_accumulation_steps: 0\n");
        e = assertThrows(IllegalArgumentException.class, () -> TrainingArguments.load(file));
        assertEquals(file + ": gradient_accumulation_steps must be > 0, got 0", e.getMessage());
        Files.writeString(file, "optim: adafactor\n");
        e = assertThrows(IllegalArgumentException.class, () -> TrainingArguments.load(file));
        assertEquals(file + ": optim must be one of adamw_torch, adamw_torch_fused, mezo, sgd; got 'adafactor'", e.getMessage());
        Files.writeString(file, "- learning_rate\n");
        e = assertThrows(IllegalArgumentException.class, () -> TrainingArguments.load(file));
        assertEquals(file + ": the top level must be a mapping of option names to values", e.getMessage());
    }
}
