package org.align4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.align4j.InputException;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.model.RewardModel;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.HfCheckpoint;
import org.align4j.nn.LoraModel;
import org.align4j.nn.PeftTaskType;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.model.io.AtomicDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j merge}: folds a PEFT LoRA adapter into its base model (PEFT's {@code merge_and_unload}) and writes
 * a Hugging Face checkpoint with the base's tensor names, shapes and dtype (or the one {@code --save-dtype} chooses),
 * its sharding, generation config and tokenizer files, so that the result loads wherever the base does.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge a LoRA adapter (adapter_config.json + adapter_model.safetensors) into its base model: "
                + "W + alpha/r * B A, written as a Hugging Face checkpoint like the base.")
final class MergeCommand implements Callable<Integer> {
    @Option(names = "--model", description = "base model directory (config.json + safetensors; default: the"
            + " adapter's base_model_name_or_path)")
    Path model;
    @Option(names = "--adapter", required = true, description = "adapter directory, as PEFT's save_pretrained writes it")
    Path adapter;
    @Option(names = "--output", required = true, description = "directory to write (must not exist or be empty)")
    Path output;
    @Mixin
    SaveDtypeOption saveDtype;

    @Override
    public Integer call() throws IOException {
        if (model == null) {
            model = LoraModel.baseModel(adapter);
        }
        checkOutput();
        if (LoraModel.taskType(adapter) == PeftTaskType.SEQ_CLS) {
            return mergeRewardModel();
        }
        CausalLM base = saveDtype.load(model);
        LoraModel lora = LoraModel.load(base, adapter, 0);
        CausalLM merged = lora.merged();
        Dtype dtype = merged.config().dtype();
        long maxShardBytes = maxShardBytes(model, merged, dtype);
        AtomicDirectory.write(output, dir -> {
            HfModels.write(merged, dir, dtype, HfModels.readGenerationConfig(model), maxShardBytes);
            Tokenizer.copyFiles(model, dir);
        });
        System.out.printf("merged %d LoRA adapters (r=%d, scaling %s) into %s (%s)%n", lora.adaptedModules().size(),
                lora.loraConfig().r(), lora.loraConfig().scaling(), output, dtype);
        return 0;
    }

    /**
     * Merges a sequence-classification adapter (as {@code rm --use-peft} writes it): the adapters folded into the
     * backbone of the reward model built from {@code --model} and the adapter's saved head, written as a
     * {@code *ForSequenceClassification} checkpoint with the base's tokenizer files. Its {@code pad_token_id} is the
     * padding id TRL's reward trainer takes from the tokenizer saved beside the adapter, else the base's.
     */
    private int mergeRewardModel() throws IOException {
        RewardModel base = RewardModel.load(model, 0);
        if (Files.isRegularFile(adapter.resolve(Tokenizer.TOKENIZER_FILE))) {
            base = base.withPadTokenId(Tokenizer.load(adapter).paddingId(null));
        }
        if (saveDtype.dtype() != null) {
            base = base.withDtype(saveDtype.dtype());
        }
        LoraModel lora = LoraModel.load(base.backbone(), adapter, 0, PeftTaskType.SEQ_CLS,
                Map.of(RewardModel.SCORE_WEIGHT, base.scoreWeight()));
        RewardModel merged = base.withBackbone(lora.merged());
        Dtype dtype = merged.config().dtype();
        AtomicDirectory.write(output, dir -> {
            merged.write(dir, dtype);
            Tokenizer.copyFiles(model, dir);
        });
        System.out.printf("merged %d LoRA adapters (r=%d, scaling %s) and the score head into %s (%s)%n",
                lora.adaptedModules().size(), lora.loraConfig().r(), lora.loraConfig().scaling(), output, dtype);
        return 0;
    }

    /** Refuses to overwrite the inputs or a directory with contents. */
    private void checkOutput() {
        Path out = output.toAbsolutePath().normalize();
        if (out.equals(model.toAbsolutePath().normalize()) || out.equals(adapter.toAbsolutePath().normalize())) {
            throw new InputException("--output " + output + " is an input directory; choose a new one");
        }
        if (Files.exists(out)) {
            boolean empty;
            try (Stream<Path> entries = Files.list(out)) {
                empty = entries.findAny().isEmpty();
            } catch (IOException e) {
                throw new UncheckedIOException(output + ": " + e.getMessage(), e);
            }
            if (!empty) {
                throw new InputException("--output " + output + " exists and is not empty");
            }
        }
    }

    /**
     * The shard size limit that reproduces the sharding of the base checkpoint in {@code dir} with the tensors
     * stored as {@code dtype} (0: a single file).
     */
    private static long maxShardBytes(Path dir, CausalLM model, Dtype dtype) {
        try (HfCheckpoint checkpoint = HfCheckpoint.open(dir)) {
            Map<Path, Long> shardElements = new HashMap<>();
            for (String name : model.parameters().keySet()) {
                shardElements.merge(checkpoint.fileOf(name), checkpoint.info(name).elementCount(), Long::sum);
            }
            return shardElements.size() > 1
                    ? shardElements.values().stream().max(Long::compare).orElseThrow() * dtype.byteSize() : 0;
        }
    }
}
