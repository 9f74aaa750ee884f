package org.align4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfCheckpointTest {
    private static final Path LLAMA = TestFiles.resource("/fixtures/models/llama-tiny");

    @TempDir
    Path dir;

    private static Map<String, SafeTensorsWriter.Entry> llamaWeights() {
        try (HfCheckpoint checkpoint = HfCheckpoint.open(LLAMA)) {
            Map<String, SafeTensorsWriter.Entry> weights = new LinkedHashMap<>();
            for (String name : checkpoint.names()) {
                weights.put(name, new SafeTensorsWriter.Entry(checkpoint.read(name), Dtype.F32));
            }
            return weights;
        }
    }

    private static SafeTensorsWriter.Entry floats(int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = i + 0.5f;
        }
        return new SafeTensorsWriter.Entry(Tensor.of(values, n), Dtype.F32);
    }

    @Test
    void opensSingleFileCheckpoint() {
        try (HfCheckpoint checkpoint = HfCheckpoint.open(LLAMA);
             SafeTensors file = SafeTensors.open(LLAMA.resolve("model.safetensors"))) {
            assertEquals(List.copyOf(file.names()), List.copyOf(checkpoint.names()));
            assertEquals(file.info("lm_head.weight"), checkpoint.info("lm_head.weight"));
            assertEquals(LLAMA.resolve("model.safetensors"), checkpoint.fileOf("lm_head.weight"));
            assertArrayEquals(file.read("model.norm.weight").data(), checkpoint.read("model.norm.weight").data());
            assertTrue(checkpoint.contains("model.embed_tokens.weight"));
            CheckpointException e = assertThrows(CheckpointException.class, () -> checkpoint.read("nope"));
            assertEquals(LLAMA + ": no tensor 'nope'", e.getMessage());
        }
    }

    @Test
    void floatDtypeIsTheOneStoringMostElements() {
        Map<String, SafeTensorsWriter.Entry> tensors = new LinkedHashMap<>();
        tensors.put("big", new SafeTensorsWriter.Entry(floats(100).tensor(), Dtype.BF16));
        tensors.put("norm", floats(10));
        tensors.put("packed", SafeTensorsWriter.Entry.bytes(new byte[1000], 1000));
        HfCheckpoint.writeWeights(dir, tensors);
        try (HfCheckpoint checkpoint = HfCheckpoint.open(dir)) {
            assertEquals(java.util.Optional.of(Dtype.BF16), checkpoint.floatDtype(List.of("big", "norm", "packed")));
            assertEquals(java.util.Optional.of(Dtype.F32), checkpoint.floatDtype(List.of("norm", "packed", "absent")));
            assertEquals(java.util.Optional.empty(), checkpoint.floatDtype(List.of("packed", "absent")));
        }
    }

    @Test
    void shardedWriteThenReadEqualsOriginal() throws IOException {
        Map<String, SafeTensorsWriter.Entry> weights = llamaWeights();
        List<Path> written = HfCheckpoint.writeWeights(dir, weights, 300_000);

        assertEquals(List.of("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                        "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors",
                        "model.safetensors.index.json"),
                written.stream().map(p -> p.getFileName().toString()).toList());
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        for (Path shard : written.subList(0, 4)) {
            try (SafeTensors st = SafeTensors.open(shard)) {
                long bytes = st.names().stream().mapToLong(n -> st.info(n).byteSize()).sum();
                assertTrue(bytes <= 300_000, shard + " holds " + bytes + " bytes");
            }
        }
        try (HfCheckpoint checkpoint = HfCheckpoint.open(dir)) {
            assertEquals(weights.keySet(), checkpoint.names());
            for (var e : weights.entrySet()) {
                Tensor back = checkpoint.read(e.getKey());
                assertArrayEquals(e.getValue().tensor().shape(), back.shape());
                assertArrayEquals(e.getValue().tensor().data(), back.data(), e.getKey());
            }
            assertEquals(dir.resolve("model-00001-of-00004.safetensors"), checkpoint.fileOf("lm_head.weight"));
            assertEquals(dir.resolve("model-00002-of-00004.safetensors"),
                    checkpoint.fileOf("model.embed_tokens.weight"));
        }
    }

    /** save_pretrained's rule: fill shards in order; an oversized tensor gets its own shard, appended at once. */
    @Test
    void splitsLikeSavePretrainedAndWritesPythonStyleIndex() throws IOException {
        Map<String, SafeTensorsWriter.Entry> weights = new LinkedHashMap<>();
        weights.put("a", floats(10));
        weights.put("b", floats(10));
        weights.put("c", floats(25));
        weights.put("d", floats(2));
        HfCheckpoint.writeWeights(dir, weights, 64);

        String index = Files.readString(dir.resolve("model.safetensors.index.json"));
        assertEquals("""
                {
                  "metadata": {
                    "total_size": 188
                  },
                  "weight_map": {
                    "a": "model-00001-of-00003.safetensors",
                    "b": "model-00003-of-00003.safetensors",
                    "c": "model-00002-of-00003.safetensors",
                    "d": "model-00003-of-00003.safetensors"
                  }
                }
                """, index);
        try (SafeTensors third = SafeTensors.open(dir.resolve("model-00003-of-00003.safetensors"))) {
            assertEquals(List.of("b", "d"), List.copyOf(third.names()));
        }
        try (HfCheckpoint checkpoint = HfCheckpoint.open(dir)) {
            assertArrayEquals(weights.get("c").tensor().data(), checkpoint.read("c").data());
        }
    }

    @Test
    void oneShardIsWrittenAsModelSafetensors() throws IOException {
        Map<String, SafeTensorsWriter.Entry> weights = llamaWeights();
        assertEquals(List.of(dir.resolve("model.safetensors")), HfCheckpoint.writeWeights(dir, weights));
        assertArrayEquals(Files.readAllBytes(LLAMA.resolve("model.safetensors")),
                Files.readAllBytes(dir.resolve("model.safetensors")));
        assertFalse(Files.exists(dir.resolve("model.safetensors.index.json")));
    }

    @Test
    void indexPointingAtMissingShard() throws IOException {
        HfCheckpoint.writeWeights(dir, llamaWeights(), 300_000);
        Files.delete(dir.resolve("model-00003-of-00004.safetensors"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("model.safetensors.index.json") + ": tensor '"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("' maps to shard 'model-00003-of-00004.safetensors', which does not exist"),
                e.getMessage());
    }

    @Test
    void shardLackingItsTensor() throws IOException {
        HfCheckpoint.writeWeights(dir, llamaWeights(), 300_000);
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, Files.readString(index).replace(
                "\"lm_head.weight\": \"model-00001-of-00004.safetensors\"",
                "\"lm_head.weight\": \"model-00002-of-00004.safetensors\""));
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(dir));
        assertEquals(index + ": shard 'model-00002-of-00004.safetensors' has no tensor 'lm_head.weight'",
                e.getMessage());
    }

    @Test
    void malformedIndex() throws IOException {
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\": {\"w\": \"../elsewhere/model.safetensors\"}}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(dir));
        assertEquals(index + ": weight_map entry 'w' must name a shard file in the same directory,"
                + " got \"../elsewhere/model.safetensors\"", e.getMessage());

        Files.writeString(index, "{\"metadata\": {}}");
        e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(dir));
        assertEquals(index + ": no 'weight_map' object", e.getMessage());

        Files.writeString(index, "{\"weight_map\": ");
        e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().startsWith(index + ": not valid JSON: "), e.getMessage());
    }

    @Test
    void directoryWithoutWeights() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(dir));
        assertEquals(dir + ": neither model.safetensors nor model.safetensors.index.json found", e.getMessage());
    }

    @Test
    void singleFileWinsOverIndex() throws IOException {
        HfCheckpoint.writeWeights(dir, Map.of("x", floats(3)), 4);
        HfCheckpoint.writeWeights(dir, Map.of("only", floats(2)));
        try (HfCheckpoint checkpoint = HfCheckpoint.open(dir)) {
            assertEquals(List.of("only"), List.copyOf(checkpoint.names()));
        }
    }

    @Test
    void shardLimitMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> HfCheckpoint.writeWeights(dir, Map.of(), 0));
    }
}
