package org.align4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A TRL-style algorithm configuration (as {@code DPOConfig} and {@code PPOConfig} extend {@code TrainingArguments}):
 * the HF training arguments plus a record of the algorithm's own options, both read and written by their snake_case
 * names through {@link OptionRecords}.
 */
public interface AlgorithmConfig {
    /** The HF training arguments. */
    TrainingArguments training();

    /** The algorithm's own options. */
    Record options();

    /** Every option by its snake_case name: the training options, then the algorithm's. */
    default Map<String, Object> toOptions() {
        Map<String, Object> all = new LinkedHashMap<>(training().toOptions());
        all.putAll(OptionRecords.toOptions(options()));
        return all;
    }

    /** Writes every resolved option as one JSON mapping (loadable by the configuration's {@code load}). */
    default void save(Path file) throws IOException {
        Files.writeString(file, OptionRecords.toJson(toOptions()));
    }
}
