package org.align4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.autograd.Var;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.HfCheckpoint;
import org.align4j.model.io.SafeTensorsWriter;
import org.align4j.tensor.Tensor;
import org.align4j.model.io.AtomicDirectory;

/**
 * A scalar reward model as transformers builds one for TRL's {@code RewardTrainer}: {@code
 * AutoModelForSequenceClassification} with {@code num_labels = 1}, i.e. {@code GPT2ForSequenceClassification},
 * {@code LlamaForSequenceClassification}, {@code Qwen2ForSequenceClassification} or
 * {@code Qwen3ForSequenceClassification}. The backbone is the causal LM's (same tensor names, no {@code lm_head});
 * the head {@code score.weight} [1, hidden] is a linear map without bias, and the reward of a sequence is the head
 * applied to the final hidden state of its last non-pad token: r(x, y) = w · h_last (the scalar reward model of
 * Ouyang et al. 2022, "Training language models to follow instructions with human feedback", section 3.5).
 *
 * <p>The pooled position is found as transformers 5 finds it ({@code GenericForSequenceClassification.forward},
 * and GPT-2's own copy of it): the <em>rightmost token whose id differs from {@code pad_token_id}</em>, from the
 * input ids alone (the attention mask is not consulted); a row made only of pad ids pools position 0; without a
 * {@code pad_token_id} the last position is pooled, and a batch of more than one row is an error. (transformers
 * before 4.48 took the position before the <em>first</em> pad id instead; the two agree for right padding unless a
 * sequence itself contains the pad id.) When {@code pad_token_id} equals the eos id, as TRL arranges when the
 * tokenizer has no pad token, the eos TRL appends to each sequence counts as padding, so the reward is read at the
 * last token before it.
 *
 * <p>Files: {@code config.json} is the backbone's with {@code architectures} set to the sequence-classification
 * class, {@code id2label} {"0": "LABEL_0"} and {@code label2id} {"LABEL_0": 0} (how transformers records
 * {@code num_labels = 1}) and {@code pad_token_id}; {@code model.safetensors} holds the backbone tensors and
 * {@code score.weight}. Built from a causal-LM checkpoint, the lm_head is dropped and {@code score.weight} is drawn
 * from N(0, initializer_range) as transformers' {@code _init_weights} initialises an {@code nn.Linear}, from a seed.
 */
public final class RewardModel {
    /** Name of the head tensor. */
    public static final String SCORE_WEIGHT = "score.weight";
    private static final String SEQUENCE_CLASSIFICATION = "ForSequenceClassification";
    private static final Map<String, String> ARCHITECTURE_PREFIX = Map.of(
            "gpt2", "GPT2", "llama", "Llama", "qwen2", "Qwen2", "qwen3", "Qwen3");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ModelConfig config;
    private final CausalLM backbone;
    private final Var score;
    private final Integer padTokenId;
    private final Map<String, Var> parameters;

    private RewardModel(ModelConfig config, CausalLM backbone, Var score) {
        this.config = config;
        this.backbone = backbone;
        this.score = score;
        int hidden = config.hiddenSize();
        if (score.value().rank() != 2 || score.value().dim(0) != 1 || score.value().dim(1) != hidden) {
            throw new ModelException("tensor '" + SCORE_WEIGHT + "' has shape " + Arrays.toString(score.value().shape())
                    + ", a reward head needs [1, " + hidden + "]");
        }
        JsonNode pad = config.json().get("pad_token_id");
        this.padTokenId = pad == null || pad.isNull() ? null : pad.asInt();
        Map<String, Var> all = new LinkedHashMap<>(backbone.parameters());
        all.put(SCORE_WEIGHT, score);
        this.parameters = Collections.unmodifiableMap(all);
    }

    /**
     * The reward model over the backbone of {@code lm} (its tensors shared, its lm_head dropped) with the head
     * {@code scoreWeight} [1, hidden]; {@code padTokenId} (null: none) locates the pooled token.
     */
    public static RewardModel of(CausalLM lm, Tensor scoreWeight, Integer padTokenId) {
        ModelConfig config = sequenceClassificationConfig(lm.config(), padTokenId);
        Function<String, Tensor> source = name -> {
            Var v = lm.parameters().get(name);
            return v == null ? null : v.value();
        };
        return new RewardModel(config, Models.createBackbone(config, source, "causal LM"), new Var(scoreWeight, true));
    }

    /**
     * The reward model TRL makes of a causal LM: its backbone (tensors shared) and a new head drawn from
     * N(0, initializer_range) with {@code seed}; the pad id is the config's {@code pad_token_id}.
     */
    public static RewardModel fromCausalLM(CausalLM lm, long seed) {
        JsonNode pad = lm.config().json().get("pad_token_id");
        return of(lm, randomHead(lm.config(), seed), pad == null || pad.isNull() ? null : pad.asInt());
    }

