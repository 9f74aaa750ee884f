package org.align4j.tensor;

import org.align4j.tensor.cpu.ScalarKernels;
import org.align4j.tensor.cpu.VectorKernels;

import java.util.Locale;

/**
 * The process-wide {@link Kernels}: {@link VectorKernels} by default, {@link ScalarKernels} when the system property
 * {@code align4j.kernels} (or the environment variable {@code ALIGN4J_KERNELS}) is {@code scalar}. Falls back to
 * the scalar kernels, with a warning, when the JVM was started without {@code --add-modules jdk.incubator.vector}.
 */
public final class Backend {
    private static volatile Kernels current;

    private Backend() {
    }

    /** The kernels every model and optimizer should use. */
    public static Kernels kernels() {
        Kernels k = current;
        if (k == null) {
            synchronized (Backend.class) {
                k = current;
                if (k == null) {
                    k = forSetting(System.getProperty("align4j.kernels", System.getenv("ALIGN4J_KERNELS")));
                    current = k;
                }
            }
        }
        return k;
    }

    /** The plain scalar kernels, the reference that the vector kernels are checked against. */
    public static Kernels scalar() {
        return new ScalarKernels();
    }

    /** Replaces the process-wide kernels (for tests and benchmarks). */
    public static void use(Kernels kernels) {
        if (kernels == null) {
            throw new IllegalArgumentException("kernels must not be null");
        }
        current = kernels;
    }

    /** The kernels for a setting of {@code align4j.kernels}: "vector" (or unset) or "scalar". */
    static Kernels forSetting(String choice) {
        String name = choice == null || choice.isBlank() ? "vector" : choice.trim().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "scalar" -> new ScalarKernels();
            case "vector" -> {
                if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                    System.err.println("align4j: jdk.incubator.vector is not enabled (--add-modules "
                            + "jdk.incubator.vector); using the slow scalar kernels");
                    yield new ScalarKernels();
                }
                yield new VectorKernels();
            }
            default -> throw new IllegalArgumentException(
                    "align4j.kernels / ALIGN4J_KERNELS must be 'vector' or 'scalar', got '" + choice + "'");
        };
    }
}
