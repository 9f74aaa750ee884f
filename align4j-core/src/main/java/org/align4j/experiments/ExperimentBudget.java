package org.align4j.experiments;

import java.util.Arrays;
import java.util.Locale;
import org.align4j.InputException;

/**
 * How much an experiment may spend: {@code smoke} runs inside the test suite in under a minute, {@code small} in
 * minutes on two cores, {@code full} is the documented, hours-long version.
 */
public enum ExperimentBudget {
    /** Seconds: checks the pipeline end to end (the test suite runs it). */
    SMOKE,
    /** Minutes on two cores: enough runs for the fits to mean something. */
    SMALL,
    /** Hours: the version whose cost each experiment documents. */
    FULL;

    /** The budget named {@code name} (smoke, small or full, any case). */
    public static ExperimentBudget of(String name) {
        return Arrays.stream(values()).filter(b -> b.name().equalsIgnoreCase(name.trim())).findFirst()
                .orElseThrow(() -> new InputException("budget must be one of smoke, small, full; got '"
                        + name + "'"));
    }

    /** The lower-case name used on the command line and in results. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
