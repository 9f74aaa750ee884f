package org.align4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.align4j.InputException;
import org.align4j.OutputFile;
import org.align4j.model.io.AtomicDirectory;

/**
 * A training run's output folder, as HF's {@code Trainer} lays it out, and the one place every training loop
 * ({@link Trainer}, PPO) writes it: {@value #METRICS_FILE} (one JSON line per log entry, rewritten from the log
 * history on start so that a resumed run continues it), files replaced atomically, {@code checkpoint-N} folders
 * written to a temporary folder, renamed into place and rotated to {@code save_total_limit}, the checks a resumed
 * checkpoint must pass, the final model saved file by file from a staging folder, and the progress bar.
 */
public final class RunFolder {
    /** The training arguments as JSON (HF writes {@code training_args.bin}; JSON is its readable counterpart). */
    public static final String TRAINING_ARGS_FILE = "training_args.json";
    /** HF's trainer state: global step, log history, best metric. */
    public static final String TRAINER_STATE_FILE = "trainer_state.json";
    /** The optimizer state of a checkpoint. */
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** The learning-rate schedule's position in a checkpoint ({@code last_epoch}, as PyTorch's schedulers). */
    public static final String SCHEDULER_FILE = "scheduler.json";
    /** The random streams' and the sampler's position in a checkpoint. */
    public static final String RNG_STATE_FILE = "rng_state.json";
    /** One JSON line per log entry. */
    public static final String METRICS_FILE = "metrics.jsonl";
    /** Where the final model is written before its files are renamed into the run folder. */
    private static final String FINAL_MODEL_STAGING = "final-model";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often a progress line is printed when standard error is not a terminal. */
    private static final int PLAIN_LINE_SECONDS = 30;
    private static final int PLAIN_LINE_WIDTH = 120;

    private final Path directory;
    /** Whether {@link #start} ran: from then on the folder must stay the one it made. */
    private boolean started;
    /** The folder's device and inode at {@link #start}, where the platform tells them (else null). */
    private Object folderKey;
    private boolean echoMetrics;
    private TensorBoardEvents tensorBoard;

    /** The run folder {@code directory} (created by {@link #start}). */
    public RunFolder(Path directory) {
        this.directory = directory;
    }

    /** The folder. */
    public Path directory() {
        return directory;
    }

    /** Creates the folder and rewrites {@value #METRICS_FILE} as {@code history} (empty for a fresh run). */
    public void start(List<Map<String, Object>> history) throws IOException {
        Files.createDirectories(directory);
        replace(METRICS_FILE, file -> {
            try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (Map<String, Object> entry : history) {
                    out.write(JSON.writeValueAsString(entry) + "\n");
                }
            }
        });
        started = true;
        folderKey = folderKey();
    }

    /**
     * Appends one log entry to {@value #METRICS_FILE}, and prints it as a line on standard output when the progress
     * is not drawn as a bar ({@link #progress}), as HF's trainer prints its log dicts. Before {@link #start} (an
     * evaluation before training) the folder is created if need be.
     */
    public void appendMetrics(Map<String, Object> entry) throws IOException {
        if (!started) {
            Files.createDirectories(directory);
        }
        requireFolder();
        String line = JSON.writeValueAsString(entry);
        OutputFile.append(directory.resolve(METRICS_FILE), (line + "\n").getBytes(StandardCharsets.UTF_8));
        if (echoMetrics) {
            System.out.println(line);
        }
        if (tensorBoard != null) {
            tensorBoard.write(entry);
        }
    }

    /**
     * From now on every metrics entry is also written to a new TensorBoard event file in {@code directory}
     * ({@code report_to: tensorboard}).
     */
    public void reportToTensorBoard(Path directory) throws IOException {
        tensorBoard = TensorBoardEvents.create(directory);
    }

    /** Writes the file {@code name} of the folder beside it, then renames it into place. */
    public void replace(String name, OutputFile.Contents contents) throws IOException {
        requireFolder();
        OutputFile.write(directory.resolve(name), contents);
    }

    /**
     * Stops the run when its folder was removed or replaced since {@link #start} (its metrics, arguments and
     * checkpoints gone): going on would leave a folder that looks complete but is not.
     *
     * @throws InputException naming the folder
     */
    private void requireFolder() {
        if (started && !(Files.exists(directory.resolve(METRICS_FILE)) && Objects.equals(folderKey, folderKey()))) {
            throw new InputException(directory + ": the output folder was removed or replaced during the run, taking"
                    + " its metrics and checkpoints; the run stops (resume from a checkpoint kept elsewhere)");
        }
    }

    /**
     * The folder's device and inode where the platform tells them, or null. A folder made anew in its place may reuse
     * the inode, but it lacks {@value #METRICS_FILE}, which {@link #requireFolder} checks too.
     */
    private Object folderKey() {
        try {
            return Files.readAttributes(directory, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Writes {@code checkpoint-<step>} through {@link AtomicDirectory} and then keeps the newest
     * {@code saveTotalLimit} checkpoints (all when null), and {@code keep} (the best model's, or null) besides.
     */
    public Path writeCheckpoint(long step, Integer saveTotalLimit, Path keep, AtomicDirectory.Contents contents)
            throws IOException {
        requireFolder();
        Path folder = CheckpointFolders.of(directory, step);
        AtomicDirectory.write(folder, contents);
        if (saveTotalLimit != null) {
            CheckpointFolders.rotate(directory, saveTotalLimit, keep);
        }
        return folder;
    }

    /**
     * Checks that the checkpoint's learning-rate schedule stands at {@code step}, the global step of its trainer
     * state.
     *
     * @throws InputException naming the file that is unreadable or disagrees
     */
    public static void requireScheduleAt(Path checkpoint, long step) {
        JsonNode scheduler = readJson(checkpoint.resolve(SCHEDULER_FILE));
        if (scheduler.path("last_epoch").asLong(-1) != step) {
            throw new InputException(checkpoint.resolve(SCHEDULER_FILE) + ": last_epoch "
                    + scheduler.path("last_epoch") + " differs from global_step " + step);
        }
    }

    /** A JSON file of a checkpoint or run folder; an unreadable one is an {@link InputException} naming it. */
    public static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new InputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Saves the final model into the folder: written (and synced) into a staging folder, then each file renamed into
     * place, so that no file of the final model is ever seen half-written.
     */
    public void saveFinalModel(AtomicDirectory.Contents model) throws IOException {
        requireFolder();
        Path staging = directory.resolve(FINAL_MODEL_STAGING);
        AtomicDirectory.write(staging, model);
        List<Path> entries;
        try (Stream<Path> files = Files.list(staging)) {
            entries = files.toList();
        }
        for (Path entry : entries) {
            Path target = directory.resolve(entry.getFileName().toString());
            if (Files.isDirectory(entry)) {
                AtomicDirectory.delete(target);
                Files.move(entry, target, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.move(entry, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        AtomicDirectory.delete(staging);
    }

    /**
     * The progress of this run over {@code max} steps starting at {@code start} ({@code tqdm}'s place in HF's
     * trainer): on a terminal a bar redrawn in place; when standard error is not a terminal (a log file, CI), a plain
     * line every {@value #PLAIN_LINE_SECONDS} seconds; nothing when {@code disabled} ({@code disable_tqdm}). Unless it
     * is a bar, each metrics entry is also printed ({@link #appendMetrics}).
     */
    public Progress progress(String task, long max, long start, boolean disabled) {
        boolean terminal = System.console() != null && System.console().isTerminal();
        echoMetrics = disabled || !terminal;
        if (disabled) {
            return new Progress(null);
        }
        ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).startsFrom(start, Duration.ZERO);
        if (terminal) {
            builder.setUpdateIntervalMillis(500);
        } else {
            builder.setUpdateIntervalMillis(PLAIN_LINE_SECONDS * 1000)
                    .setConsumer(new DelegatingProgressBarConsumer(System.err::println, PLAIN_LINE_WIDTH));
        }
        return new Progress(builder.build());
    }

    /** A progress bar: steps done, elapsed time, ETA and a message. */
    public static final class Progress implements AutoCloseable {
        private final ProgressBar bar;

        private Progress(ProgressBar bar) {
            this.bar = bar;
        }

        /** Moves the bar to {@code step} with {@code format} (a {@link String#format} pattern) as its message. */
        public void update(long step, String format, Object... values) {
            if (bar != null) {
                bar.stepTo(step);
                bar.setExtraMessage(String.format(Locale.ROOT, format, values));
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }
}
