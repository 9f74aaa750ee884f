package org.align4j.model.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.align4j.OutputFile;
import org.align4j.tensor.BFloat16;
import org.align4j.tensor.Tensor;

/**
 * Writes float32 tensors to a <a href="https://github.com/huggingface/safetensors">safetensors</a> file, stored as
 * F32, BF16 or F16.
 *
 * <p>The layout matches the reference Python library: tensors ordered by descending dtype alignment (F32, then BF16,
 * then F16) and then by name (UTF-8 byte order), a compact JSON header with {@code __metadata__} first, padded with
 * spaces to a multiple of 8 bytes. A float32 checkpoint saved by {@code transformers} and re-written here is
 * byte-identical. Tensors are streamed one buffer at a time; the whole file is never held in memory.
 *
 * <p>Conversion rounds to nearest, ties to even: BF16 as PyTorch does ({@link BFloat16#fromFloat}), F16 with
 * {@link Float#floatToFloat16}.
 */
public final class SafeTensorsWriter {
    /** The metadata that {@code transformers} writes into every checkpoint it saves. */
    public static final Map<String, String> PYTORCH_METADATA = Map.of("format", "pt");

    private static final int BUFFER_BYTES = 1 << 20;
    private static final JsonMapper JSON = new JsonMapper();

    /** Descending dtype alignment, then name by UTF-8 bytes: the reference library's layout. */
    private static final Comparator<Map.Entry<String, Entry>> LAYOUT_ORDER =
            Comparator.<Map.Entry<String, Entry>, Dtype>comparing(e -> e.getValue().dtype(), Comparator.reverseOrder())
                    .thenComparing((a, b) -> Arrays.compareUnsigned(utf8(a.getKey()), utf8(b.getKey())));

    /**
     * A tensor to write and the dtype to store it as: F32, BF16 or F16, or U8 for raw bytes such as packed quantised
     * weights, whose tensor then holds the byte values 0..255 (stored exactly).
     */
    public record Entry(Tensor tensor, Dtype dtype) {
        public Entry {
            Objects.requireNonNull(tensor, "tensor");
            Objects.requireNonNull(dtype, "dtype");
            if (!dtype.isFloatConvertible() && dtype != Dtype.U8) {
                throw new IllegalArgumentException("cannot store a float32 tensor as " + dtype
                        + " (supported: F32, BF16, F16, U8)");
            }
        }

        /** An U8 entry of {@code bytes} in the given shape. */
        public static Entry bytes(byte[] bytes, int... shape) {
            float[] values = new float[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                values[i] = Byte.toUnsignedInt(bytes[i]);
            }
            return new Entry(Tensor.of(values, shape), Dtype.U8);
        }

        /** Bytes this tensor takes in the file. */
        public long byteSize() {
            return (long) tensor.size() * dtype.byteSize();
        }
    }

    private SafeTensorsWriter() {
    }

    /** Entries storing every tensor of {@code tensors} as {@code dtype}, in the map's iteration order. */
    public static Map<String, Entry> entries(Map<String, Tensor> tensors, Dtype dtype) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> entries.put(name, new Entry(tensor, dtype)));
        return entries;
    }

    /** Writes {@code tensors} to {@code file} with {@link #PYTORCH_METADATA}, replacing any existing file. */
    public static void write(Path file, Map<String, Entry> tensors) {
        write(file, tensors, PYTORCH_METADATA);
    }

    /**
     * Writes {@code tensors} to {@code file} with the given {@code __metadata__} (omitted when empty), replacing any
     * existing file. On failure the partial file is deleted.
     */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) {
        List<Map.Entry<String, Entry>> ordered = new ArrayList<>(tensors.entrySet());
        ordered.sort(LAYOUT_ORDER);
        byte[] header = header(file, ordered, metadata);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(header.length).flip();
            writeFully(channel, buffer);
            writeFully(channel, ByteBuffer.wrap(header));
            for (Map.Entry<String, Entry> e : ordered) {
                writeData(channel, buffer, e.getValue());
            }
        } catch (IOException e) {
            deletePartial(file, e);
            throw SafeTensors.error(file, "cannot write: " + OutputFile.reason(e), e);
        } catch (RuntimeException e) {
            deletePartial(file, e);
            throw e;
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] header(Path file, List<Map.Entry<String, Entry>> ordered, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafeTensors.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : ordered) {
            if (e.getKey().equals(SafeTensors.METADATA_KEY)) {
                throw SafeTensors.error(file, "tensor name '__metadata__' is reserved");
            }
            Entry entry = e.getValue();
            ObjectNode node = root.putObject(e.getKey());
            node.put("dtype", entry.dtype().name());
            ArrayNode shape = node.putArray("shape");
            for (int d : entry.tensor().shape()) {
                shape.add(d);
            }
            long end = offset + entry.byteSize();
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw SafeTensors.error(file, "cannot serialise header: " + e.getOriginalMessage(), e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    private static void writeData(FileChannel channel, ByteBuffer buffer, Entry entry) throws IOException {
        if (entry.tensor().isBfloat16()) {
            writeBfloat16Data(channel, buffer, entry);
            return;
        }
        float[] data = entry.tensor().data();
        int perBuffer = buffer.capacity() / entry.dtype().byteSize();
        for (int start = 0; start < data.length; start += perBuffer) {
            int end = Math.min(data.length, start + perBuffer);
            buffer.clear();
            switch (entry.dtype()) {
                case F32 -> {
                    buffer.asFloatBuffer().put(data, start, end - start);
                    buffer.position((end - start) * Float.BYTES);
                }
                case BF16 -> {
                    for (int i = start; i < end; i++) {
                        buffer.putShort(BFloat16.fromFloat(data[i]));
                    }
                }
                case F16 -> {
                    for (int i = start; i < end; i++) {
                        buffer.putShort(Float.floatToFloat16(data[i]));
                    }
                }
                case U8 -> {
                    for (int i = start; i < end; i++) {
                        buffer.put((byte) data[i]);
                    }
                }
                default -> throw new AssertionError(entry.dtype());
            }
            buffer.flip();
            writeFully(channel, buffer);
        }
    }

    /** {@link #writeData} for a bfloat16 tensor: its bits as they are for BF16, its exact values for F32 and F16. */
    private static void writeBfloat16Data(FileChannel channel, ByteBuffer buffer, Entry entry) throws IOException {
        short[] bits = entry.tensor().bfloat16Bits();
        int perBuffer = buffer.capacity() / entry.dtype().byteSize();
        for (int start = 0; start < bits.length; start += perBuffer) {
            int end = Math.min(bits.length, start + perBuffer);
            buffer.clear();
            for (int i = start; i < end; i++) {
                switch (entry.dtype()) {
                    case BF16 -> buffer.putShort(bits[i]);
                    case F32 -> buffer.putFloat(BFloat16.toFloat(bits[i]));
                    case F16 -> buffer.putShort(Float.floatToFloat16(BFloat16.toFloat(bits[i])));
                    default -> throw new IllegalArgumentException("cannot store a bfloat16 tensor as " + entry.dtype());
                }
            }
            buffer.flip();
            writeFully(channel, buffer);
        }
    }

    /** Writes the remaining bytes of {@code buffer}. */
    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static void deletePartial(Path file, Exception failure) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
