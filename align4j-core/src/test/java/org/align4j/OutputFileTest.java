package org.align4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Output files are written whole or not at all, and a failure names the file. */
class OutputFileTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesWholeAndReplaces() throws IOException {
        Path file = dir.resolve("scores.jsonl");
        OutputFile.writeString(file, "one\n");
        OutputFile.writeString(file, "two\n");
        assertEquals("two\n", Files.readString(file));
        assertEquals(List.of("scores.jsonl"), names());
    }

    /** A failure part-way (here the operating system's own "No space left on device") keeps the old file. */
    @Test
    void aFailureNamesTheFileAndKeepsWhatWasThere() throws IOException {
        Path file = dir.resolve("scores.jsonl");
        OutputFile.writeString(file, "old\n");
        IOException e = assertThrows(IOException.class, () -> OutputFile.write(file, temporary -> {
            Files.writeString(temporary, "half");
            throw new IOException("No space left on device");
        }));
        assertEquals(file + ": cannot write: No space left on device", e.getMessage());
        assertEquals("old\n", Files.readString(file));
        assertEquals(List.of("scores.jsonl"), names(), "no .tmp left");
    }

    /** /dev/full fails every write with ENOSPC, as a full disk does. */
    @Test
    void aRealFullDeviceIsNamed() throws IOException {
        assumeTrue(Files.isWritable(Path.of("/dev/full")), "needs /dev/full");
        Path file = dir.resolve("out.txt");
        Files.createSymbolicLink(dir.resolve("out.txt.tmp"), Path.of("/dev/full"));
        IOException e = assertThrows(IOException.class, () -> OutputFile.writeString(file, "x".repeat(1 << 16)));
        assertEquals(file + ": cannot write: No space left on device", e.getMessage());
        assertEquals(List.of(), names());
    }

    @Test
    void appendNamesTheFileAndExceptionsThatNameOneAreKept() {
        Path file = dir.resolve("gone").resolve("metrics.jsonl");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> OutputFile.append(file, new byte[1]));
        assertEquals(file.toString(), e.getFile());
        assertSame(e, OutputFile.naming(dir, e));
    }
}
