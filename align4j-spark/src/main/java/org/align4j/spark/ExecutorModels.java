package org.align4j.spark;

import java.util.Iterator;
import java.util.LinkedHashMap;
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
 * running tasks: a {@link org.align4j.model.CausalLM} keeps per-call state such as its LoRA adapters' values. The
 * pool keeps the models of the {@value #KEPT} keys used last (DICE's rounds move on to new folders: the old models go).
 */
public final class ExecutorModels {
    /** Keys whose models the pool keeps. */
    static final int KEPT = 6;
    private static final Map<String, ConcurrentLinkedDeque<Object>> FREE = new LinkedHashMap<>(16, 0.75f, true);
    private static final Map<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /**
     * Runs {@code work} on the model under {@code key} (a folder and whatever else tells two models apart), loading it
     * with {@code load} when every loaded one is lent out, and takes it back afterwards.
     */
    public static <T, R> R with(String key, Class<T> type, Supplier<T> load, Function<T, R> work) {
        ConcurrentLinkedDeque<Object> free;
        synchronized (FREE) {
            free = FREE.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
            Iterator<String> eldest = FREE.keySet().iterator();
            while (FREE.size() > KEPT) {
                eldest.next();
                eldest.remove();
            }
        }
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
