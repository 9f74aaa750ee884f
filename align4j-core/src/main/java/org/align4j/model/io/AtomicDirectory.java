package org.align4j.model.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;
import org.align4j.OutputFile;

/**
 * Writes a directory (a checkpoint: weights, config, optimizer state...) so that readers see either the complete
 * old contents or the complete new ones, never a mix or a half-written file.
 *
 * <p>The contents are written into {@code <target>.tmp} (a stale one from an earlier crash is deleted first), every
 * file is flushed to disk, and the directory is then renamed to {@code <target>} atomically. An existing target is
 * first renamed to {@code <target>.old} and deleted once the new one is in place; if the process dies between those
 * two renames, {@code <target>.old} holds the previous complete checkpoint (the next successful write deletes it).
 * If writing fails, the temporary directory is removed and an existing target is left untouched; the failure is
 * an {@link IOException} naming the directory ({@link OutputFile#naming}).
 */
public final class AtomicDirectory {

    /** Fills a fresh, empty directory with a checkpoint's files. */
    @FunctionalInterface
    public interface Contents {
        void writeTo(Path directory) throws IOException;
    }

    private AtomicDirectory() {
    }

    /** The temporary directory that {@link #write} fills before renaming it to {@code target}. */
    public static Path temporaryFor(Path target) {
        return target.resolveSibling(target.getFileName() + ".tmp");
    }

    /** Where {@link #write} moves an existing {@code target} while swapping in the new one. */
    public static Path previousFor(Path target) {
        return target.resolveSibling(target.getFileName() + ".old");
    }

    /**
     * Replaces (or creates) directory {@code target} with what {@code contents} writes.
     *
     * @throws IOException what {@code contents} threw, or a failure to sync or rename, after which the target is
     *                     unchanged; or, once the new directory is in place, a failure to delete {@code <target>.old}
     */
    public static void write(Path target, Contents contents) throws IOException {
        Path absoluteTarget = target.toAbsolutePath();
        Path parent = absoluteTarget.getParent();
        Files.createDirectories(parent);
        Path temporary = temporaryFor(absoluteTarget);
        deleteRecursively(temporary);
        Files.createDirectory(temporary);
        try {
            contents.writeTo(temporary);
            syncTree(temporary);
        } catch (IOException e) {
            IOException named = OutputFile.naming(temporary, e);
            deleteAfterFailure(temporary, named);
            throw named;
        } catch (RuntimeException | Error e) {
            deleteAfterFailure(temporary, e);
            throw e;
        }
        Path previous = previousFor(absoluteTarget);
        if (Files.exists(absoluteTarget)) {
            deleteRecursively(previous);
            moveAtomically(absoluteTarget, previous, temporary);
            try {
                Files.move(temporary, absoluteTarget, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                try {
                    Files.move(previous, absoluteTarget, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException restore) {
                    e.addSuppressed(restore);
                }
                deleteAfterFailure(temporary, e);
                throw e;
            }
        } else {
            moveAtomically(temporary, absoluteTarget, temporary);
        }
        syncDirectory(parent);
        deleteRecursively(previous);
    }

    /**
     * Deletes directory {@code target} and everything under it, first renaming it to {@code <target>.old} so that it
     * disappears from its name at once (a crash part-way leaves only the {@code .old} folder). Nothing happens if it
     * does not exist.
     */
    public static void delete(Path target) throws IOException {
        Path absoluteTarget = target.toAbsolutePath();
        if (!Files.exists(absoluteTarget, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path previous = previousFor(absoluteTarget);
        deleteRecursively(previous);
        Files.move(absoluteTarget, previous, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(absoluteTarget.getParent());
        deleteRecursively(previous);
    }

    private static void moveAtomically(Path from, Path to, Path temporary) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteAfterFailure(temporary, e);
            throw e;
        }
    }

    private static void syncTree(Path root) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.toList();
        }
        for (Path p : paths) {
            if (Files.isRegularFile(p)) {
                try (FileChannel channel = FileChannel.open(p, StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
            } else if (Files.isDirectory(p)) {
                syncDirectory(p);
            }
        }
    }

    /**
     * Flushes a directory's entries (so a rename survives a crash). Some platforms cannot open a directory for
     * syncing; there the rename is only as durable as the file system makes it.
     */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException unsupportedOnThisPlatform) {
            // Directory sync is best effort: Windows, for one, refuses to open a directory as a channel.
        }
    }

    private static void deleteAfterFailure(Path directory, Throwable failure) {
        try {
            deleteRecursively(directory);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** Deletes {@code path} and everything under it; nothing happens if it does not exist. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
