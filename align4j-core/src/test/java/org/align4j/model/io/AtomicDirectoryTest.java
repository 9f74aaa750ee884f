package org.align4j.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicDirectoryTest {
    @TempDir
    Path root;

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void writeCheckpoint(Path dir, float value) throws IOException {
        Tensor w = Tensor.of(new float[] {value, value + 1}, 2);
        HfCheckpoint.writeWeights(dir, SafeTensorsWriter.entries(Map.of("w", w), Dtype.F32));
        Files.writeString(dir.resolve("config.json"), "{\"step\": " + (int) value + "}\n");
    }

    @Test
    void createsTarget() throws IOException {
        Path target = root.resolve("checkpoint-1");
        AtomicDirectory.write(target, dir -> writeCheckpoint(dir, 1));
        assertEquals(List.of("config.json", "model.safetensors"), listing(target));
        assertEquals(List.of("checkpoint-1"), listing(root));
        try (HfCheckpoint checkpoint = HfCheckpoint.open(target)) {
            assertArrayEquals(new float[] {1, 2}, checkpoint.read("w").data());
        }
    }

    @Test
    void replacesExistingTargetWholesale() throws IOException {
        Path target = root.resolve("last");
        AtomicDirectory.write(target, dir -> {
            writeCheckpoint(dir, 1);
            Files.writeString(dir.resolve("optimizer.bin"), "old state");
        });
        AtomicDirectory.write(target, dir -> writeCheckpoint(dir, 2));
        assertEquals(List.of("config.json", "model.safetensors"), listing(target));
        assertEquals("{\"step\": 2}\n", Files.readString(target.resolve("config.json")));
        assertEquals(List.of("last"), listing(root));
    }

    @Test
    void failureMidWriteLeavesNoTarget() throws IOException {
        Path target = root.resolve("checkpoint-1");
        IOException failure = new IOException("disk full");
        IOException thrown = assertThrows(IOException.class, () -> AtomicDirectory.write(target, dir -> {
            writeCheckpoint(dir, 1);
            try (OutputStream out = Files.newOutputStream(dir.resolve("optimizer.bin"))) {
                out.write(new byte[100]);
                throw failure;
            }
        }));
        assertSame(failure, thrown.getCause());
        assertEquals(AtomicDirectory.temporaryFor(target.toAbsolutePath()) + ": cannot write: disk full",
                thrown.getMessage());
        assertEquals(List.of(), listing(root));
    }

    @Test
    void failureMidWriteKeepsExistingCheckpoint() throws IOException {
        Path target = root.resolve("last");
        AtomicDirectory.write(target, dir -> writeCheckpoint(dir, 1));
        byte[] weightsBefore = Files.readAllBytes(target.resolve("model.safetensors"));

        assertThrows(CheckpointException.class, () -> AtomicDirectory.write(target, dir -> {
            Files.writeString(dir.resolve("config.json"), "{\"step\": 2, \"trunc");
            throw new CheckpointException(dir + ": simulated failure while saving");
        }));
        assertEquals(List.of("last"), listing(root));
        assertEquals(List.of("config.json", "model.safetensors"), listing(target));
        assertEquals("{\"step\": 1}\n", Files.readString(target.resolve("config.json")));
        assertArrayEquals(weightsBefore, Files.readAllBytes(target.resolve("model.safetensors")));
    }

    @Test
    void staleTemporaryAndPreviousDirectoriesAreCleared() throws IOException {
        Path target = root.resolve("last");
        Files.createDirectories(AtomicDirectory.temporaryFor(target).resolve("nested"));
        Files.writeString(AtomicDirectory.temporaryFor(target).resolve("nested/half-written.bin"), "junk");
        Files.createDirectories(AtomicDirectory.previousFor(target));
        AtomicDirectory.write(target, dir -> writeCheckpoint(dir, 3));
        AtomicDirectory.write(target, dir -> writeCheckpoint(dir, 4));
        assertEquals(List.of("last"), listing(root));
        assertEquals(List.of("config.json", "model.safetensors"), listing(target));
        assertFalse(Files.exists(AtomicDirectory.temporaryFor(target)));
    }

    @Test
    void deleteRemovesTheWholeDirectoryAndNothingElse() throws IOException {
        Path target = root.resolve("checkpoint-1");
        AtomicDirectory.write(target, dir -> writeCheckpoint(dir, 1));
        AtomicDirectory.write(root.resolve("checkpoint-2"), dir -> writeCheckpoint(dir, 2));
        AtomicDirectory.delete(target);
        assertEquals(List.of("checkpoint-2"), listing(root));
        AtomicDirectory.delete(target);
        assertEquals(List.of("checkpoint-2"), listing(root));
    }

    @Test
    void temporaryAndPreviousAreSiblings() {
        Path target = root.resolve("runs/checkpoint-7");
        assertEquals(root.resolve("runs/checkpoint-7.tmp"), AtomicDirectory.temporaryFor(target));
        assertEquals(root.resolve("runs/checkpoint-7.old"), AtomicDirectory.previousFor(target));
    }
}
