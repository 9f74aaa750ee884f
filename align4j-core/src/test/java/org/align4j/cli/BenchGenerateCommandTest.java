package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.align4j.model.CausalLM;
import org.align4j.model.Models;
import org.align4j.model.Presets;
import org.align4j.model.io.Dtype;
import org.junit.jupiter.api.Test;

/** {@code align4j bench generate}: decode tokens/s beside the bandwidth bound it measures. */
class BenchGenerateCommandTest {

    @Test
    void reportsDecodeSpeedAndTheBandwidthBound() {
        CliRun run = CliRun.of("bench", "generate", "--arch", "llama", "--preset", "tiny", "--batch", "2",
                "--new-tokens", "5", "--bandwidth-mib", "8");
        assertEquals(0, run.exitCode(), run.err());
        Matcher m = Pattern.compile("decode: ([0-9.]+) tokens/s .* bounds decode at ([0-9.]+) tokens/s: ([0-9.]+) of")
                .matcher(run.out());
        assertTrue(m.find(), run.out());
        double measured = Double.parseDouble(m.group(1));
        double bound = Double.parseDouble(m.group(2));
        assertTrue(measured > 0 && bound > 0, run.out());
        assertEquals(measured / bound, Double.parseDouble(m.group(3)), 0.01, run.out());
    }

    @Test
    void bfloat16WeightsHalveTheBytesReadPerStep() {
        CliRun bf16 = CliRun.of("bench", "generate", "--arch", "llama", "--preset", "tiny", "--new-tokens", "3",
                "--bandwidth-mib", "8", "--torch-dtype", "bfloat16");
        assertEquals(0, bf16.exitCode(), bf16.err());
        assertTrue(bf16.out().contains(" MB of bfloat16 weights read per decode step"), bf16.out());
        CausalLM llama = Models.randomInit(Presets.config("llama", "tiny"), 1);
        long f32 = BenchGenerateCommand.decodeWeightBytes(llama.parameters());
        long half = BenchGenerateCommand.decodeWeightBytes(Models.frozenCopy(llama, Dtype.BF16).parameters());
        long vectors = llama.parameters().values().stream().filter(v -> v.value().rank() == 1)
                .mapToLong(v -> 4L * v.value().size()).sum();
        assertEquals((f32 - vectors) / 2 + vectors, half, "the matrices halve; the norm vectors stay float32");
    }

    @Test
    void weightBytesCountEveryTensorButThePositionTable() {
        CausalLM gpt2 = Models.randomInit(Presets.config("gpt2", "tiny"), 1);
        long all = 4L * gpt2.parameters().values().stream().mapToLong(v -> v.value().size()).sum();
        long positions = 4L * gpt2.parameters().get("transformer.wpe.weight").value().size();
        assertEquals(all - positions, BenchGenerateCommand.decodeWeightBytes(gpt2.parameters()));
        assertEquals(0, BenchGenerateCommand.decodeWeightBytes(Map.of()));
    }

    @Test
    void rejectsTooFewTokens() {
        CliRun run = CliRun.of("bench", "generate", "--preset", "tiny", "--new-tokens", "1");
        assertEquals(Main.EXIT_BAD_INPUT, run.exitCode());
        assertTrue(run.err().contains("--new-tokens"), run.err());
    }
}
