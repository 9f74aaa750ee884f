package org.align4j.train;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.align4j.InputException;

/**
 * Configuration records read by their snake_case option names, the way HF's {@code TrainingArguments} and TRL's
 * config dataclasses name their fields: the names a record accepts, a record with some options replaced (strictly:
 * unknown names, nulls for primitives, floats for integers and wrong types are errors naming the source and the
 * option), and a record as a name → value map. {@link TrainingArguments}, {@code DpoConfig} and {@code PpoConfig}
 * share it.
 */
public final class OptionRecords {
    /** The mapper of every configuration record: snake_case names, strict types, a single value accepted as a list. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private OptionRecords() {
    }

    /**
     * The options of a configuration that has training arguments and options of its own, by name.
     *
     * @param own      the options of the configuration's own record
     * @param training the {@link TrainingArguments} options
     */
    public record Split(Map<String, Object> own, Map<String, Object> training) {
    }

    /** The snake_case names of {@code type}'s components, in declaration order. */
    public static Set<String> names(Class<? extends Record> type) {
        PropertyNamingStrategies.SnakeCaseStrategy snakeCase = new PropertyNamingStrategies.SnakeCaseStrategy();
        Set<String> names = new LinkedHashSet<>();
        for (var component : type.getRecordComponents()) {
            names.add(snakeCase.translate(component.getName()));
        }
        return Collections.unmodifiableSet(names);
    }

    /** {@code ownNames} after the {@link TrainingArguments} names: every option such a configuration accepts. */
    public static Set<String> withTrainingNames(Set<String> ownNames) {
        Set<String> all = new LinkedHashSet<>(TrainingArguments.optionNames());
        all.addAll(ownNames);
        return Collections.unmodifiableSet(all);
    }

    /**
     * {@code options} split into those named in {@code ownNames} and the {@link TrainingArguments} ones.
     *
     * @throws InputException naming {@code source} for a name that is neither (with the closest known one)
     */
    public static Split split(Map<String, ?> options, Set<String> ownNames, String source) {
        Map<String, Object> own = new LinkedHashMap<>();
        Map<String, Object> training = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : options.entrySet()) {
            String key = e.getKey();
            if (ownNames.contains(key)) {
                own.put(key, e.getValue());
            } else if (TrainingArguments.optionNames().contains(key)) {
                training.put(key, e.getValue());
            } else {
                throw unknown(key, withTrainingNames(ownNames), source);
            }
        }
        return new Split(own, training);
    }

    /** The error for an unknown option {@code key}, suggesting the closest of {@code known}. */
    static InputException unknown(String key, Set<String> known, String source) {
        String closest = TrainingArguments.closestName(key, known);
        return new InputException(source + ": unknown option '" + key + "'"
                + (closest != null ? " (did you mean '" + closest + "'?)" : ""));
    }

    /**
     * {@code base} with {@code options} (snake_case names of its components) replaced, validated by {@code type}'s
     * constructor.
     *
     * @throws InputException naming {@code source} and the option for an unknown name, a value of the
     *                                  wrong type or an invalid value
     */
    public static <T extends Record> T merge(T base, Map<String, ?> options, Class<T> type, String source) {
        ObjectNode merged = JSON.valueToTree(base);
        merged.setAll((ObjectNode) JSON.valueToTree(options));
        try {
            return JSON.treeToValue(merged, type);
        } catch (JsonMappingException e) {
            Throwable cause = e instanceof ValueInstantiationException && e.getCause() != null ? e.getCause()
                    : e.getCause() instanceof IllegalArgumentException iae ? iae : null;
            String problem = cause != null ? cause.getMessage()
                    : e.getOriginalMessage().lines().findFirst().orElse("");
            String option = e.getPath().isEmpty() ? null : e.getPath().getFirst().getFieldName();
            throw new InputException(source + ": " + (option != null ? "option '" + option + "': " : "")
                    + problem, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every component of {@code record} by its snake_case name. */
    public static Map<String, Object> toOptions(Record record) {
        return JSON.convertValue(record, new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    /** {@code options} as indented JSON followed by a newline (the saved form of a configuration). */
    public static String toJson(Map<String, Object> options) {
        try {
            return JSON.writeValueAsString(options) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
