package org.align4j.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.align4j.autograd.Var;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.model.LinearModule;
import org.align4j.model.ModelConfig;
import org.align4j.model.ModelException;
import org.align4j.model.Models;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.SafeTensors;
import org.align4j.model.io.SafeTensorsWriter;
import org.align4j.tensor.Tensor;
import org.align4j.model.io.AtomicDirectory;

/**
 * A checkpoint whose linear modules are stored packed, in the layout of transformers' BitNet integration: each module's
 * {@code weight} is an U8 tensor holding the codes W̃ of its [out, in] matrix (GPT-2's Conv1D weights are transposed
 * to that orientation) packed along the output dimension, and its {@code weight_scale} an F32 [1] tensor by which the
 * integer product is divided, 1 / γ (BitNet b1.58, Ma et al. 2024, arXiv 2402.17764) or 1 / β (BitNet, Wang et al.
 * 2023, arXiv 2310.11453).
 *
 * <ul>
 *   <li>Ternary ({@code bits} 1.58): [ceil(out / 4), in]; row i · ceil(out / 4) + r of W̃ is stored, plus one
 *       (0, 1 or 2), in bits 2i..2i+1 of packed row r, four codes a byte.</li>
 *   <li>Binary ({@code bits} 1): [ceil(out / 8), in]; row i · ceil(out / 8) + r of W̃ is bit i of packed row r,
 *       set for +1, eight codes a byte.</li>
 * </ul>
 *
 * config.json carries {@code "quantization_config": {"quant_method": "bitnet", "bits": ..., "linear_class":
 * "bitlinear", "quantization_mode": "offline", "modules_to_not_convert": ["lm_head"]}}; every other tensor (embeddings,
 * norms, biases, lm_head) is F32 in the one file {@value #WEIGHTS_FILE}. {@link #load} reads it into a
 * {@link PackedModel}, whose linear modules run on {@link PackedGemm}.
 */
public final class PackedCheckpoint {
    /** The weights file. */
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** transformers' name of the BitNet quantisation method. */
    public static final String QUANT_METHOD = "bitnet";
    /** The suffix of a packed module's scale tensor. */
    public static final String SCALE_SUFFIX = ".weight_scale";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PackedCheckpoint() {
    }

    /** Whether {@code config} (a config.json) declares a BitNet packed checkpoint. */
    public static boolean isPacked(ModelConfig config) {
        JsonNode method = config.json().path("quantization_config").path("quant_method");
        return QUANT_METHOD.equals(method.asText(null));
    }

    /**
     * Saves {@code model} into {@code directory} atomically, its linear modules quantised by {@code quantization} and
     * packed, the rest in float32.
     */
    public static void save(CausalLM model, WeightQuantization quantization, Path directory) {
        try {
            AtomicDirectory.write(directory, tmp -> write(model, quantization, tmp));
        } catch (IOException e) {
            throw new UncheckedIOException(directory + ": " + e.getMessage(), e);
        }
    }

