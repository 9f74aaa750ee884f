package org.align4j.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.align4j.InputException;

/** TRL's {@code truncation_mode}: which end of a sequence longer than {@code max_length} is kept. */
public enum TruncationMode {
    /** Keep the first {@code max_length} tokens (TRL's default). */
    KEEP_START,
    /** Keep the last {@code max_length} tokens (deprecated in TRL 1.x, still accepted). */
    KEEP_END;

    /** The name configuration files use ({@code keep_start}, {@code keep_end}). */
    @JsonValue
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The mode called {@code name}. */
    @JsonCreator
    public static TruncationMode of(String name) {
        return Arrays.stream(values()).filter(m -> m.trlName().equals(name.trim().toLowerCase(Locale.ROOT)))
                .findFirst().orElseThrow(() -> new InputException("truncation_mode must be one of "
                        + Arrays.stream(values()).map(TruncationMode::trlName).collect(Collectors.joining(", "))
                        + "; got '" + name + "'"));
    }

    /** The kept part of {@code length} positions: [from, to). */
    int[] keptRange(int length, int maxLength) {
        if (length <= maxLength) {
            return new int[] {0, length};
        }
        return this == KEEP_START ? new int[] {0, maxLength} : new int[] {length - maxLength, length};
    }

    @Override
    public String toString() {
        return trlName();
    }
}
