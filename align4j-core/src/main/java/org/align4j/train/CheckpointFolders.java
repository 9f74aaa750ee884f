package org.align4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.align4j.InputException;
import org.align4j.model.io.AtomicDirectory;

/**
 * The {@code checkpoint-N} folders of a run's output directory, named as HF Trainer names them ({@code N} is the
 * global step): finding the newest one to resume from ({@code get_last_checkpoint}) and deleting the oldest beyond
 * {@code save_total_limit} ({@code _rotate_checkpoints}). Folders being written ({@code .tmp}) or replaced
 * ({@code .old}) are not checkpoints.
 */
public final class CheckpointFolders {
    /** The folder-name prefix HF uses ({@code PREFIX_CHECKPOINT_DIR}). */
    public static final String PREFIX = "checkpoint-";
    private static final Pattern NAME = Pattern.compile("^" + PREFIX + "(\\d+)$");

    private CheckpointFolders() {
    }

    /** The folder of the checkpoint at {@code step} in {@code outputDir}. */
    public static Path of(Path outputDir, long step) {
        return outputDir.resolve(PREFIX + step);
    }

    /** The step a checkpoint folder name stands for, or -1 when the name is not {@code checkpoint-N}. */
    public static long stepOf(Path folder) {
        Matcher m = NAME.matcher(folder.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /** The checkpoint folders of {@code outputDir}, oldest (smallest step) first; none when it does not exist. */
    public static List<Path> list(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(outputDir)) {
            return entries.filter(p -> stepOf(p) >= 0 && Files.isDirectory(p))
                    .sorted(Comparator.comparingLong(CheckpointFolders::stepOf)).toList();
        }
    }

    /** The half-written checkpoint folders ({@code checkpoint-N.tmp}) of {@code outputDir}. */
    private static List<Path> partial(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(outputDir)) {
            return entries.filter(p -> Files.isDirectory(p) && p.getFileName().toString().endsWith(".tmp")
                    && stepOf(p.resolveSibling(p.getFileName().toString().replaceFirst("\\.tmp$", ""))) >= 0)
                    .toList();
        }
    }

    /** The newest checkpoint folder of {@code outputDir}, or null when there is none. */
    public static Path latest(Path outputDir) throws IOException {
        List<Path> all = list(outputDir);
        return all.isEmpty() ? null : all.getLast();
    }

    /**
     * The checkpoint a {@code resume_from_checkpoint} value names: null for none (unset, blank or "false"), the
     * {@link #latest} of {@code outputDir} for "true" (or "latest"), else the folder at that path. A run stopped
     * while writing its first checkpoint leaves only {@code checkpoint-N.tmp}: then the leftover is deleted and the
     * run starts from scratch (null), with a warning.
     *
     * @throws InputException naming the option when "true" finds no checkpoint, complete or partial, or the path is
     *                        no folder
     */
    public static Path toResume(String resumeFromCheckpoint, Path outputDir) throws IOException {
        String value = resumeFromCheckpoint;
        if (value == null || value.isBlank() || value.equalsIgnoreCase("false")) {
            return null;
        }
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("latest")) {
            Path latest = latest(outputDir);
            if (latest != null) {
                return latest;
            }
            List<Path> partial = partial(outputDir);
            if (partial.isEmpty()) {
                throw new InputException("resume_from_checkpoint: no " + PREFIX + "N folder in " + outputDir);
            }
            for (Path leftover : partial) {
                AtomicDirectory.delete(leftover);
            }
            System.err.println("warning: resume_from_checkpoint: " + outputDir + " has no complete checkpoint (the"
                    + " run stopped while writing its first); starting from scratch");
            return null;
        }
        Path folder = Path.of(value);
        if (!Files.isDirectory(folder)) {
            throw new InputException("resume_from_checkpoint: no checkpoint folder " + folder);
        }
        return folder;
    }

    /**
     * Deletes the oldest checkpoints of {@code outputDir} until at most {@code limit} remain, never deleting the
     * newest one nor {@code keep} (the best checkpoint; may be null).
     *
     * @return the deleted folders
     */
    public static List<Path> rotate(Path outputDir, int limit, Path keep) throws IOException {
        List<Path> all = list(outputDir);
        List<Path> deletable = new ArrayList<>(all.subList(0, Math.max(0, all.size() - 1)));
        if (keep != null) {
            deletable.removeIf(p -> p.getFileName().equals(keep.getFileName()));
        }
        List<Path> deleted = new ArrayList<>();
        int remaining = all.size();
        for (Path p : deletable) {
            if (remaining <= limit) {
                break;
            }
            AtomicDirectory.delete(p);
            deleted.add(p);
            remaining--;
        }
        return deleted;
    }
}
