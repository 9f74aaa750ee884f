package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event file read back record by record (TFRecord framing with its masked CRC-32Cs, then the Event fields), as
 * TensorBoard reads it; TensorBoard 2.21's own {@code EventAccumulator} read a file of a dpo run with the same scalars.
 */
class TensorBoardEventsTest {
    @TempDir
    Path dir;

    /** One decoded event: its step, file_version (or null) and scalars by tag. */
    private record Event(long step, String fileVersion, Map<String, Float> scalars) {
    }

    @Test
    void entriesBecomeScalarsUnderHfTagsAtTheirStep() throws IOException {
        TensorBoardEvents events = TensorBoardEvents.create(dir.resolve("runs"));
        Map<String, Object> train = new LinkedHashMap<>();
        train.put("loss", 0.5);
        train.put("learning_rate", 1e-5);
        train.put("note", "skipped");
        train.put("step", 3);
        events.write(train);
        events.write(Map.of("eval_loss", 0.25, "step", 300));
        List<Event> read = read(events.file());
        assertEquals(3, read.size());
        assertEquals("brain.Event:2", read.get(0).fileVersion());
        assertEquals(3, read.get(1).step());
        assertEquals(Map.of("train/loss", 0.5f, "train/learning_rate", 1e-5f), read.get(1).scalars());
        assertEquals(300, read.get(2).step(), "a step of two varint bytes");
        assertEquals(Map.of("eval/loss", 0.25f), read.get(2).scalars());
        assertTrue(events.file().getFileName().toString().startsWith("events.out.tfevents."));
    }

    private static List<Event> read(Path file) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] length = new byte[8];
            in.get(length);
            assertEquals(TensorBoardEvents.maskedCrc(length), in.getInt(), "length checksum");
            byte[] record = new byte[(int) ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong()];
            in.get(record);
            assertEquals(TensorBoardEvents.maskedCrc(record), in.getInt(), "record checksum");
            events.add(event(ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN)));
        }
        return events;
    }

    private static Event event(ByteBuffer b) {
        long step = 0;
        String version = null;
        Map<String, Float> scalars = new LinkedHashMap<>();
        while (b.hasRemaining()) {
            int key = (int) varint(b);
            switch (key) {
                case (1 << 3) | 1 -> assertTrue(b.getDouble() > 1e9, "wall_time in seconds");
                case 2 << 3 -> step = varint(b);
                case (3 << 3) | 2 -> version = new String(bytes(b), StandardCharsets.UTF_8);
                case (5 << 3) | 2 -> {
                    ByteBuffer summary = ByteBuffer.wrap(bytes(b)).order(ByteOrder.LITTLE_ENDIAN);
                    while (summary.hasRemaining()) {
                        assertEquals((1 << 3) | 2, varint(summary), "Summary.value");
                        ByteBuffer value = ByteBuffer.wrap(bytes(summary)).order(ByteOrder.LITTLE_ENDIAN);
                        assertEquals((1 << 3) | 2, varint(value), "Value.tag");
                        String tag = new String(bytes(value), StandardCharsets.UTF_8);
                        assertEquals((2 << 3) | 5, varint(value), "Value.simple_value");
                        scalars.put(tag, value.getFloat());
                    }
                }
                default -> throw new AssertionError("unexpected field key " + key);
            }
        }
        return new Event(step, version, scalars);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] bytes = new byte[(int) varint(b)];
        b.get(bytes);
        return bytes;
    }

    private static long varint(ByteBuffer b) {
        long value = 0;
        for (int shift = 0; ; shift += 7) {
            byte next = b.get();
            value |= (long) (next & 0x7F) << shift;
            if (next >= 0) {
                return value;
            }
        }
    }
}
