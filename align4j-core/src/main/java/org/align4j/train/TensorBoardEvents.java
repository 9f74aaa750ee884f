package org.align4j.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32C;
import org.align4j.OutputFile;

/**
 * A TensorBoard event file ({@code events.out.tfevents.<seconds>.<host>}) that HF's {@code TensorBoardCallback}
 * would write for {@code report_to: tensorboard}: each logged entry becomes scalars at its {@code step}, named as the
 * callback renames them ({@code eval_loss} → {@code eval/loss}, {@code loss} → {@code train/loss}). The file is
 * TFRecord framing (length, masked CRC-32C of the length, the record, masked CRC-32C of the record) around
 * {@code tensorflow.Event} protocol buffers: the first record holds {@code file_version "brain.Event:2"}, each later
 * one {@code wall_time}, {@code step} and a {@code Summary} of {@code simple_value}s. Every entry is appended and
 * flushed at once, so that TensorBoard shows a run while it trains.
 */
public final class TensorBoardEvents {
    private static final int MASK_DELTA = 0xa282ead8;
    private final Path file;

    private TensorBoardEvents(Path file) {
        this.file = file;
    }

    /** A new event file in {@code directory} (created if needed), beginning with the file-version record. */
    public static TensorBoardEvents create(Path directory) throws IOException {
        Files.createDirectories(directory);
        String host = hostName();
        long seconds = System.currentTimeMillis() / 1000;
        Path file = directory.resolve("events.out.tfevents." + seconds + "." + host);
        TensorBoardEvents events = new TensorBoardEvents(file);
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        wallTime(event);
        bytesField(event, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8));
        events.append(event.toByteArray());
        return events;
    }

    /** HF's default logging folder name under {@code output_dir/runs}: {@code <date>_<time>_<host>}. */
    public static String runName() {
        return java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("MMMdd_HH-mm-ss",
                java.util.Locale.ENGLISH)) + "_" + hostName();
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** The event file. */
    public Path file() {
        return file;
    }

    /**
     * Appends the numbers of one metrics entry as scalars at the entry's {@code step} ({@code epoch} and
     * {@code step} themselves included as HF logs them, non-numbers skipped).
     */
    public void write(Map<String, Object> entry) throws IOException {
        Object step = entry.get("step");
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        for (Map.Entry<String, Object> e : entry.entrySet()) {
            if (e.getValue() instanceof Number n && !e.getKey().equals("step")) {
                ByteArrayOutputStream value = new ByteArrayOutputStream();
                bytesField(value, 1, tag(e.getKey()).getBytes(StandardCharsets.UTF_8));
                value.write((2 << 3) | 5);
                value.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(n.floatValue())
                        .array());
                bytesField(summary, 1, value.toByteArray());
            }
        }
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        wallTime(event);
        event.write(2 << 3);
        varint(event, step instanceof Number n ? n.longValue() : 0);
        bytesField(event, 5, summary.toByteArray());
        append(event.toByteArray());
    }

    /** HF's {@code rewrite_logs}: {@code eval_x} → {@code eval/x}, {@code test_x} → {@code test/x}, else {@code train/x}. */
    static String tag(String key) {
        if (key.startsWith("eval_")) {
            return "eval/" + key.substring(5);
        }
        if (key.startsWith("test_")) {
            return "test/" + key.substring(5);
        }
        return "train/" + key;
    }

    private void append(byte[] record) throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(8 + 4 + record.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(record.length).array();
        frame.put(length).putInt(maskedCrc(length)).put(record).putInt(maskedCrc(record));
        OutputFile.append(file, frame.array());
    }

    /** TFRecord's masked CRC-32C: the checksum rotated right by 15 bits plus a constant. */
    static int maskedCrc(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int value = (int) crc.getValue();
        return ((value >>> 15) | (value << 17)) + MASK_DELTA;
    }

    private static void wallTime(ByteArrayOutputStream out) {
        out.write((1 << 3) | 1);
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(System.currentTimeMillis() / 1000.0).array());
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] bytes) {
        out.write((field << 3) | 2);
        varint(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
