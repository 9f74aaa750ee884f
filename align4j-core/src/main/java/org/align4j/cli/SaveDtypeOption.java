package org.align4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.align4j.InputException;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.model.io.Dtype;
import picocli.CommandLine.Option;

/**
 * {@code --save-dtype}, for the commands that write a model: the dtype of the saved model's tensors, by default
 * ({@code auto}) the one its input checkpoint stores them in, as transformers saves a model in the dtype it was
 * loaded in. config.json's {@code torch_dtype} (and {@code dtype}) always name the tensors' dtype.
 */
final class SaveDtypeOption {
    @Option(names = "--save-dtype", defaultValue = "auto", paramLabel = "DTYPE",
            description = "dtype of the saved model's tensors: float32, bfloat16, float16, or auto for the input"
                    + " checkpoint's (default: ${DEFAULT-VALUE}); checkpoints to resume from and LoRA adapters stay"
                    + " float32")
    String saveDtype;

    /** The chosen dtype, or null for {@code auto}; an unknown name is an {@link IllegalArgumentException}. */
    Dtype dtype() {
        String name = saveDtype.trim().toLowerCase(Locale.ROOT);
        if (name.equals("auto")) {
            return null;
        }
        return Dtype.fromTorchName(name).orElseThrow(() -> new InputException(
                "--save-dtype must be float32, bfloat16, float16 or auto, got '" + saveDtype + "'"));
    }

    /** The model in {@code dir}, to be saved in the chosen dtype ({@link HfModels#load(Path, Dtype)}). */
    CausalLM load(Path dir) {
        return HfModels.load(dir, dtype());
    }
}
