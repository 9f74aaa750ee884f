package org.align4j.spark;

import java.nio.file.Path;
import java.util.function.Function;
import org.align4j.model.CausalLM;
import org.align4j.model.HfModels;
import org.align4j.tokenizer.Tokenizer;

/** The frozen models and tokenizers the jobs' executors run, each from this JVM's {@link ExecutorModels}. */
final class FrozenModels {
    private FrozenModels() {
    }

    /** The model in {@code dir}, frozen in its checkpoint's dtype (bfloat16 stays bfloat16), lent to {@code work}. */
    static <R> R withModel(String dir, Function<CausalLM, R> work) {
        Path path = Path.of(dir);
        return ExecutorModels.with("frozen:" + dir, CausalLM.class,
                () -> HfModels.loadFrozen(path, HfModels.checkpointStorage(path), null), work);
    }

    /** The tokenizer in {@code dir}, lent to {@code work}. */
    static <R> R withTokenizer(String dir, Function<Tokenizer, R> work) {
        return ExecutorModels.with("tokenizer:" + dir, Tokenizer.class, () -> Tokenizer.load(Path.of(dir)), work);
    }
}
