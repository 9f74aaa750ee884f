package org.align4j.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;
import org.align4j.InputException;

/**
 * The hyper-parameters of LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"), named, read
 * and written as PEFT's {@code LoraConfig} in {@code adapter_config.json}.
 *
 * @param r                   the rank of the update B A (PEFT {@code r})
 * @param loraAlpha           {@code lora_alpha}: the update is scaled by alpha / r (eq. 3's α/r)
 * @param loraDropout         {@code lora_dropout}: dropout probability on each adapter's input in training, in [0, 1)
 * @param targetModules       {@code target_modules}; null takes PEFT's default for the architecture
 *                            ({@link TargetModules#defaultFor})
 * @param useRslora           {@code use_rslora}: scale by alpha / sqrt(r) instead (Kalajdzievski 2023, rank-stabilized
 *                            LoRA)
 * @param baseModelNameOrPath {@code base_model_name_or_path}, recorded for the reader of the adapter; may be null
 */
public record LoraConfig(int r, double loraAlpha, double loraDropout, TargetModules targetModules, boolean useRslora,
                         String baseModelNameOrPath) {

    /** PEFT's {@code peft_type} for LoRA. */
    public static final String PEFT_TYPE = "LORA";

    /**
     * @throws InputException when r is not positive, alpha is not finite or the dropout is outside [0, 1)
     */
    public LoraConfig {
        if (r <= 0) {
            throw new InputException("r must be positive, got " + r);
        }
        if (!Double.isFinite(loraAlpha)) {
            throw new InputException("lora_alpha must be finite, got " + loraAlpha);
        }
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            throw new InputException("lora_dropout must be in [0, 1), got " + loraDropout);
        }
    }

    /** A configuration with PEFT's defaults otherwise: no dropout, alpha / r scaling, no base model recorded. */
    public static LoraConfig of(int r, double loraAlpha, TargetModules targetModules) {
        return new LoraConfig(r, loraAlpha, 0, targetModules, false, null);
    }

    /** The factor of B A in eq. 3: alpha / r, or alpha / sqrt(r) with {@code use_rslora}. */
    public double scaling() {
        return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
    }

    /** The same configuration with other target modules. */
    public LoraConfig withTargetModules(TargetModules modules) {
        return new LoraConfig(r, loraAlpha, loraDropout, modules, useRslora, baseModelNameOrPath);
    }

    /**
     * adapter_config.json as PEFT writes it (keys sorted, {@code inference_mode} true as {@code save_pretrained} sets
     * it), with PEFT's defaults for the options this implementation does not have.
     *
     * @param fanInFanOut whether the adapted weights are stored [in, out] (GPT-2's Conv1D)
     * @param task        the adapted model's task ({@code task_type}, and its {@code modules_to_save})
     */
    public ObjectNode toJson(boolean fanInFanOut, PeftTaskType task) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        Map<String, JsonNode> fields = new TreeMap<>();
        fields.put("alpha_pattern", f.objectNode());
        fields.put("base_model_name_or_path", baseModelNameOrPath == null ? f.nullNode()
                : f.textNode(baseModelNameOrPath));
        fields.put("bias", f.textNode("none"));
        fields.put("fan_in_fan_out", f.booleanNode(fanInFanOut));
        fields.put("inference_mode", f.booleanNode(true));
        fields.put("init_lora_weights", f.booleanNode(true));
        fields.put("layers_pattern", f.nullNode());
        fields.put("layers_to_transform", f.nullNode());
        fields.put("lora_alpha", loraAlpha == Math.rint(loraAlpha) && Math.abs(loraAlpha) < 1e15
                ? f.numberNode((long) loraAlpha) : f.numberNode(loraAlpha));
        fields.put("lora_bias", f.booleanNode(false));
        fields.put("lora_dropout", f.numberNode(loraDropout));
        if (task.modulesToSave().isEmpty()) {
            fields.put("modules_to_save", f.nullNode());
        } else {
            ArrayNode modules = f.arrayNode();
            task.modulesToSave().forEach(modules::add);
            fields.put("modules_to_save", modules);
        }
        fields.put("peft_type", f.textNode(PEFT_TYPE));
        fields.put("r", f.numberNode(r));
        fields.put("rank_pattern", f.objectNode());
        fields.put("revision", f.nullNode());
        fields.put("target_modules", targetModules == null ? f.nullNode() : targetModules.toJson());
        fields.put("task_type", f.textNode(task.name()));
        fields.put("use_dora", f.booleanNode(false));
        fields.put("use_rslora", f.booleanNode(useRslora));
        ObjectNode json = f.objectNode();
        json.setAll(fields);
        return json;
    }

    /**
     * Reads an adapter_config.json object, with PEFT's defaults for absent fields (r 8, lora_alpha 8, no dropout).
     * An option that changes what the adapter computes and that this implementation does not have (DoRA, bias
     * training, per-layer ranks or layer selection, trained modules other than the task's head) is rejected, not
     * ignored. {@code fan_in_fan_out} is not read: as in PEFT, each module's weight layout decides it.
     *
     * @param task the task the adapter must be for; an absent {@code task_type} is taken as it
     * @throws InputException naming the field that is invalid or unsupported
     */
    public static LoraConfig fromJson(JsonNode json, PeftTaskType task) {
        if (!json.isObject()) {
            throw new InputException("not a JSON object");
        }
        String peftType = json.path("peft_type").asText(null);
        if (!PEFT_TYPE.equals(peftType)) {
            throw new InputException("peft_type " + json.get("peft_type") + " is not supported (supported: "
                    + PEFT_TYPE + ")");
        }
        JsonNode taskType = json.get("task_type");
        if (taskType != null && !taskType.isNull() && !task.name().equals(taskType.asText())) {
            throw new InputException("task_type " + taskType + " is not supported here (this model needs "
                    + task.name() + ")");
        }
        JsonNode modulesToSave = json.get("modules_to_save");
        if (modulesToSave != null && !modulesToSave.isNull()) {
            if (!modulesToSave.isArray()) {
                throw new InputException("modules_to_save " + modulesToSave + " must be a list of module names");
            }
            for (JsonNode module : modulesToSave) {
                if (!task.modulesToSave().contains(module.asText())) {
                    throw new InputException("modules_to_save " + modulesToSave + " is not supported (a "
                            + task.name() + " adapter may save " + task.modulesToSave() + ")");
                }
            }
        }
        requireDefault(json, "bias", "none");
        requireDefault(json, "use_dora", false);
        requireDefault(json, "lora_bias", false);
        for (String field : new String[] {"layers_to_transform", "layers_pattern",
                "exclude_modules", "layer_replication", "rank_pattern", "alpha_pattern"}) {
            JsonNode value = json.get(field);
            boolean unset = value == null || value.isNull() || value.isContainerNode() && value.isEmpty()
                    || value.isTextual() && value.asText().isEmpty();
            if (!unset) {
                throw new InputException(field + " " + value + " is not supported");
            }
        }
        JsonNode targets = json.get("target_modules");
        JsonNode base = json.get("base_model_name_or_path");
        return new LoraConfig(integer(json, "r", 8), number(json, "lora_alpha", 8), number(json, "lora_dropout", 0),
                targets == null || targets.isNull() ? null : TargetModules.fromJson(targets),
                bool(json, "use_rslora"), base == null || base.isNull() ? null : base.asText());
    }

    private static void requireDefault(JsonNode json, String field, Object expected) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            return;
        }
        boolean matches = expected instanceof Boolean b ? value.isBoolean() && value.asBoolean() == b
                : value.isTextual() && value.asText().equals(expected);
        if (!matches) {
            throw new InputException(field + " " + value + " is not supported (supported: " + expected + ")");
        }
    }

    private static int integer(JsonNode json, String field, int absent) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.canConvertToExactIntegral() || !value.canConvertToInt()) {
            throw new InputException(field + ": expected an integer, got " + value);
        }
        return value.asInt();
    }

    private static double number(JsonNode json, String field, double absent) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isNumber()) {
            throw new InputException(field + ": expected a number, got " + value);
        }
        return value.asDouble();
    }

    private static boolean bool(JsonNode json, String field) {
        JsonNode value = json.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new InputException(field + ": expected true or false, got " + value);
        }
        return value.asBoolean();
    }
}
