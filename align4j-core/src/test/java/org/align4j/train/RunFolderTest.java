package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.align4j.InputException;
import org.align4j.model.io.AtomicDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run folder that vanishes or is replaced during the run stops it with one line, instead of being recreated. */
class RunFolderTest {
    @TempDir
    Path dir;

    private static final String VANISHED = ": the output folder was removed or replaced during the run, taking its"
            + " metrics and checkpoints; the run stops (resume from a checkpoint kept elsewhere)";

    @Test
    void removedFolderStopsEveryWrite() throws IOException {
        Path folder = dir.resolve("run");
        RunFolder run = new RunFolder(folder);
        run.start(List.of());
        run.appendMetrics(Map.of("loss", 1.0, "step", 1));
        AtomicDirectory.delete(folder);
        assertEquals(folder + VANISHED, assertThrows(InputException.class,
                () -> run.appendMetrics(Map.of("loss", 0.5, "step", 2))).getMessage());
        assertEquals(folder + VANISHED, assertThrows(InputException.class,
                () -> run.writeCheckpoint(2, null, null, d -> Files.writeString(d.resolve("x"), "x"))).getMessage());
        assertEquals(folder + VANISHED, assertThrows(InputException.class,
                () -> run.replace("trainer_state.json", f -> Files.writeString(f, "{}"))).getMessage());
        assertFalse(Files.exists(folder), "not recreated");
    }

    @Test
    void replacedFolderIsNoticed() throws IOException {
        Path folder = dir.resolve("run");
        RunFolder run = new RunFolder(folder);
        run.start(List.of());
        AtomicDirectory.delete(folder);
        Files.createDirectory(folder);
        assertEquals(folder + VANISHED, assertThrows(InputException.class,
                () -> run.appendMetrics(Map.of("loss", 0.5, "step", 2))).getMessage());
    }
}
