package org.align4j.align.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.align4j.data.TruncationMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TRL's DPOConfig names, defaults and validation, file and override handling. */
class DpoConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreTrls() {
        DpoConfig c = DpoConfig.defaults();
        assertEquals(1e-6, c.training().learningRate());
        assertEquals(10, c.training().loggingSteps());
        assertEquals(0.1, c.loss().beta());
        assertEquals(List.of(DpoLossType.SIGMOID), c.loss().lossType());
        assertEquals(0.5, c.loss().fAlphaDivergenceCoef());
        assertEquals(1024, c.options().maxLength());
        assertEquals(TruncationMode.KEEP_START, c.options().truncationMode());
        assertEquals(0.6, c.options().refModelMixupAlpha());
        assertEquals(512, c.options().refModelSyncSteps());
        assertEquals(8, c.precomputeRefBatchSize(false));
        assertNull(c.loss().ldAlpha());
    }

    @Test
    void optionsComeFromOneMappingWithListsAsCommaSeparatedText() {
        Map<String, Object> options = new HashMap<>();
        options.put("loss_type", "sigmoid, bco_pair,sft");
        options.put("loss_weights", "0.8,0.2,1.0");
        options.put("per_device_train_batch_size", "4");
        options.put("max_length", null);
        options.put("truncation_mode", "keep_end");
        options.put("ld_alpha", "0.5");
        DpoConfig c = DpoConfig.fromOptions(options, "test", DpoConfig.defaults());
        assertEquals(List.of(DpoLossType.SIGMOID, DpoLossType.BCO_PAIR, DpoLossType.SFT), c.loss().lossType());
        assertEquals(List.of(0.8, 0.2, 1.0), c.loss().lossWeights());
        assertEquals(4, c.training().perDeviceTrainBatchSize());
        assertNull(c.options().maxLength());
        assertEquals(TruncationMode.KEEP_END, c.options().truncationMode());
        assertEquals(0.5, c.loss().ldAlpha());
        assertEquals(4, c.precomputeRefBatchSize(false));
    }

    @Test
    void aSavedConfigurationLoadsBackAsItWas() throws IOException {
        DpoConfig c = DpoConfig.defaults().withOptions(Map.of("beta", 0.3, "loss_type", List.of("ipo"),
                "output_dir", dir.toString(), "sync_ref_model", true));
        Path file = dir.resolve(DpoConfig.FILE_NAME);
        c.save(file);
        assertEquals(c, DpoConfig.load(file));
        Path yaml = Files.writeString(dir.resolve("c.yaml"), "beta: 0.25\nlearning_rate: 5.0e-7\n");
        DpoConfig loaded = DpoConfig.load(yaml);
        assertEquals(0.25, loaded.loss().beta());
        assertEquals(5e-7, loaded.training().learningRate());
    }

    @Test
    void invalidCombinationsAreRejectedNamingTheSourceAndOption() {
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> DpoConfig.fromOptions(
                Map.of("sync_ref_model", true, "precompute_ref_log_probs", true), "f.yaml", DpoConfig.defaults()));
        assertTrue(both.getMessage().startsWith("f.yaml: ") && both.getMessage().contains("sync_ref_model cannot be "
                + "combined with precompute_ref_log_probs"), both.getMessage());
        IllegalArgumentException weights = assertThrows(IllegalArgumentException.class, () -> DpoConfig.fromOptions(
                Map.of("loss_type", "sigmoid,sft", "loss_weights", "1.0"), "f.yaml", DpoConfig.defaults()));
        assertTrue(weights.getMessage().contains("loss_weights has 1 weights for 2 loss types"), weights.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> DpoConfig.fromOptions(
                Map.of("ref_model_sync_step", 3), "f.yaml", DpoConfig.defaults()));
        assertEquals("f.yaml: unknown option 'ref_model_sync_step' (did you mean 'ref_model_sync_steps'?)",
                unknown.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> DpoConfig.fromOptions(
                Map.of("beta", "high"), "f.yaml", DpoConfig.defaults()));
        assertTrue(type.getMessage().startsWith("f.yaml: option 'beta': "), type.getMessage());
        IllegalArgumentException mode = assertThrows(IllegalArgumentException.class, () -> DpoConfig.fromOptions(
                Map.of("truncation_mode", "middle"), "f.yaml", DpoConfig.defaults()));
        assertTrue(mode.getMessage().contains("truncation_mode must be one of keep_start, keep_end"),
                mode.getMessage());
    }
}
