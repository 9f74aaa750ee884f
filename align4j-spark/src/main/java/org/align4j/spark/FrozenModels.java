package org.align4j.spark;

import java.nio.file.Path;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.model.io.Dtype;
import org.align4j.tokenizer.Tokenizer;

/** The frozen models and tokenizers the jobs' executors run, each from this JVM's {@link ExecutorModels}. */
final class FrozenModels {
    private FrozenModels() {
    }

    /** The model in {@code dir}, frozen in its checkpoint's dtype (bfloat16 stays bfloat16), lent to {@code work}. */
    static <R> R withModel(String dir, java.util.function.Function<CausalLM, R> work) {
        return ExecutorModels.with("frozen:" + dir, CausalLM.class, () -> {
            Path path = Path.of(dir);
            Dtype storage = HfModels.readConfig(path).dtype() == Dtype.BF16 ? Dtype.BF16 : Dtype.F32;
            return HfModels.loadFrozen(path, storage, null);
        }, work);
    }

    /** The tokenizer in {@code dir}, lent to {@code work}. */
    static <R> R withTokenizer(String dir, java.util.function.Function<Tokenizer, R> work) {
        return ExecutorModels.with("tokenizer:" + dir, Tokenizer.class, () -> Tokenizer.load(Path.of(dir)), work);
    }
}
