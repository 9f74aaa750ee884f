package org.align4j.experiments;

import java.util.Locale;

/**
 * How much compute an experiment spends: {@code smoke} checks the whole pipeline in about a minute (it runs in the
 * test suite), {@code small} gives a first measurement on a laptop, {@code full} is the experiment as designed.
 */
public enum Budget {
    /** About a minute: every stage runs, on a smaller model and a few steps. */
    SMOKE,
    /** Minutes on two cores: the real model, few steps. */
    SMALL,
    /** The experiment as designed (its cost is documented by each experiment). */
    FULL;

    /** The budget's name on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The budget called {@code name} (smoke, small or full). */
    public static Budget of(String name) {
        for (Budget b : values()) {
            if (b.cliName().equals(name.strip().toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown budget '" + name + "' (known: smoke, small, full)");
    }
}
