package org.align4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.Callable;
import org.align4j.InputException;
import org.align4j.autograd.Ops;
import org.align4j.autograd.Tape;
import org.align4j.model.CausalLM;
import org.align4j.model.ModelInput;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.SafeTensorsWriter;
import org.align4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code align4j forward}: the logits of a checkpoint on given token ids, written as safetensors. */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run a Hugging Face checkpoint on token ids and write the logits [B, T, V] (float32, 'logits').")
final class ForwardCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, description = "model directory (config.json + safetensors)")
    Path model;
    @Option(names = "--input-ids", required = true, description = "JSON rows of token ids, e.g. '[[1,2,3],[4,5,0]]'")
    String inputIds;
    @Option(names = "--attention-mask", description = "JSON rows of 0/1, same shape as --input-ids (default all 1)")
    String attentionMask;
    @Option(names = "--out", required = true, description = "output .safetensors file")
    Path out;

    @Mixin
    private TorchDtypeOption torchDtype;

    @Override
    public Integer call() {
        int[][] ids = parseRows(inputIds, "--input-ids");
        int[][] mask = attentionMask == null ? null : parseRows(attentionMask, "--attention-mask");
        ModelInput input = ModelInput.of(ids, mask);
        CausalLM lm = torchDtype.loadFrozen(model);
        int vocab = lm.config().vocabSize();
        for (int b = 0; b < ids.length; b++) {
            for (int id : ids[b]) {
                if (id < 0 || id >= vocab) {
                    throw new InputException("--input-ids: row " + b + " has token id " + id
                            + " outside the vocabulary [0, " + vocab + ")");
                }
            }
        }
        Tensor logits = Ops.logits(lm.hiddenStates(Tape.inference(), input), lm.lmHead())
                .reshape(input.batch(), input.seq(), lm.config().vocabSize());
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        SafeTensorsWriter.write(tmp, Map.of("logits", new SafeTensorsWriter.Entry(logits, Dtype.F32)));
        try {
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": " + e.getMessage(), e);
        }
        System.out.printf("wrote logits %d x %d x %d to %s%n", input.batch(), input.seq(), lm.config().vocabSize(), out);
        return 0;
    }

    private static int[][] parseRows(String json, String option) {
        try {
            return JSON.readValue(json, int[][].class);
        } catch (JsonProcessingException e) {
            throw new InputException(option + ": expected JSON rows of integers like [[1,2],[3,4]]: "
                    + e.getOriginalMessage());
        }
    }
}
