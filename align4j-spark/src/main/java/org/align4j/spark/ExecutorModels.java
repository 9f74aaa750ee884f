package org.align4j.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The models an executor JVM has loaded, kept for the tasks that come after: a model is loaded from its folder the
 * first time a task asks for it and lent to one task at a time afterwards, so a JVM loads each model once per task
 * slot that runs at the same time (once with {@code spark.executor.cores} equal to {@code spark.task.cpus}, the setting
 * the README recommends: align4j's own threads then use the executor's cores). A model is not shared between two
 * running tasks: a {@link org.align4j.model.CausalLM} keeps per-call state such as its LoRA adapters' values.
 */
public final class ExecutorModels {
    private static final Map<String, ConcurrentLinkedDeque<Object>> FREE = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /**
     * Runs {@code work} on the model under {@code key} (a folder and whatever else tells two models apart), loading it
     * with {@code load} when every loaded one is lent out, and takes it back afterwards.
     */
    public static <T, R> R with(String key, Class<T> type, Supplier<T> load, Function<T, R> work) {
        ConcurrentLinkedDeque<Object> free = FREE.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
        Object model = free.pollFirst();
        if (model == null) {
            model = load.get();
            LOADS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        }
        try {
            return work.apply(type.cast(model));
        } finally {
            free.addFirst(model);
        }
    }

    /** How many times this JVM has loaded the model under {@code key}. */
    public static int loads(String key) {
        AtomicInteger n = LOADS.get(key);
        return n == null ? 0 : n.get();
    }
}
