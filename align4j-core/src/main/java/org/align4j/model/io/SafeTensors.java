package org.align4j.model.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.align4j.StrictJson;
import org.align4j.tensor.BFloat16;
import org.align4j.tensor.Tensor;

/**
 * A read-only, memory-mapped <a href="https://github.com/huggingface/safetensors">safetensors</a> file.
 *
 * <p>The file is an 8-byte little-endian header length {@code N}, {@code N} bytes of JSON header mapping each tensor
 * name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (plus an optional {@code "__metadata__"} object of
 * strings), then the data region. {@link #open} validates the whole header up front, as the reference implementation
 * does: strict UTF-8 JSON starting with {@code '{'}, and tensors that cover the data region exactly (no byte of it in
 * two tensors or in none), so a wrong header length cannot shift every tensor; {@link #read} converts one
 * tensor from the mapping into a new float32 {@link Tensor}, so the heap holds only the tensors asked for. Files over
 * 2 GB are mapped as one {@link MemorySegment}.
 *
 * <p>Every failure is a {@link CheckpointException} naming the file and the tensor or field at fault. Instances may
 * be read from several threads; {@link #close} unmaps the file, after which reads fail.
 */
public final class SafeTensors implements AutoCloseable {
    /** Largest header accepted, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";
    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CONVERSION_CHUNK = 1 << 14;

    private final Path file;
    private final Arena arena;
    private final MemorySegment dataRegion;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private SafeTensors(Path file, Arena arena, MemorySegment dataRegion, Map<String, TensorInfo> tensors,
                        Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.dataRegion = dataRegion;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps {@code file} and validates its header. */
    public static SafeTensors open(Path file) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment whole;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = channel.size();
                if (size < Long.BYTES) {
                    throw error(file, "file is truncated: " + size + " bytes, shorter than the 8-byte header length");
                }
                whole = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            long headerLength = whole.get(LONG_LE, 0);
            long maxHeader = Math.min(MAX_HEADER_BYTES, whole.byteSize() - Long.BYTES);
            if (headerLength < 0 || headerLength > maxHeader) {
                String length = Long.toUnsignedString(headerLength);
                throw error(file, headerLength < 0 || headerLength > MAX_HEADER_BYTES
                        ? "header length " + length + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes"
                        : "header length " + length + " is larger than the " + (whole.byteSize() - Long.BYTES)
                                + " bytes after the length field (file truncated?)");
            }
            byte[] headerBytes = whole.asSlice(Long.BYTES, headerLength).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment dataRegion = whole.asSlice(Long.BYTES + headerLength);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(file, headerBytes, dataRegion.byteSize(), metadata);
            return new SafeTensors(file, arena, dataRegion, tensors, Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            arena.close();
            throw error(file, "cannot open: " + e, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, TensorInfo> parseHeader(Path file, byte[] headerBytes, long dataSize,
                                                       Map<String, String> metadataOut) {
        JsonNode root;
        try {
            root = StrictJson.MAPPER.readTree(StrictJson.text(headerBytes, headerBytes.length));
        } catch (JacksonException e) {
            throw error(file, "header is not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""),
                    e);
        } catch (IOException e) {
            throw error(file, "cannot parse header: " + e, e);
        }
        if (root == null || !root.isObject() || headerBytes[0] != '{') {
            throw error(file, "header is not a JSON object" + (root != null && root.isObject()
                    ? " starting at its first byte" : ""));
        }
        List<TensorInfo> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                parseMetadata(file, field.getValue(), metadataOut);
            } else {
                entries.add(parseEntry(file, field.getKey(), field.getValue(), dataSize));
            }
        }
        entries.sort(Comparator.comparingLong(TensorInfo::dataBegin).thenComparingLong(TensorInfo::dataEnd));
        TensorInfo previous = null;
        long covered = 0;
        for (TensorInfo t : entries) {
            if (t.dataBegin() < covered) {
                throw error(file, "tensors " + quoted(previous.name()) + " " + offsets(previous) + " and "
                        + quoted(t.name()) + " " + offsets(t) + " overlap");
            }
            if (t.dataBegin() > covered) {
                throw error(file, "bytes [" + covered + ", " + t.dataBegin() + ") of the data region belong to no"
                        + " tensor (before " + quoted(t.name()) + " " + offsets(t) + "): header length wrong?");
            }
            covered = t.dataEnd();
            previous = t;
        }
        if (covered != dataSize) {
            throw error(file, "bytes [" + covered + ", " + dataSize + ") at the end of the data region belong to no"
                    + " tensor: header length wrong, or data appended?");
        }
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : entries) {
            byName.put(t.name(), t);
        }
        return Collections.unmodifiableMap(byName);
    }

    private static void parseMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw error(file, "__metadata__ is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw error(file, "__metadata__ value of " + quoted(field.getKey()) + " is not a string");
            }
            out.put(field.getKey(), field.getValue().textValue());
        }
    }

    private static TensorInfo parseEntry(Path file, String name, JsonNode node, long dataSize) {
        String what = "tensor " + quoted(name);
        if (!node.isObject()) {
            throw error(file, what + " is not a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw error(file, what + " has no string field 'dtype'");
        }
        Dtype dtype = Dtype.fromHeaderName(dtypeNode.textValue())
                .orElseThrow(() -> error(file, what + " has unknown dtype " + quoted(dtypeNode.textValue())));
        long[] shapeValues = nonNegativeIntegers(file, what, node, "shape", -1, Integer.MAX_VALUE);
        long[] offsets = nonNegativeIntegers(file, what, node, "data_offsets", 2, Long.MAX_VALUE);
        int[] shape = Arrays.stream(shapeValues).mapToInt(Math::toIntExact).toArray();
        long begin = offsets[0];
        long end = offsets[1];
        String offsetText = "data_offsets [" + begin + ", " + end + "]";
        if (begin > end) {
            throw error(file, what + " " + offsetText + " begin after end");
        }
        if (end > dataSize) {
            throw error(file, what + " " + offsetText + " outside the data region (" + dataSize + " bytes)");
        }
        long expectedBytes;
        try {
            long elements = 1;
            for (int d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            expectedBytes = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw error(file, what + " shape " + Arrays.toString(shape) + " overflows a 64-bit byte count");
        }
        if (expectedBytes != end - begin) {
            throw error(file, what + " shape " + Arrays.toString(shape) + " of " + dtype + " needs " + expectedBytes
                    + " bytes but " + offsetText + " span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] nonNegativeIntegers(Path file, String what, JsonNode entry, String field, int length,
                                              long max) {
        JsonNode node = entry.get(field);
        String problem = what + " field '" + field + "' must be an array of "
                + (length < 0 ? "" : length + " ") + "integers in [0, " + max + "]";
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw error(file, problem);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0 || v.longValue() > max) {
                throw error(file, problem + ", got " + node);
            }
            values[i] = v.longValue();
        }
        return values;
    }

    /** The file this reads. */
    public Path file() {
        return file;
    }

    /** Tensor names in the order of their data in the file. */
    public Set<String> names() {
        return tensors.keySet();
    }

    /** Whether the file holds a tensor called {@code name}. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The header entry of tensor {@code name}. */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw error(file, "no tensor " + quoted(name));
        }
        return info;
    }

    /** The {@code __metadata__} string map of the header (empty when there is none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads tensor {@code name} into a new float32 tensor, converting from {@code BF16} or {@code F16} exactly.
     *
     * @throws CheckpointException if there is no such tensor, its dtype is not F32, BF16 or F16, it has more
     *                             elements than a {@link Tensor} holds, or the file is closed
     */
    public Tensor read(String name) {
        TensorInfo info = info(name);
        if (!info.dtype().isFloatConvertible()) {
            throw error(file, "tensor " + quoted(name) + " has dtype " + info.dtype()
                    + ", which cannot be read as float32 (supported: F32, BF16, F16)");
        }
        float[] values = new float[readableCount(info)];
        MemorySegment source = dataRegion.asSlice(info.dataBegin(), info.byteSize());
        try {
            switch (info.dtype()) {
                case F32 -> MemorySegment.copy(source, FLOAT_LE, 0, values, 0, values.length);
                case BF16, F16 -> convertHalves(source, info.dtype(), values);
                default -> throw new AssertionError(info.dtype());
            }
        } catch (IllegalStateException e) {
            throw error(file, "cannot read tensor " + quoted(name) + ": file is closed", e);
        }
        return Tensor.of(values, info.shape());
    }

    /**
     * Reads tensor {@code name} into a new bfloat16 tensor: a {@code BF16} tensor's bits as they are, an {@code F32}
     * or {@code F16} one rounded to the nearest bfloat16 ({@link BFloat16#fromFloat}).
     *
     * @throws CheckpointException as {@link #read}
     */
    public Tensor readBfloat16(String name) {
        TensorInfo info = info(name);
        if (info.dtype() != Dtype.BF16) {
            return read(name).toBfloat16();
        }
        short[] bits = new short[readableCount(info)];
        try {
            MemorySegment.copy(dataRegion.asSlice(info.dataBegin(), info.byteSize()), SHORT_LE, 0, bits, 0,
                    bits.length);
        } catch (IllegalStateException e) {
            throw error(file, "cannot read tensor " + quoted(name) + ": file is closed", e);
        }
        return Tensor.ofBfloat16(bits, info.shape());
    }

    /**
     * The element count of a tensor about to be read into an array.
     *
     * @throws CheckpointException when it has more elements than a {@link Tensor} holds, or the file is closed
     */
    private int readableCount(TensorInfo info) {
        long count = info.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw error(file, "tensor " + quoted(info.name()) + " has " + count
                    + " elements, more than a Tensor holds");
        }
        if (closed) {
            throw error(file, "cannot read tensor " + quoted(info.name()) + ": file is closed");
        }
        return (int) count;
    }

    /**
     * Reads the raw bytes of U8 tensor {@code name}, such as packed quantised weights.
     *
     * @throws CheckpointException if there is no such tensor, its dtype is not U8, or the file is closed
     */
    public byte[] readBytes(String name) {
        TensorInfo info = info(name);
        if (info.dtype() != Dtype.U8) {
            throw error(file, "tensor " + quoted(name) + " has dtype " + info.dtype() + ", expected U8");
        }
        if (info.byteSize() > Integer.MAX_VALUE - 8) {
            throw error(file, "tensor " + quoted(name) + " has " + info.byteSize()
                    + " bytes, more than an array holds");
        }
        if (closed) {
            throw error(file, "cannot read tensor " + quoted(name) + ": file is closed");
        }
        try {
            return dataRegion.asSlice(info.dataBegin(), info.byteSize()).toArray(ValueLayout.JAVA_BYTE);
        } catch (IllegalStateException e) {
            throw error(file, "cannot read tensor " + quoted(name) + ": file is closed", e);
        }
    }

    /** Widens 16-bit floats ({@code BF16} or {@code F16}) a chunk at a time, so no full-size copy is made. */
    private static void convertHalves(MemorySegment source, Dtype dtype, float[] out) {
        short[] chunk = new short[Math.min(CONVERSION_CHUNK, out.length)];
        for (int start = 0; start < out.length; start += chunk.length) {
            int n = Math.min(chunk.length, out.length - start);
            MemorySegment.copy(source, SHORT_LE, (long) start * Short.BYTES, chunk, 0, n);
            if (dtype == Dtype.BF16) {
                for (int i = 0; i < n; i++) {
                    out[start + i] = BFloat16.toFloat(chunk[i]);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    out[start + i] = Float.float16ToFloat(chunk[i]);
                }
            }
        }
    }

    /** Unmaps the file; idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        arena.close();
    }

    private static String offsets(TensorInfo t) {
        return "[" + t.dataBegin() + ", " + t.dataEnd() + "]";
    }

    static String quoted(String name) {
        return "'" + name + "'";
    }

    static CheckpointException error(Path file, String problem) {
        return new CheckpointException(file + ": " + problem);
    }

    static CheckpointException error(Path file, String problem, Throwable cause) {
        return new CheckpointException(file + ": " + problem, cause);
    }
}
