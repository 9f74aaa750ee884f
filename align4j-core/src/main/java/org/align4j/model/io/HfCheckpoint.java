package org.align4j.model.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.align4j.tensor.Tensor;

/**
 * The weights of a Hugging Face model directory: either one {@value #SINGLE_FILE} or a {@value #INDEX_FILE} whose
 * {@code weight_map} sends each tensor name to one of several shard files, all in the
 * <a href="https://github.com/huggingface/safetensors">safetensors</a> format.
 *
 * <p>{@link #open} validates the index and every shard it names, and checks that each shard holds the tensors the
 * index assigns to it; tensors are then read on demand through the shards' memory mappings.
 * {@link #writeWeights(Path, Map, long)} writes the same layout, splitting into shards the way
 * {@code save_pretrained(max_shard_size=...)} does.
 */
public final class HfCheckpoint implements AutoCloseable {
    /** Name of an unsharded checkpoint's weights file. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** Name of a sharded checkpoint's index. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .defaultPrettyPrinter(pythonStylePrinter())
            .build();

    private final Path directory;
    private final List<SafeTensors> files;
    private final Map<String, SafeTensors> fileOfTensor;

    private HfCheckpoint(Path directory, List<SafeTensors> files, Map<String, SafeTensors> fileOfTensor) {
        this.directory = directory;
        this.files = files;
        this.fileOfTensor = fileOfTensor;
    }

    /**
     * Opens the weights in {@code directory}: {@value #SINGLE_FILE} if present (as {@code transformers} prefers it),
     * else {@value #INDEX_FILE} and its shards.
     */
    public static HfCheckpoint open(Path directory) {
        Path single = directory.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            SafeTensors file = SafeTensors.open(single);
            Map<String, SafeTensors> fileOfTensor = new LinkedHashMap<>();
            file.names().forEach(name -> fileOfTensor.put(name, file));
            return new HfCheckpoint(directory, List.of(file), Collections.unmodifiableMap(fileOfTensor));
        }
        Path index = directory.resolve(INDEX_FILE);
        if (!Files.isRegularFile(index)) {
            throw new CheckpointException(directory + ": neither " + SINGLE_FILE + " nor " + INDEX_FILE + " found");
        }
        return openSharded(directory, index, readWeightMap(index));
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (JacksonException e) {
            throw SafeTensors.error(index, "not valid JSON: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""), e);
        } catch (IOException e) {
            throw SafeTensors.error(index, "cannot read: " + e, e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw SafeTensors.error(index, "no 'weight_map' object");
        }
        Map<String, String> shardOfTensor = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            String shard = e.getValue().isTextual() ? e.getValue().textValue() : null;
            if (shard == null || shard.isEmpty() || shard.contains("/") || shard.contains("\\")
                    || shard.equals(".") || shard.equals("..")) {
                throw SafeTensors.error(index, "weight_map entry " + SafeTensors.quoted(e.getKey())
                        + " must name a shard file in the same directory, got " + e.getValue());
            }
            shardOfTensor.put(e.getKey(), shard);
        }
        return shardOfTensor;
    }