    /**
     * Loads the model in {@code dir}: a {@code *ForSequenceClassification} checkpoint as saved (its
     * {@code num_labels} must be 1), or any other checkpoint of a supported architecture as a causal LM whose
     * lm_head is dropped and whose head is drawn with {@code seed} (what {@code from_pretrained} does for TRL).
     *
     * @throws ModelException naming the file and field or tensor for a bad checkpoint
     */
    public static RewardModel load(Path dir, long seed) {
        if (!Files.isDirectory(dir)) {
            throw new ModelException(dir + ": no such model directory");
        }
        ModelConfig read = HfModels.readConfig(dir);
        String where = dir.resolve(HfCheckpoint.SINGLE_FILE).toString();
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            Models.requireLayers(read, ckpt.names(), where);
            ModelConfig config = read.withDtype(HfModels.checkpointDtype(ckpt, read));
            Function<String, Tensor> source = name -> ckpt.contains(name) ? ckpt.read(name) : null;
            if (!isSequenceClassification(config)) {
                CausalLM backbone = Models.createBackbone(config, source, where);
                return fromCausalLM(backbone, seed);
            }
            int labels = numLabels(config.json());
            if (labels != 1) {
                throw new ModelException(dir.resolve("config.json") + ": num_labels is " + labels
                        + ", a reward model has exactly one label");
            }
            CausalLM backbone = Models.createBackbone(config, source, where);
            Tensor head = source.apply(SCORE_WEIGHT);
            if (head == null) {
                throw new ModelException(where + ": missing tensor '" + SCORE_WEIGHT + "'");
            }
            if (!Arrays.equals(head.shape(), new int[] {1, config.hiddenSize()})) {
                throw new ModelException(where + ": tensor '" + SCORE_WEIGHT + "' has shape "
                        + Arrays.toString(head.shape()) + ", config.json implies [1, " + config.hiddenSize() + "]");
            }
            return new RewardModel(config, backbone, new Var(head, true));
        }
    }

    /** Whether {@code config}'s {@code architectures} names a {@code *ForSequenceClassification} class. */
    public static boolean isSequenceClassification(ModelConfig config) {
        JsonNode architectures = config.json().get("architectures");
        if (architectures == null || !architectures.isArray()) {
            return false;
        }
        for (JsonNode a : architectures) {
            if (a.asText().endsWith(SEQUENCE_CLASSIFICATION)) {
                return true;
            }
        }
        return false;
    }

    /** transformers' {@code num_labels}: the {@code num_labels} field, else the size of {@code id2label}, else 2. */
    static int numLabels(JsonNode json) {
        JsonNode n = json.get("num_labels");
        if (n != null && !n.isNull()) {
            return n.asInt();
        }
        JsonNode id2label = json.get("id2label");
        return id2label != null && id2label.isObject() ? id2label.size() : 2;
    }

    /**
     * This model (same backbone and head) with another {@code pad_token_id} (null: none), as TRL sets it from the
     * tokenizer.
     */
    public RewardModel withPadTokenId(Integer id) {
        return new RewardModel(sequenceClassificationConfig(config, id), backbone, score);
    }

    /** This model (same backbone and head) saved in {@code dtype} by default: its config records it. */
    public RewardModel withDtype(Dtype dtype) {
        return new RewardModel(config.withDtype(dtype), backbone, score);
    }

    /**
     * This reward model (same config, pad id and head) over another backbone of its architecture, e.g. LoRA adapters
     * put on {@link #backbone()}: its parameters are then the new backbone's and the head.
     */
    public RewardModel withBackbone(CausalLM newBackbone) {
        if (!newBackbone.config().modelType().equals(config.modelType())
                || newBackbone.config().hiddenSize() != config.hiddenSize()) {
            throw new IllegalArgumentException("a " + newBackbone.config().modelType() + " backbone of hidden size "
                    + newBackbone.config().hiddenSize() + " does not fit this " + config.modelType()
                    + " reward model of hidden size " + config.hiddenSize());
        }
        return new RewardModel(config, newBackbone, score);
    }

    /** The backbone: the causal LM's transformer without its lm_head. */
    public CausalLM backbone() {
        return backbone;
    }

    /** The sequence-classification config (the json is what {@code config.json} holds). */
    public ModelConfig config() {
        return config;
    }

    /** The {@code pad_token_id} that locates the pooled token, if any. */
    public OptionalInt padTokenId() {
        return padTokenId == null ? OptionalInt.empty() : OptionalInt.of(padTokenId);
    }

    /** The trainable tensors by HF name: the backbone's in checkpoint order, then {@code score.weight}. */
    public Map<String, Var> parameters() {
        return parameters;
    }

    /** The head {@code score.weight} [1, hidden]. */
    public Var scoreWeight() {
        return score;
    }

    /** The backbone's final hidden states [batch * seq, hidden] (after the final norm). */
    public Var hiddenStates(Tape tape, ModelInput input) {
        return backbone.hiddenStates(tape, input);
    }

    /** The reward of each row of {@code input}, [batch, 1]: the head at the pooled position of each row. */
    public Var rewards(Tape tape, ModelInput input) {
        int[] positions = pooledPositions(input);
        int[] rows = new int[input.batch()];
        for (int b = 0; b < rows.length; b++) {
            rows[b] = b * input.seq() + positions[b];
        }
        Var pooled = Ops.embedding(tape, rows, hiddenStates(tape, input));
        return Ops.linear(tape, pooled, score, null);
    }

    /**
     * The head at every position, [batch * seq, 1]: w · h_t for each final hidden state h_t. This is the per-token
     * value of a value model built from a reward model, as TRL's {@code PPOTrainer} reads it ({@code
     * value_model.score(hidden_states[-1])}); position t values the state made of the tokens up to t.
     */
    public Var values(Tape tape, ModelInput input) {
        return Ops.linear(tape, hiddenStates(tape, input), score, null);
    }

    /** A copy with tensors of its own (same config and pad id), e.g. a value model initialised from this model. */
    public RewardModel copy() {
        return new RewardModel(config, Models.createBackbone(config, name -> parameters.get(name).value().copy(),
                "reward model"), new Var(score.value().copy(), true));
    }

    /**
     * The position each row's reward is read at: the rightmost token that is not {@code pad_token_id} (0 for a row
     * of pad ids), or the last position when there is no pad id (one row only), as transformers 5 pools.
     *
     * @throws IllegalArgumentException for a batch of several rows without a pad id
     */
    public int[] pooledPositions(ModelInput input) {
        int[] positions = new int[input.batch()];
        if (padTokenId == null) {
            if (input.batch() != 1) {
                throw new IllegalArgumentException("Cannot handle batch sizes > 1 if no padding token is defined"
                        + " (the reward model has no pad_token_id)");
            }
            positions[0] = input.seq() - 1;
            return positions;
        }
        for (int b = 0; b < positions.length; b++) {
            for (int t = 0; t < input.seq(); t++) {
                if (input.inputIds()[b * input.seq() + t] != padTokenId) {
                    positions[b] = t;
                }
            }
        }
        return positions;
    }

    /**
     * The rewards of {@code sequences} (token ids, lengths may differ), run as one batch right-padded with the pad
     * id as TRL's collator pads, on an inference tape.
     */
    public double[] score(List<int[]> sequences) {
        if (sequences.isEmpty()) {
            return new double[0];
        }
        int seq = sequences.stream().mapToInt(s -> s.length).max().orElseThrow();
        int pad = padTokenId == null ? 0 : padTokenId;
        int[][] ids = new int[sequences.size()][seq];
        int[][] mask = new int[sequences.size()][seq];
        for (int b = 0; b < ids.length; b++) {
            int[] s = sequences.get(b);
            if (s.length == 0) {
                throw new IllegalArgumentException("sequence " + b + " is empty");
            }
            Arrays.fill(ids[b], pad);
            System.arraycopy(s, 0, ids[b], 0, s.length);
            Arrays.fill(mask[b], 0, s.length, 1);
        }
        Tensor r = rewards(Tape.inference(), ModelInput.of(ids, mask)).value();
        double[] out = new double[ids.length];
        for (int b = 0; b < out.length; b++) {
            out[b] = r.get(b);
        }
        return out;
    }

    /**
     * Saves config.json and model.safetensors into {@code dir} atomically (written aside, then renamed), the tensors
     * in {@code dtype} and config.json recording it.
     */
    public void save(Path dir, Dtype dtype) {
        try {
            AtomicDirectory.write(dir, tmp -> write(tmp, dtype));
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
    }

    /** {@link #save}'s files written into the existing directory {@code dir}, not atomically. */
    public void write(Path dir, Dtype dtype) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        parameters.forEach((name, v) -> tensors.put(name, v.value()));
        JSON.writeValue(dir.resolve("config.json").toFile(), config.withDtype(dtype).json());
        HfCheckpoint.writeWeights(dir, SafeTensorsWriter.entries(tensors, dtype));
    }

    /** Replaces the parameter values with the weights saved in {@code dir} (resuming a run). */
    public void loadWeights(Path dir) {
        HfModels.loadWeights(parameters, dir);
    }

    private static Tensor randomHead(ModelConfig config, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor head = Tensor.zeros(1, config.hiddenSize());
        float[] d = head.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (Models.gaussian(rng) * config.initializerRange());
        }
        return head;
    }

    /** {@code config} as the sequence-classification config.json of one label with the given pad id. */
    private static ModelConfig sequenceClassificationConfig(ModelConfig config, Integer padTokenId) {
        ObjectNode json = config.json().deepCopy();
        json.putArray("architectures").add(ARCHITECTURE_PREFIX.get(config.modelType()) + SEQUENCE_CLASSIFICATION);
        json.remove("num_labels");
        json.putObject("id2label").put("0", "LABEL_0");
        json.putObject("label2id").put("LABEL_0", 0);
        if (padTokenId == null) {
            json.putNull("pad_token_id");
        } else {
            json.put("pad_token_id", padTokenId);
        }
        return ModelConfig.fromJson(json, "reward model config");
    }
}