    private static void write(CausalLM model, WeightQuantization quantization, Path directory) throws IOException {
        ObjectNode config = model.config().json().deepCopy();
        ObjectNode quantizationConfig = config.putObject("quantization_config");
        quantizationConfig.put("quant_method", QUANT_METHOD);
        quantizationConfig.put("bits", Double.parseDouble(quantization.bits()));
        quantizationConfig.put("linear_class", "bitlinear");
        quantizationConfig.put("quantization_mode", "offline");
        quantizationConfig.putArray("modules_to_not_convert").add("lm_head");
        JSON.writeValue(directory.resolve("config.json").toFile(), config);

        Map<String, SafeTensorsWriter.Entry> entries = new LinkedHashMap<>();
        Map<String, LinearModule> modules = Models.linearModules(model.config()).stream()
                .collect(Collectors.toMap(LinearModule::weightName, m -> m));
        for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
            LinearModule module = modules.get(e.getKey());
            Tensor value = e.getValue().value();
            if (module == null) {
                entries.put(e.getKey(), new SafeTensorsWriter.Entry(value, Dtype.F32));
                continue;
            }
            byte[] codes = new byte[value.size()];
            float scale = quantization.quantize(value.data(), value.size(), codes);
            if (module.conv1d()) {
                codes = transpose(codes, module.inFeatures(), module.outFeatures());
            }
            int out = module.outFeatures();
            int in = module.inFeatures();
            entries.put(e.getKey(), SafeTensorsWriter.Entry.bytes(pack(quantization, codes, out, in),
                    packedRows(quantization, out), in));
            entries.put(module.name() + SCALE_SUFFIX,
                    new SafeTensorsWriter.Entry(Tensor.of(new float[] {1f / scale}, 1), Dtype.F32));
        }
        SafeTensorsWriter.write(directory.resolve(WEIGHTS_FILE), entries);
    }

    /**
     * The packed model in {@code directory}, for inference.
     *
     * @throws ModelException when config.json declares no BitNet quantisation or unsupported bits, or a tensor is
     *                        missing, misshapen or holds an invalid code
     */
    public static PackedModel load(Path directory) {
        ModelConfig config = HfModels.readConfig(directory);
        Path file = directory.resolve(WEIGHTS_FILE);
        if (!isPacked(config)) {
            throw new ModelException(directory.resolve("config.json") + ": no quantization_config with quant_method '"
                    + QUANT_METHOD + "'");
        }
        WeightQuantization quantization;
        try {
            quantization = WeightQuantization.ofBits(
                    config.json().path("quantization_config").path("bits").asText("1.58").replaceAll("\\.0$", ""));
        } catch (IllegalArgumentException e) {
            throw new ModelException(directory.resolve("config.json") + ": " + e.getMessage());
        }
        Map<String, LinearModule> modules = new LinkedHashMap<>();
        Models.linearModules(config).forEach(m -> modules.put(m.weightName(), m));
        Map<String, Var> floats = new LinkedHashMap<>();
        Map<String, PackedMatrix> packed = new LinkedHashMap<>();
        try (SafeTensors weights = SafeTensors.open(file)) {
            for (Map.Entry<String, int[]> e : Models.parameterShapes(config).entrySet()) {
                String name = e.getKey();
                if (!weights.contains(name)) {
                    throw new ModelException(file + ": missing tensor '" + name + "'");
                }
                LinearModule module = modules.get(name);
                if (module == null) {
                    Tensor t = weights.read(name);
                    if (!Arrays.equals(t.shape(), e.getValue())) {
                        throw new ModelException(file + ": tensor '" + name + "' has shape "
                                + Arrays.toString(t.shape()) + ", config.json implies "
                                + Arrays.toString(e.getValue()));
                    }
                    floats.put(name, Var.constant(t));
                    continue;
                }
                packed.put(module.name(), readModule(weights, file, quantization, module));
            }
        }
        return new PackedModel(config, quantization, floats, packed);
    }

    private static PackedMatrix readModule(SafeTensors weights, Path file, WeightQuantization quantization,
                                           LinearModule module) {
        int out = module.outFeatures();
        int in = module.inFeatures();
        int[] shape = weights.info(module.weightName()).shape();
        if (shape.length != 2 || shape[0] != packedRows(quantization, out) || shape[1] != in) {
            throw new ModelException(file + ": packed tensor '" + module.weightName() + "' has shape "
                    + Arrays.toString(shape) + ", expected [" + packedRows(quantization, out) + ", " + in
                    + "]");
        }
        String scaleName = module.name() + SCALE_SUFFIX;
        if (!weights.contains(scaleName)) {
            throw new ModelException(file + ": missing tensor '" + scaleName + "'");
        }
        float scale = 1f / weights.read(scaleName).data()[0];
        try {
            return PackedMatrix.fromCodes(quantization, unpack(quantization, weights.readBytes(module.weightName()),
                    out, in), out, in, scale);
        } catch (IllegalArgumentException e) {
            throw new ModelException(file + ": tensor '" + module.weightName() + "': " + e.getMessage());
        }
    }

    /** Rows of the packed U8 tensor of a matrix with {@code out} rows. */
    static int packedRows(WeightQuantization quantization, int out) {
        int perByte = quantization == WeightQuantization.TERNARY ? 4 : 8;
        return (out + perByte - 1) / perByte;
    }

    /** Packs codes W̃ [out, in] into the checkpoint layout. */
    static byte[] pack(WeightQuantization quantization, byte[] codes, int out, int in) {
        int rows = packedRows(quantization, out);
        byte[] packed = new byte[rows * in];
        for (int o = 0; o < out; o++) {
            int field = o / rows;
            int r = o % rows;
            for (int c = 0; c < in; c++) {
                int code = codes[o * in + c];
                int bits = quantization == WeightQuantization.TERNARY ? (code + 1) << (2 * field)
                        : (code == 1 ? 1 : 0) << field;
                packed[r * in + c] |= (byte) bits;
            }
        }
        return packed;
    }

    /** The codes W̃ [out, in] of the checkpoint layout; a ternary field of 3 is an invalid code. */
    static byte[] unpack(WeightQuantization quantization, byte[] packed, int out, int in) {
        int rows = packedRows(quantization, out);
        byte[] codes = new byte[out * in];
        for (int o = 0; o < out; o++) {
            int field = o / rows;
            int r = o % rows;
            for (int c = 0; c < in; c++) {
                int b = Byte.toUnsignedInt(packed[r * in + c]);
                codes[o * in + c] = (byte) (quantization == WeightQuantization.TERNARY ? ((b >>> (2 * field)) & 3) - 1
                        : ((b >>> field) & 1) == 1 ? 1 : -1);
            }
        }
        return codes;
    }

    private static byte[] transpose(byte[] codes, int rows, int cols) {
        byte[] t = new byte[codes.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = codes[r * cols + c];
            }
        }
        return t;
    }
}
