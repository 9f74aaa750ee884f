package org.align4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizers} post-processor: adds special tokens around the ids of one sequence or a pair.
 * Supported types: {@code TemplateProcessing}, {@code BertProcessing}, {@code RobertaProcessing}, {@code ByteLevel}
 * (which only trims offsets, so leaves ids alone) and {@code Sequence}.
 *
 * <p>Each processor maps the list of sequences (one, or two for a pair) to a new list; the templates merge them into
 * one. With {@code addSpecialTokens} false, sequences are only concatenated.
 */
sealed interface PostProcessor {

    List<int[]> process(List<int[]> sequences, boolean addSpecialTokens);

    static PostProcessor parse(JsonNode node, TokenizerFile file) {
        String type = file.type(node, "post_processor");
        return switch (type) {
            case "TemplateProcessing" -> Template.parse(node, file);
            case "BertProcessing" -> bracket(node, file, "BertProcessing", false);
            case "RobertaProcessing" -> bracket(node, file, "RobertaProcessing", true);
            case "ByteLevel" -> new ByteLevel();
            case "Sequence" -> {
                List<PostProcessor> steps = new ArrayList<>();
                for (JsonNode step : file.array(node, "processors", "Sequence post_processor")) {
                    steps.add(parse(step, file));
                }
                yield new Sequence(List.copyOf(steps));
            }
            default -> throw file.unsupported("post_processor", type);
        };
    }

    /**
     * {@code BertProcessing} ({@code [CLS] A [SEP]}, pair {@code [CLS] A [SEP] B [SEP]}) and {@code RobertaProcessing}
     * ({@code <s> A </s>}, pair {@code <s> A </s> </s> B </s>}), from their {@code cls} and {@code sep}
     * [token, id] pairs.
     */
    private static Template bracket(JsonNode node, TokenizerFile file, String where, boolean doubleSeparator) {
        int cls = file.array(node, "cls", where).get(1).asInt();
        int sep = file.array(node, "sep", where).get(1).asInt();
        List<Template.Item> single = List.of(Template.Item.special(new int[] {cls}), Template.Item.sequence(0),
                Template.Item.special(new int[] {sep}));
        List<Template.Item> pair = new ArrayList<>(single);
        if (doubleSeparator) {
            pair.add(Template.Item.special(new int[] {sep}));
        }
        pair.add(Template.Item.sequence(1));
        pair.add(Template.Item.special(new int[] {sep}));
        return new Template(single, List.copyOf(pair));
    }

    /** {@code TemplateProcessing}: a {@code single} and a {@code pair} template of special tokens and sequences. */
    record Template(List<Item> single, List<Item> pair) implements PostProcessor {

        /** A template item: special token ids, or the sequence with the given index (A is 0, B is 1). */
        record Item(int[] specialIds, int sequence) {
            static Item special(int[] ids) {
                return new Item(ids, -1);
            }

            static Item sequence(int index) {
                return new Item(null, index);
            }
        }

        static Template parse(JsonNode node, TokenizerFile file) {
            Map<String, int[]> specialTokens = new HashMap<>();
            JsonNode specials = node.get("special_tokens");
            if (specials != null) {
                specials.properties().forEach(entry -> {
                    JsonNode ids = file.array(entry.getValue(), "ids", "TemplateProcessing special token " + entry.getKey());
                    int[] values = new int[ids.size()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = ids.get(i).asInt();
                    }
                    specialTokens.put(entry.getKey(), values);
                });
            }
            return new Template(items(file.array(node, "single", "TemplateProcessing"), specialTokens, file),
                    items(file.array(node, "pair", "TemplateProcessing"), specialTokens, file));
        }

        private static List<Item> items(JsonNode template, Map<String, int[]> specialTokens, TokenizerFile file) {
            List<Item> items = new ArrayList<>();
            for (JsonNode piece : template) {
                if (piece.has("SpecialToken")) {
                    String id = file.requiredText(piece.get("SpecialToken"), "id", "TemplateProcessing");
                    int[] ids = specialTokens.get(id);
                    if (ids == null) {
                        throw file.error("TemplateProcessing: special token '" + id + "' is missing from special_tokens");
                    }
                    items.add(Item.special(ids));
                } else if (piece.has("Sequence")) {
                    String id = file.requiredText(piece.get("Sequence"), "id", "TemplateProcessing");
                    items.add(Item.sequence(id.equals("B") ? 1 : 0));
                } else {
                    throw file.error("TemplateProcessing: template piece " + piece + " is neither SpecialToken nor Sequence");
                }
            }
            return List.copyOf(items);
        }

        @Override
        public List<int[]> process(List<int[]> sequences, boolean addSpecialTokens) {
            List<Item> template = sequences.size() == 1 ? single : pair;
            IntList out = new IntList(64);
            for (Item item : template) {
                if (item.specialIds() != null) {
                    if (addSpecialTokens) {
                        out.addAll(item.specialIds());
                    }
                } else if (item.sequence() < sequences.size()) {
                    out.addAll(sequences.get(item.sequence()));
                }
            }
            return List.of(out.toArray());
        }
    }

    /** {@code ByteLevel}: adjusts offsets only, so ids pass through. */
    record ByteLevel() implements PostProcessor {
        @Override
        public List<int[]> process(List<int[]> sequences, boolean addSpecialTokens) {
            return sequences;
        }
    }

    /** {@code Sequence}: applies post-processors in order. */
    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        @Override
        public List<int[]> process(List<int[]> sequences, boolean addSpecialTokens) {
            for (PostProcessor step : steps) {
                sequences = step.process(sequences, addSpecialTokens);
            }
            return sequences;
        }
    }
}
