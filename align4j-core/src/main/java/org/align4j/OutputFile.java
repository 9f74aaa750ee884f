package org.align4j;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The one way an output file is written whole: into {@code <file>.tmp} beside it, then renamed over {@code file}, so
 * that a reader never sees half of it; and the one place an I/O failure while writing (a full disk, a folder that
 * vanished, a read-only file system) becomes an {@link IOException} whose one-line message names the file, since
 * the operating system's "No space left on device" names none.
 */
public final class OutputFile {
    /** Writes a file's contents to the path it is given. */
    @FunctionalInterface
    public interface Contents {
        void writeTo(Path file) throws IOException;
    }

    private OutputFile() {
    }

    /**
     * Writes {@code file} through {@code contents}, atomically.
     *
     * @throws IOException naming {@code file}, after which {@code file} is as it was and no {@code .tmp} is left
     */
    public static void write(Path file, Contents contents) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            contents.writeTo(temporary);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            IOException named = naming(file, e);
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                named.addSuppressed(cleanup);
            }
            throw named;
        } catch (RuntimeException | Error e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
    }

    /** Writes {@code text} as UTF-8 into {@code file}, atomically (as {@link #write}). */
    public static void writeString(Path file, String text) throws IOException {
        write(file, temporary -> Files.writeString(temporary, text));
    }

    /** Appends {@code bytes} to {@code file} (created if absent); a failure names the file. */
    public static void append(Path file, byte[] bytes) throws IOException {
        try {
            Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw naming(file, e);
        }
    }

    /**
     * {@code failure} as an exception whose message names {@code where}: itself when it already names a file (a
     * {@link FileSystemException}), else a new {@link IOException} "{@code where}: cannot write: reason" caused by it.
     */
    public static IOException naming(Path where, IOException failure) {
        if (failure instanceof FileSystemException named && named.getFile() != null) {
            return failure;
        }
        return new IOException(where + ": cannot write: " + reason(failure), failure);
    }

    /**
     * Why {@code failure} happened, in words and without the file name: the operating system's reason ("No space
     * left on device"), or what a {@link NoSuchFileException} or {@link AccessDeniedException} means.
     */
    public static String reason(IOException failure) {
        return switch (failure) {
            case NoSuchFileException e -> "no such file or folder";
            case AccessDeniedException e -> "permission denied";
            case FileSystemException e -> e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
            default -> failure.getMessage();
        };
    }
}
