package org.align4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.align4j.align.sft.SftConfig;
import org.align4j.align.sft.SftTrainer;
import org.align4j.data.JsonlDataset;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.quant.BitLinearModel;
import org.align4j.quant.PackedCheckpoint;
import org.align4j.quant.PackedMatrix;
import org.align4j.quant.PackedModel;
import org.align4j.quant.WeightQuantization;
import org.align4j.tokenizer.Tokenizer;
import org.align4j.train.TrainOutput;
import org.align4j.train.TrainingArguments;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code align4j quantize}: a float checkpoint to a {@link PackedCheckpoint} of BitNet ternary (b1.58, Ma et al. 2024,
 * arXiv 2402.17764) or binary (Wang et al. 2023, arXiv 2310.11453) linear weights, either directly or after
 * quantisation-aware training ({@code --qat}): the {@link BitLinearModel} fine-tuned by the SFT pipeline of
 * {@code align4j sft} (the same options), its latent float weights then packed.
 *
 * <p>QAT of a trained model is fine-tuning: give it a fine-tuning learning rate. Measured on the embedded model after
 * the demo's 300 SFT steps (held-out Brown fiction loss 5.541; ternary post-training quantisation 5.681), 60 QAT steps
 * of 8 rows (cosine, 5% ramp, AdamW) end at 5.705 with lr 3e-3 (the demo's rate from scratch: worse than
 * post-training quantisation, since a fresh AdamW's first steps at that rate knock the model off its minimum, as they
 * do a float model), 5.582 with 3e-4 and 5.575 with 1e-4, against 5.710, 5.568 and 5.548 for the float model
 * continued the same way (the cost of the restart itself): QAT recovers most of the gap; no fault was found in the
 * straight-through estimator, the per-tensor absmean scale (recomputed each forward) or the per-token int8
 * activations.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false, abbreviateSynopsis = true,
        modelTransformer = QuantizeCommand.Flags.class, description = {
        "Pack a model's linear weights as BitNet ternary (--bits 1.58) or binary (--bits 1) for inference, optionally"
                + " after quantisation-aware training (--qat --data F.jsonl ...: the options of align4j sft).",
        "The output loads in align4j generate."})
final class QuantizeCommand implements Callable<Integer> {
    /** The --qat options: sft's (HF's training arguments with TRL's SFT defaults, then SFTConfig's own). */
    private static final Map<String, Object> QAT_OPTION_DEFAULTS = ConfigFlags.trainerDefaults(SftCommand.TRL_DEFAULTS,
            SftConfig.defaults());

    /** Declares the options of {@code align4j sft} as flags, for {@code --qat}. */
    public static final class Flags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            ConfigFlags.addTrainer(spec, QAT_OPTION_DEFAULTS, SftConfig.defaults());
            return spec;
        }
    }

    /** The tokenizer and generation files copied beside the packed weights when the source has them. */
    private static final List<String> COMPANION_FILES = List.of("generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "chat_template.jinja");

    @Option(names = "--model", required = true, description = "float model directory (Hugging Face layout)")
    Path model;
    @Option(names = "--output", required = true, description = "directory of the packed model")
    Path output;
    @Option(names = "--bits", defaultValue = "1.58",
            description = "1.58 (ternary) or 1 (binary), default ${DEFAULT-VALUE}")
    String bits;
    @Option(names = "--qat", description = "quantisation-aware training with the SFT pipeline before packing")
    boolean qat;
    @Option(names = "--data", description = "training JSONL (with --qat)")
    Path data;
    @Option(names = "--eval-data", description = "evaluation JSONL (with --qat)")
    Path evalData;
    @Option(names = "--tokenizer", description = "tokenizer directory (default: the model directory)")
    Path tokenizerDir;
    @Option(names = "--run-dir", description = "QAT run folder: checkpoints, metrics, latent float model"
            + " (default: the output directory's name + .qat-run beside it)")
    Path runDir;
    @Mixin
    TrainingOptions training;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        WeightQuantization quantization = WeightQuantization.ofBits(bits);
        Map<String, Object> options = training.given(QAT_OPTION_DEFAULTS.keySet());
        if (!qat && (data != null || !options.isEmpty())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "training options need --qat");
        }
        if (qat && data == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--qat needs --data");
        }
        CausalLM floatModel = HfModels.load(model);
        BitLinearModel bitLinear = BitLinearModel.create(floatModel, quantization);
        Path tokDir = tokenizerDir != null ? tokenizerDir : model;
        if (qat) {
            SftConfig sft = SftConfig.fromOptions(TrainingOptions.take(options, SftConfig.OPTION_NAMES), training.source());
            Path run = runDir != null ? runDir : output.resolveSibling(output.getFileName() + ".qat-run");
            TrainingArguments args = training.trainingArguments(options,
                    TrainingArguments.defaults().withOptions(SftCommand.TRL_DEFAULTS), run);
            TrainOutput out = SftTrainer.create(bitLinear, HfModels.readGenerationConfig(model),
                    Tokenizer.load(tokDir), tokDir, sft, args, JsonlDataset.read(data, sft.datasetTextField()),
                    evalData == null ? List.of() : JsonlDataset.read(evalData, sft.datasetTextField())).train();
            System.out.printf("quantisation-aware training: %d steps, final training loss %.4f; run folder %s%n",
                    out.globalStep(), out.trainingLoss(), run);
        }
        PackedCheckpoint.save(bitLinear, quantization, output);
        for (String name : COMPANION_FILES) {
            Path source = (name.equals("generation_config.json") ? model : tokDir).resolve(name);
            if (Files.isRegularFile(source)) {
                Files.copy(source, output.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        PackedModel packed = PackedCheckpoint.load(output);
        long floatBytes = 0;
        long packedBytes = 0;
        for (Map.Entry<String, PackedMatrix> e : packed.packedModules().entrySet()) {
            floatBytes += 4L * e.getValue().rows() * e.getValue().cols();
            packedBytes += e.getValue().bytes();
        }
        System.out.printf("packed %d linear modules as %s (%s bits): %.2f MiB of float32 weights in %.2f MiB (%.1fx"
                        + " less); model in %s%n", packed.packedModules().size(), quantization.name().toLowerCase(),
                quantization.bits(), floatBytes / 1048576.0, packedBytes / 1048576.0,
                (double) floatBytes / packedBytes, output);
        return 0;
    }
}