    private static HfCheckpoint openSharded(Path directory, Path index, Map<String, String> shardOfTensor) {
        Map<String, SafeTensors> shards = new LinkedHashMap<>();
        try {
            Map<String, SafeTensors> fileOfTensor = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : shardOfTensor.entrySet()) {
                String tensor = e.getKey();
                String shardName = e.getValue();
                SafeTensors shard = shards.get(shardName);
                if (shard == null) {
                    Path shardPath = directory.resolve(shardName);
                    if (!Files.isRegularFile(shardPath)) {
                        throw SafeTensors.error(index, "tensor " + SafeTensors.quoted(tensor) + " maps to shard "
                                + SafeTensors.quoted(shardName) + ", which does not exist");
                    }
                    shard = SafeTensors.open(shardPath);
                    shards.put(shardName, shard);
                }
                if (!shard.contains(tensor)) {
                    throw SafeTensors.error(index, "shard " + SafeTensors.quoted(shardName) + " has no tensor "
                            + SafeTensors.quoted(tensor));
                }
                fileOfTensor.put(tensor, shard);
            }
            return new HfCheckpoint(directory, List.copyOf(shards.values()),
                    Collections.unmodifiableMap(fileOfTensor));
        } catch (RuntimeException e) {
            shards.values().forEach(SafeTensors::close);
            throw e;
        }
    }

    /** The model directory. */
    public Path directory() {
        return directory;
    }

    /** Tensor names: in file order for a single file, in index order for a sharded checkpoint. */
    public Set<String> names() {
        return fileOfTensor.keySet();
    }

    /** Whether the checkpoint holds a tensor called {@code name}. */
    public boolean contains(String name) {
        return fileOfTensor.containsKey(name);
    }

    /** The header entry of tensor {@code name} in its file; offsets are within that file. */
    public TensorInfo info(String name) {
        return fileOfTensorOrThrow(name).info(name);
    }

    /** The file that holds tensor {@code name}. */
    public Path fileOf(String name) {
        return fileOfTensorOrThrow(name).file();
    }

    /**
     * The float dtype (F32, BF16 or F16) that stores the most elements among the tensors {@code names} the checkpoint
     * holds (the others are skipped): the one dtype of a model's weights, as transformers records it in
     * {@code torch_dtype}; empty when none of them is a float tensor.
     */
    public Optional<Dtype> floatDtype(Collection<String> names) {
        Map<Dtype, Long> elements = new EnumMap<>(Dtype.class);
        for (String name : names) {
            if (contains(name) && info(name).dtype().isFloatConvertible()) {
                elements.merge(info(name).dtype(), info(name).elementCount(), Long::sum);
            }
        }
        return elements.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey);
    }

    /** Reads tensor {@code name} as float32; see {@link SafeTensors#read}. */
    public Tensor read(String name) {
        return fileOfTensorOrThrow(name).read(name);
    }

    /** Reads tensor {@code name} as bfloat16; see {@link SafeTensors#readBfloat16}. */
    public Tensor readBfloat16(String name) {
        return fileOfTensorOrThrow(name).readBfloat16(name);
    }

    private SafeTensors fileOfTensorOrThrow(String name) {
        SafeTensors file = fileOfTensor.get(name);
        if (file == null) {
            throw new CheckpointException(directory + ": no tensor " + SafeTensors.quoted(name));
        }
        return file;
    }

    /** Unmaps every file. */
    @Override
    public void close() {
        files.forEach(SafeTensors::close);
    }

    /** Writes {@code tensors} unsharded, as {@value #SINGLE_FILE} in {@code directory}; returns the file written. */
    public static List<Path> writeWeights(Path directory, Map<String, SafeTensorsWriter.Entry> tensors) {
        return writeWeights(directory, tensors, Long.MAX_VALUE);
    }

    /**
     * Writes {@code tensors} into {@code directory} (which must exist), split like {@code save_pretrained}: walking
     * the map in order, a tensor goes to the current shard unless that would take it past {@code maxShardBytes},
     * in which case a new shard starts; a tensor larger than the limit gets a shard of its own. One shard is written
     * as {@value #SINGLE_FILE}; several as {@code model-00001-of-0000N.safetensors} ... plus {@value #INDEX_FILE}
     * with {@code metadata.total_size} (bytes of tensor data) and the {@code weight_map}.
     *
     * @return the files written, index last
     */
    public static List<Path> writeWeights(Path directory, Map<String, SafeTensorsWriter.Entry> tensors,
                                          long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        }
        List<Map<String, SafeTensorsWriter.Entry>> shards = new ArrayList<>();
        Map<String, SafeTensorsWriter.Entry> current = new LinkedHashMap<>();
        long currentBytes = 0;
        long totalBytes = 0;
        for (Map.Entry<String, SafeTensorsWriter.Entry> e : tensors.entrySet()) {
            long bytes = e.getValue().byteSize();
            totalBytes += bytes;
            if (bytes > maxShardBytes) {
                shards.add(Map.of(e.getKey(), e.getValue()));
                continue;
            }
            if (currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                currentBytes = 0;
            }
            current.put(e.getKey(), e.getValue());
            currentBytes += bytes;
        }
        if (!current.isEmpty() || shards.isEmpty()) {
            shards.add(current);
        }
        if (shards.size() == 1) {
            Path file = directory.resolve(SINGLE_FILE);
            SafeTensorsWriter.write(file, shards.getFirst());
            return List.of(file);
        }
        List<Path> written = new ArrayList<>();
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String name = "model-%05d-of-%05d.safetensors".formatted(i + 1, shards.size());
            Path file = directory.resolve(name);
            SafeTensorsWriter.write(file, shards.get(i));
            shards.get(i).keySet().forEach(tensor -> weightMap.put(tensor, name));
            written.add(file);
        }
        Path index = directory.resolve(INDEX_FILE);
        writeIndex(index, totalBytes, weightMap);
        written.add(index);
        return written;
    }

    private static void writeIndex(Path index, long totalBytes, Map<String, String> weightMap) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("metadata").put("total_size", totalBytes);
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        try {
            Files.writeString(index, JSON.writeValueAsString(root) + "\n");
        } catch (IOException e) {
            throw SafeTensors.error(index, "cannot write: " + e, e);
        }
    }

    /** Two-space indent and {@code ": "} separators, as Python's {@code json.dumps(indent=2)} writes. */
    private static DefaultPrettyPrinter pythonStylePrinter() {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        printer.indentObjectsWith(new DefaultIndenter("  ", "\n"));
        return printer;
    }
}
