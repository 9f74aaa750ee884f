package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.HfModels;
import org.align4j.model.ModelConfig;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Running out of heap ends a command with one line on stderr and exit code 2. */
class OutOfMemoryTest {
    private static final long GIB = 1L << 30;

    /**
     * {@code sft} in a forked JVM whose 64 MiB heap holds the 5M-parameter model (20 MiB) but not its gradients and
     * AdamW state (60 MiB more). The JVM runs as the launcher runs it, without the GC overhead limit, which CI once
     * hit in the report's own allocations so that the line could not say what was being allocated.
     */
    @Test
    void sftInTooSmallAHeapEndsWithOneLineNamingTheOptions(@TempDir Path tmp) throws Exception {
        ObjectNode config = EmbeddedModel.config().json().deepCopy();
        config.put("hidden_size", 256).put("intermediate_size", 1024);
        Path model = tmp.resolve("model");
        HfModels.save(Models.randomInit(ModelConfig.fromJson(config, "test"), 5), model, Dtype.F32, null, 0);
        EmbeddedModel.writeTokenizer(model);
        Path data = tmp.resolve("train.jsonl");
        Files.write(data, List.of("{\"text\": \"The rain fell on the quiet town all night.\"}",
                "{\"text\": \"She opened the door and looked out at the sea.\"}"));

        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "-Xmx64m", "-XX:+UseParallelGC",
                "-XX:-UseGCOverheadLimit",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "sft", "--model", model.toString(), "--data", data.toString(), "--output", tmp.resolve("run").toString(),
                "--max-steps", "1", "--per-device-train-batch-size", "2", "--max-length", "32", "--disable-tqdm"));
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the forked JVM did not end");

        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: ")).toList();
        assertEquals(Main.EXIT_BAD_INPUT, process.exitValue(), err);
        assertEquals(1, lines.size(), err);
        String line = lines.getFirst();
        assertTrue(line.startsWith("align4j sft: out of memory while "), line);
        assertTrue(line.contains("the JVM's maximum heap is ") && line.contains("this run needs about "), line);
        for (String option : List.of("--gradient-checkpointing", "--per-device-train-batch-size",
                "--gradient-accumulation-steps", "--max-length", "--optim mezo", "ALIGN4J_HEAP")) {
            assertTrue(line.contains(option), option + " in: " + line);
        }
    }

    @Test
    void reportSaysWhatWasAllocatedWhatTheRunNeedsAndWhatReducesIt() {
        MemorySized sized = new MemorySized() {
            @Override
            public String memoryNeeded() {
                return "about 3.0 GiB (weights 1.0 GiB, activations 2.0 GiB)";
            }

            @Override
            public String memoryOptions() {
                return "a smaller --max-length";
            }
        };
        OutOfMemoryError error = org.align4j.model.OutOfHeapError.of("loading the weights of m.safetensors",
                new OutOfMemoryError("Java heap space"));
        assertEquals("align4j sft: out of memory while loading the weights of m.safetensors: the JVM's maximum heap is"
                + " 2.0 GiB and this run needs about 3.0 GiB (weights 1.0 GiB, activations 2.0 GiB); reduce it with a"
                + " smaller --max-length, or " + OutOfMemoryReport.MORE_HEAP,
                OutOfMemoryReport.line("sft", error, sized, 2 * GIB));
    }

    @Test
    void dpoNamesItsOptionsBeforeItHasSizedTheRun() {
        String line = OutOfMemoryReport.line("dpo", new OutOfMemoryError("Java heap space"), new DpoCommand(), GIB);
        assertTrue(line.startsWith("align4j dpo: out of memory (Java heap space): the JVM's maximum heap is 1.0 GiB;"),
                line);
        assertFalse(line.contains("this run needs"), line);
        for (String option : List.of("--use-peft", "--precompute-ref-log-probs", "--gradient-checkpointing",
                "--per-device-train-batch-size", "--max-length", "ALIGN4J_HEAP")) {
            assertTrue(line.contains(option), option + " in: " + line);
        }
    }

    @Test
    void aCommandThatDoesNotSizeItsRunStillSaysHowToGrowTheHeap() {
        String line = OutOfMemoryReport.line("forward", new OutOfMemoryError(), new ForwardCommand(), GIB);
        assertEquals("align4j forward: out of memory: the JVM's maximum heap is 1.0 GiB; " + OutOfMemoryReport.MORE_HEAP,
                line);
    }
}
