package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.align4j.model.HfModels;
import org.align4j.train.CheckpointFolders;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults in forked JVMs, as a user meets them: the output disk fills up in the middle of a checkpoint, and the
 * process is killed (SIGKILL) while a checkpoint is being written. Neither may leave a folder that looks complete
 * but is not, and the run then resumes to the same weights as an uninterrupted one, or is refused with one line.
 */
class CheckpointFaultTest {
    private static final String WEIGHTS = "model.safetensors";
    private static final String[] TRAINING = {"--max-steps", "6", "--save-steps", "1", "--learning-rate", "1e-2",
        "--per-device-train-batch-size", "2", "--max-length", "32", "--logging-steps", "1", "--disable-tqdm"};

    @TempDir
    static Path tmp;
    static Path model;
    static Path data;
    /** The final weights of the uninterrupted run. */
    static byte[] uninterrupted;

    @BeforeAll
    static void modelDataAndTheUninterruptedRun() throws Exception {
        model = SmallTextModel.write(tmp.resolve("model"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            lines.add("{\"text\": \"The rain fell on the quiet town " + i + " times, and the sea answered.\"}");
        }
        data = Files.write(tmp.resolve("train.jsonl"), lines);
        Path run = tmp.resolve("uninterrupted");
        Fork clean = sft(run, null);
        assertEquals(0, clean.exitCode(), clean.err());
        uninterrupted = Files.readAllBytes(run.resolve(WEIGHTS));
    }

    /**
     * {@code ulimit -f} stops every file at 256 KiB with EFBIG ("File too large"), as a full disk stops it with
     * ENOSPC: the first checkpoint's weights cannot be written.
     */
    @Test
    void diskFullInTheFirstCheckpointLeavesNoCheckpointAndResumeIsRefusedWithOneLine() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs a POSIX shell for ulimit");
        Path run = tmp.resolve("disk-full");
        Fork full = sft(run, 256);
        assertEquals(Main.EXIT_BAD_INPUT, full.exitCode(), full.err());
        List<String> lines = full.errorLines();
        assertEquals(1, lines.size(), full.err());
        assertTrue(lines.getFirst().matches("align4j sft: " + Pattern.quote(run.toString())
                + "/checkpoint-1\\.tmp/\\w+\\.safetensors: cannot write: File too large"), lines.getFirst());
        assertEquals(List.of(), checkpointFolders(run), "no checkpoint folder, complete-looking or partial");
        assertTrue(Files.notExists(run.resolve(WEIGHTS)));

        Fork resumed = sft(run, null, "--resume-from-checkpoint", "true");
        assertEquals(Main.EXIT_BAD_INPUT, resumed.exitCode(), resumed.err());
        assertEquals(1, resumed.errorLines().size(), resumed.err());
        assertTrue(resumed.errorLines().getFirst().contains("resume_from_checkpoint"), resumed.err());

        Fork again = sft(run, null);
        assertEquals(0, again.exitCode(), again.err());
        assertEquals(-1, Files.mismatch(run.resolve(WEIGHTS), tmp.resolve("uninterrupted")
                .resolve(WEIGHTS)), "the rerun ends with the uninterrupted run's weights");
    }

    /**
     * SIGKILL as soon as a {@code checkpoint-N.tmp} folder appears (retried until a kill lands inside a write): the
     * half-written folder is never taken for a checkpoint, every complete-looking one loads, and resuming ends with
     * the uninterrupted run's weights byte for byte.
     */
    @Test
    void killedWhileWritingACheckpointResumesToTheSameWeights() throws Exception {
        Path run = null;
        boolean landedInsideAWrite = false;
        for (int attempt = 0; attempt < 6 && !landedInsideAWrite; attempt++) {
            run = tmp.resolve("killed-" + attempt);
            Process process = start(run, null);
            while (process.isAlive() && partialCheckpoints(run).isEmpty()) {
                Thread.onSpinWait();
            }
            process.destroyForcibly();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS));
            landedInsideAWrite = !partialCheckpoints(run).isEmpty();
        }
        assumeTrue(landedInsideAWrite, "no kill landed inside a checkpoint write in 6 tries");
        for (Path checkpoint : CheckpointFolders.list(run)) {
            HfModels.load(checkpoint);
        }
        Fork resumed = sft(run, null, "--resume-from-checkpoint", "true");
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertEquals(List.of(), partialCheckpoints(run), "the leftover is gone");
        assertEquals(-1, Files.mismatch(run.resolve(WEIGHTS), tmp.resolve("uninterrupted")
                .resolve(WEIGHTS)), "the resumed run ends with the uninterrupted run's weights");
    }

    private static List<Path> checkpointFolders(Path run) throws IOException {
        try (Stream<Path> entries = Files.list(run)) {
            return entries.filter(p -> p.getFileName().toString().startsWith(CheckpointFolders.PREFIX)).toList();
        }
    }

    private static List<Path> partialCheckpoints(Path run) throws IOException {
        if (!Files.isDirectory(run)) {
            return List.of();
        }
        return checkpointFolders(run).stream().filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
    }

    /** What a forked {@code align4j} printed on standard error and how it ended. */
    private record Fork(int exitCode, String err) {
        List<String> errorLines() {
            return err.lines().filter(l -> !l.startsWith("WARNING: ") && !l.startsWith("warning: ")).toList();
        }
    }

    private static Fork sft(Path run, Integer fileSizeLimitKib, String... more) throws Exception {
        Process process = start(run, fileSizeLimitKib, more);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the forked JVM did not end");
        return new Fork(process.exitValue(), err);
    }

    /** {@code align4j sft} in a forked JVM, under {@code ulimit -f} when a limit is given. */
    private static Process start(Path run, Integer fileSizeLimitKib, String... more) throws IOException {
        List<String> java = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "sft", "--model", model.toString(), "--data", data.toString(), "--output",
                run.toString()));
        java.addAll(List.of(TRAINING));
        java.addAll(List.of(more));
        List<String> command = java;
        if (fileSizeLimitKib != null) {
            command = new ArrayList<>(List.of("/bin/sh", "-c", "ulimit -f " + fileSizeLimitKib + " && exec \"$@\"",
                    "sh"));
            command.addAll(java);
        }
        return new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }
}
