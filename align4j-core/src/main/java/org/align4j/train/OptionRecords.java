package org.align4j.train;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
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
import java.util.function.BiFunction;
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

    /** The source of options given as flags: errors then name the flag ({@code --beta}) rather than the option. */
    public static final String COMMAND_LINE = "command line";

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
     * {@code options} split into those named in {@code ownNames} and the {@link TrainingArguments} ones; TRL's and
     * HF's options that do not apply here are sieved out first ({@link InapplicableOptions#sieve}).
     *
     * @throws InputException naming {@code source} and every name that is neither and cannot be ignored (with the
     *                        closest known one, or why not)
     */
    public static Split split(Map<String, ?> options, Set<String> ownNames, String source) {
        Map<String, Object> own = new LinkedHashMap<>();
        Map<String, Object> training = new LinkedHashMap<>();
        InapplicableOptions.sieve(options, withTrainingNames(ownNames), source).forEach((key, value) ->
                (ownNames.contains(key) ? own : training).put(key, value));
        return new Split(own, training);
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
                    : e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null
                    ? wrongType(mismatch)
                    : e.getOriginalMessage().lines().findFirst().orElse("");
            String option = e.getPath().isEmpty() ? null : e.getPath().getFirst().getFieldName();
            String where = option == null ? source + ": "
                    : source.equals(COMMAND_LINE) ? "--" + option.replace('_', '-') + ": "
                    : source + ": option '" + option + "': ";
            throw new InputException(where + problem, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** "expected a number, got 'abc'": what a value of the wrong type should have been, in the option's terms. */
    private static String wrongType(MismatchedInputException e) {
        Class<?> type = e.getTargetType();
        String expected = type == double.class || type == float.class || type == Double.class || type == Float.class
                ? "a number"
                : type == int.class || type == long.class || type == Integer.class || type == Long.class
                ? "a whole number"
                : type == boolean.class || type == Boolean.class ? "true or false"
                : java.util.Collection.class.isAssignableFrom(type) ? "a list"
                : Map.class.isAssignableFrom(type) ? "a mapping of names to values"
                : type == String.class ? "text" : "a " + type.getSimpleName();
        Object value = e instanceof InvalidFormatException invalid ? invalid.getValue() : null;
        return "expected " + expected + (value != null ? ", got '" + value + "'" : "");
    }

    /**
     * An algorithm configuration ({@link AlgorithmConfig}: training arguments and the algorithm's own record of type
     * {@code type}) with {@code options} (snake_case names of both) replaced over {@code baseTraining} and
     * {@code baseOptions}, built by {@code constructor}, whose checks of the two together are reported as coming
     * from {@code source}.
     *
     * @throws InputException naming {@code source} and the option for an unknown name (with the closest known one),
     *                        a value of the wrong type or an invalid value
     */
    public static <O extends Record, C extends AlgorithmConfig> C algorithmConfig(
            Map<String, ?> options, String source, TrainingArguments baseTraining, O baseOptions, Class<O> type,
            BiFunction<TrainingArguments, O, C> constructor) {
        Split split = split(options, names(type), source);
        TrainingArguments training = TrainingArguments.fromOptions(split.training(), source, baseTraining);
        O own = merge(baseOptions, split.own(), type, source);
        try {
            return constructor.apply(training, own);
        } catch (InputException e) {
            throw new InputException(source + ": " + e.getMessage(), e);
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
