package org.align4j.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.align4j.InputException;
import org.align4j.model.LinearModule;
import org.align4j.model.ModelConfig;

/**
 * Which linear modules get a LoRA adapter: PEFT's {@code LoraConfig.target_modules}, with its semantics.
 * <ul>
 * <li>{@link Names} (a JSON list): a module is chosen when its full name equals one of the names or ends with
 * {@code "." + name}, so {@code q_proj} picks every layer's query projection and {@code layers.0.self_attn.q_proj}
 * only layer 0's;</li>
 * <li>{@link Regex} (a JSON string): a regular expression the full module name must match entirely (Python's
 * {@code re.fullmatch});</li>
 * <li>{@link AllLinear} ({@code "all-linear"}): every linear module but the output layer, GPT-2's Conv1Ds included.</li>
 * </ul>
 * PEFT fails only when nothing at all matches; here every listed name must match some module, so that a misspelt
 * name is an error instead of an adapter quietly missing.
 */
public sealed interface TargetModules {
    /** PEFT's shorthand for every linear module but the output layer. */
    String ALL_LINEAR = "all-linear";

    /** Whether {@code module} gets an adapter. */
    boolean matches(LinearModule module);

    /** The value of {@code target_modules} in adapter_config.json. */
    JsonNode toJson();

    /** Module-name suffixes, e.g. {@code names("q_proj", "v_proj")}. */
    static TargetModules names(String... names) {
        return new Names(List.of(names));
    }

    /**
     * What PEFT chooses when {@code target_modules} is null, from its {@code model_type} table: {@code c_attn} for
     * GPT-2, {@code q_proj} and {@code v_proj} for the Llama family.
     */
    static TargetModules defaultFor(ModelConfig config) {
        return config.isGpt2() ? names("c_attn") : names("q_proj", "v_proj");
    }

    /**
     * Reads {@code target_modules}: a list of names, "all-linear" (any case, as PEFT compares it), or another string
     * taken as a regular expression.
     *
     * @throws InputException when the value is none of these
     */
    static TargetModules fromJson(JsonNode node) {
        if (node.isTextual()) {
            String text = node.asText();
            return text.equalsIgnoreCase(ALL_LINEAR) ? new AllLinear() : new Regex(text);
        }
        if (node.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode element : node) {
                if (!element.isTextual()) {
                    throw new InputException("target_modules: expected module names, got " + element);
                }
                names.add(element.asText());
            }
            return new Names(names);
        }
        throw new InputException("target_modules: expected a list of module names or a string, got " + node);
    }

    /**
     * The modules of {@code modules} (a model's linear modules) that get an adapter, in their order.
     *
     * @throws InputException when a listed name or the pattern matches none of them
     */
    default List<LinearModule> select(List<LinearModule> modules) {
        List<LinearModule> selected = modules.stream().filter(this::matches).toList();
        if (this instanceof Names(List<String> names)) {
            for (String name : names) {
                Names single = new Names(List.of(name));
                if (modules.stream().noneMatch(single::matches)) {
                    throw new InputException("target_modules: '" + name + "' matches no linear module"
                            + " of the model (its linear modules: " + leafNames(modules) + ")");
                }
            }
        }
        if (selected.isEmpty()) {
            throw new InputException("target_modules: " + toJson() + " matches no linear module of the"
                    + " model (its linear modules: " + leafNames(modules) + ")");
        }
        return selected;
    }

    private static String leafNames(List<LinearModule> modules) {
        Set<String> leaves = new LinkedHashSet<>();
        modules.forEach(m -> leaves.add(m.leafName()));
        return String.join(", ", leaves);
    }

    /**
     * Module-name suffixes.
     *
     * @param names at least one non-empty name
     */
    record Names(List<String> names) implements TargetModules {
        public Names {
            names = List.copyOf(names);
            if (names.isEmpty() || names.stream().anyMatch(String::isEmpty)) {
                throw new InputException("target_modules: expected non-empty module names, got " + names);
            }
        }

        @Override
        public boolean matches(LinearModule module) {
            String full = module.name();
            return names.stream().anyMatch(n -> full.equals(n) || full.endsWith("." + n));
        }

        @Override
        public JsonNode toJson() {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            names.forEach(array::add);
            return array;
        }
    }

    /**
     * A regular expression over full module names.
     *
     * @param regex the expression, which must match a name entirely
     */
    record Regex(String regex) implements TargetModules {
        public Regex {
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new InputException("target_modules: '" + regex + "' is not a valid regular expression: "
                        + e.getDescription());
            }
        }

        @Override
        public boolean matches(LinearModule module) {
            return Pattern.matches(regex, module.name());
        }

        @Override
        public JsonNode toJson() {
            return TextNode.valueOf(regex);
        }
    }

    /** PEFT's "all-linear". */
    record AllLinear() implements TargetModules {
        @Override
        public boolean matches(LinearModule module) {
            return true;
        }

        @Override
        public JsonNode toJson() {
            return TextNode.valueOf(ALL_LINEAR);
        }
    }
}
