package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.align4j.data.BrownCorpus;
import org.align4j.data.JsonlDataset;
import org.align4j.model.CausalLM;
import org.align4j.model.EmbeddedModel;
import org.align4j.model.HfModels;
import org.align4j.model.io.Dtype;
import org.align4j.model.io.HfCheckpoint;
import org.align4j.tensor.BFloat16;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j sft} end to end on a small random model with the embedded tokenizer. */
class SftCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path model;
    static Path data;

    @BeforeAll
    static void smallModelAndData() throws IOException {
        model = SmallTextModel.write(tmp.resolve("model"));
        List<String> lines = new ArrayList<>();
        for (String p : BrownCorpus.paragraphs().subList(10, 40)) {
            int cut = Math.min(p.length() / 2, 60);
            lines.add(JSON.writeValueAsString(JSON.createObjectNode().put("prompt", p.substring(0, cut))
                    .put("completion", p.substring(cut, Math.min(p.length(), cut + 120)))));
        }
        data = tmp.resolve("train.jsonl");
        Files.write(data, lines);
    }

    @Test
    void trainsAndWritesTheRunFolder() throws IOException {
        Path out = tmp.resolve("run");
        int code = Main.run("sft", "--model", model.toString(), "--data", data.toString(), "--output", out.toString(),
                "--max-steps", "8", "--learning-rate", "3e-2", "--per-device-train-batch-size", "4",
                "--logging-steps", "1", "--save-steps", "4", "--max-length", "64", "--disable-tqdm");
        assertEquals(0, code);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "metrics.jsonl",
                "trainer_state.json", "training_args.json", "checkpoint-4", "checkpoint-8")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            if (row.has("loss")) {
                losses.add(row.get("loss").asDouble());
                assertTrue(row.has("mean_token_accuracy") && row.has("entropy") && row.has("grad_norm"), line);
            }
        }
        assertEquals(8, losses.size());
        assertTrue(losses.getLast() < losses.getFirst() - 0.5, "loss " + losses);
        assertEquals(3e-2, JSON.readTree(out.resolve("training_args.json").toFile()).get("learning_rate").asDouble());
        JsonNode config = JSON.readTree(out.resolve("sft_config.json").toFile());
        assertEquals(3e-2, config.get("learning_rate").asDouble(), "the training options are saved");
        assertEquals(64, config.get("max_length").asInt(), "and SFTConfig's own");
        assertTrue(config.get("completion_only_loss").isNull() && !config.get("packing").asBoolean(),
                "TRL's defaults: completion_only_loss None (completion-only for prompt-completion data), no packing: "
                        + config);
        assertTrue(Files.exists(out.resolve("checkpoint-4").resolve("tokenizer.json")), "checkpoints load on their own");
    }

    /**
     * With --use-peft the base stays frozen and the run folder holds a PEFT adapter, which loads on the base,
     * resumes from a checkpoint and merges into a full model.
     */
    @Test
    void usePeftTrainsAnAdapterThatLoadsResumesAndMerges() throws IOException {
        Path out = tmp.resolve("peft-run");
        String[] args = {"sft", "--model", model.toString(), "--data", data.toString(), "--output", out.toString(),
            "--max-steps", "6", "--learning-rate", "3e-2", "--per-device-train-batch-size", "4", "--logging-steps", "1",
            "--save-steps", "3", "--max-length", "64", "--disable-tqdm", "--use-peft", "--lora-r", "4"};
        assertEquals(0, Main.run(args));
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors", "tokenizer.json",
                "checkpoint-3/adapter_model.safetensors")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        assertTrue(Files.notExists(out.resolve("model.safetensors")), "the base is not written again");
        List<Double> losses = SftCommandTest.trainingLosses(out);
        assertEquals(6, losses.size());
        assertTrue(losses.getLast() < losses.getFirst(), "loss " + losses);
        CausalLM base = HfModels.load(model);
        org.align4j.nn.LoraModel adapted = org.align4j.nn.LoraModel.load(base, out, 0);
        double largestB = adapted.parameters().entrySet().stream().filter(e -> e.getKey().contains("lora_B"))
                .mapToDouble(e -> {
                    double max = 0;
                    for (float v : e.getValue().value().data()) {
                        max = Math.max(max, Math.abs(v));
                    }
                    return max;
                }).max().orElse(0);
        assertTrue(largestB > 0, "the adapters trained (B starts at zero)");

        // an interrupted run (killed after checkpoint-3) resumed from its checkpoint ends with the same adapter
        Path resumed = tmp.resolve("peft-resumed");
        String[] interrupted = args.clone();
        interrupted[6] = resumed.toString();
        assertEquals(0, Main.run(interrupted));
        org.align4j.model.io.AtomicDirectory.delete(resumed.resolve("checkpoint-6"));
        Files.delete(resumed.resolve("adapter_model.safetensors"));
        List<String> resume = new ArrayList<>(List.of(interrupted));
        resume.addAll(List.of("--resume-from-checkpoint", resumed.resolve("checkpoint-3").toString()));
        assertEquals(0, Main.run(resume.toArray(String[]::new)));
        assertEquals(-1, Files.mismatch(out.resolve("adapter_model.safetensors"),
                resumed.resolve("adapter_model.safetensors")), "a resumed run ends with the same adapter");

        // --adapter continues training the saved adapter: on the same first batch its loss is below the untrained
        // adapter's (B = 0 gives the base's loss, the first run's first value)
        Path continued = tmp.resolve("peft-continued");
        assertEquals(0, Main.run("sft", "--model", model.toString(), "--data", data.toString(), "--output",
                continued.toString(), "--max-steps", "1", "--learning-rate", "1e-9", "--per-device-train-batch-size",
                "4", "--logging-steps", "1", "--max-length", "64", "--disable-tqdm", "--use-peft", "--lora-r", "4",
                "--lora-dropout", "0", "--adapter", out.toString()));
        double continuedLoss = JSON.readTree(Files.readAllLines(continued.resolve("metrics.jsonl")).getFirst())
                .get("loss").asDouble();
        assertTrue(continuedLoss < losses.getFirst() - 0.05, continuedLoss + " vs " + losses);
        assertEquals(2, Main.run("sft", "--model", model.toString(), "--data", data.toString(), "--output",
                tmp.resolve("no-peft").toString(), "--adapter", out.toString()), "--adapter needs --use-peft");

        Path merged = tmp.resolve("peft-merged");
        assertEquals(0, Main.run("merge", "--model", model.toString(), "--adapter", out.toString(), "--output",
                merged.toString()));
        // without --model, merge takes the base the adapter records (base_model_name_or_path), as AutoPeftModel does
        Path mergedFromRecord = tmp.resolve("peft-merged-recorded-base");
        assertEquals(0, Main.run("merge", "--adapter", out.toString(), "--output", mergedFromRecord.toString()));
        assertEquals(-1, Files.mismatch(merged.resolve("model.safetensors"),
                mergedFromRecord.resolve("model.safetensors")));
        assertTrue(Files.exists(merged.resolve("model.safetensors")));
    }

    /**
     * dataset_text_field names the text field, eos_token is appended to every text and saved as the tokenizer's, and
     * chat_template_path's template renders conversations and is saved with the model, as TRL's SFTTrainer does.
     */
    @Test
    void textFieldEosTokenAndChatTemplateAreTrls() throws IOException {
        Path contentData = tmp.resolve("content.jsonl");
        Files.write(contentData, List.of("{\"content\": \"The cat sat on the mat.\"}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}, {\"role\": \"assistant\","
                        + " \"content\": \"Hi there\"}]}"));
        Path template = tmp.resolve("plain.jinja");
        Files.writeString(template, "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                + "{% if add_generation_prompt %}assistant: {% endif %}");
        Tokenizer base = Tokenizer.load(model);
        String eos = base.token(300);
        Path out = tmp.resolve("sft-trl-options");
        assertEquals(0, Main.run("sft", "--model", model.toString(), "--data", contentData.toString(), "--output",
                out.toString(), "--max-steps", "1", "--per-device-train-batch-size", "2", "--disable-tqdm",
                "--save-strategy", "no", "--dataset-text-field", "content", "--eos-token", eos,
                "--chat-template-path", template.toString()));
        assertEquals(Files.readString(template), Files.readString(out.resolve("chat_template.jinja")));
        Tokenizer saved = Tokenizer.load(out);
        assertEquals(eos, saved.eosToken().orElseThrow());
        int[] ids = new org.align4j.data.SftTokenization(saved, true).tokenize(
                JsonlDataset.read(contentData, "content").getFirst()).ids();
        assertEquals(base.tokenId(eos).getAsInt(), ids[ids.length - 1], "the eos_token ends the text");
        assertEquals(2, Main.run("sft", "--model", model.toString(), "--data", contentData.toString(), "--output",
                tmp.resolve("bad-template").toString(), "--chat-template-path", model.toString()),
                "a tokenizer folder is refused with the reason");
    }

    /** Every SFTConfig and TrainingArguments option is a flag that --help lists with its (TRL) default. */
    @Test
    void helpListsEveryOptionWithItsDefault() {
        CliRun help = CliRun.of("sft", "--help");
        assertEquals(0, help.exitCode(), help.err());
        for (String option : List.of("learning_rate (default: 2.0E-5)", "max_length (default: 1024)",
                "packing (default: false)", "per_device_train_batch_size (default: 8)", "gradient_checkpointing")) {
            assertTrue(help.out().contains("Option " + option), option + " in\n" + help.out());
        }
        assertTrue(help.out().contains("--use-peft") && help.out().contains("--config"), help.out());
    }

    @Test
    void crlftTrainsOnConditionedData() throws IOException {
        List<String> lines = new ArrayList<>();
        int i = 0;
        for (String p : BrownCorpus.paragraphs().subList(50, 66)) {
            int cut = Math.min(p.length() / 2, 50);
            lines.add(JSON.writeValueAsString(JSON.createObjectNode().put("condition", i++ % 2 == 0 ? "GPT4" : "GPT3")
                    .put("prompt", p.substring(0, cut)).put("completion", p.substring(cut, Math.min(p.length(), 100)))));
        }
        Path conditioned = tmp.resolve("conditioned.jsonl");
        Files.write(conditioned, lines);
        Path out = tmp.resolve("crlft");
        assertEquals(0, Main.run("crlft", "--model", model.toString(), "--data", conditioned.toString(), "--output",
                out.toString(), "--max-steps", "4", "--learning-rate", "3e-2", "--per-device-train-batch-size", "4",
                "--logging-steps", "1", "--condition-weights", "GPT4=1,GPT3=0.1", "--disable-tqdm",
                "--gradient-checkpointing"));
        assertEquals(5, Files.readAllLines(out.resolve("metrics.jsonl")).size(), "4 logged steps and the summary");
        assertTrue(JSON.readTree(out.resolve("training_args.json").toFile()).get("gradient_checkpointing")
                .asBoolean(), "the flag reaches the training arguments");
        assertTrue(Files.exists(out.resolve("model.safetensors")));
    }

    @Test
    void aBf16ModelTrainsIntoABf16ModelWithFloat32Checkpoints() throws IOException {
        Path bf16 = tmp.resolve("bf16-model");
        HfModels.save(HfModels.load(model), bf16, Dtype.BF16, null, 0);
        EmbeddedModel.writeTokenizer(bf16);
        Path out = tmp.resolve("bf16-run");
        assertEquals(0, Main.run("sft", "--model", bf16.toString(), "--data", data.toString(), "--output",
                out.toString(), "--max-steps", "2", "--save-steps", "2", "--per-device-train-batch-size", "4",
                "--max-length", "32", "--disable-tqdm"));
        assertEquals(Set.of("BF16"), dtypes(out), "bf16 in, bf16 out");
        assertEquals("bfloat16", JSON.readTree(out.resolve("config.json").toFile()).get("dtype").asText());
        Path checkpoint = out.resolve("checkpoint-2");
        assertEquals(Set.of("F32"), dtypes(checkpoint), "checkpoints keep the float32 weights, to resume exactly");
        assertEquals("float32", JSON.readTree(checkpoint.resolve("config.json").toFile()).get("dtype").asText());
        CausalLM resumeFrom = HfModels.load(checkpoint);
        CausalLM saved = HfModels.load(out);
        for (String name : saved.parameters().keySet()) {
            float[] exact = resumeFrom.parameters().get(name).value().data();
            float[] rounded = saved.parameters().get(name).value().data();
            for (int i = 0; i < exact.length; i++) {
                assertEquals(BFloat16.toFloat(BFloat16.fromFloat(exact[i])), rounded[i], name + "[" + i + "]");
            }
        }
    }

    @Test
    void saveDtypeChoosesTheSavedTensorsDtype() throws IOException {
        Path bf16 = tmp.resolve("bf16-model-2");
        HfModels.save(HfModels.load(model), bf16, Dtype.BF16, null, 0);
        EmbeddedModel.writeTokenizer(bf16);
        Path out = tmp.resolve("f32-run");
        assertEquals(0, Main.run("sft", "--model", bf16.toString(), "--data", data.toString(), "--output",
                out.toString(), "--max-steps", "1", "--save-strategy", "no", "--per-device-train-batch-size", "4",
                "--max-length", "32", "--disable-tqdm", "--save-dtype", "float32"));
        assertEquals(Set.of("F32"), dtypes(out));
        assertEquals("float32", JSON.readTree(out.resolve("config.json").toFile()).get("dtype").asText());

        CliRun bad = CliRun.of("sft", "--model", bf16.toString(), "--data", data.toString(), "--output",
                tmp.resolve("f64-run").toString(), "--max-steps", "1", "--save-dtype", "float64");
        assertEquals(2, bad.exitCode());
        assertEquals("align4j sft: --save-dtype must be float32, bfloat16, float16 or auto, got 'float64'",
                bad.err().strip());
    }

    /** The dtypes of a saved model's tensors. */
    static Set<String> dtypes(Path dir) {
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            return ckpt.names().stream().map(n -> ckpt.info(n).dtype().name()).collect(Collectors.toSet());
        }
    }

    @Test
    void badInputIsOneLineWithExitCodeTwo() throws IOException {
        Path bad = tmp.resolve("bad.jsonl");
        Files.write(bad, List.of("{\"prompt\": \"a\", \"completion\": \"b\"}", "{\"prompt\": 3, \"completion\": \"b\"}"));
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(2, Main.run("sft", "--model", model.toString(), "--data", bad.toString(), "--output",
                    tmp.resolve("bad-run").toString()));
            assertEquals(2, Main.run("sft", "--model", model.toString(), "--data", data.toString(), "--output",
                    tmp.resolve("bad-run").toString(), "--learning-rat", "1e-3"));
        } finally {
            System.setErr(err);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(2, lines.length, String.join("\n", lines));
        assertTrue(lines[0].contains("bad.jsonl:2: field 'prompt' must be a string or a list of messages"), lines[0]);
        assertTrue(lines[1].contains("unknown option '--learning-rat' (did you mean '--learning-rate'?)"), lines[1]);
    }

    /** The {@code loss} of every training log entry of the run folder {@code run}'s metrics.jsonl, in order. */
    static List<Double> trainingLosses(Path run) throws IOException {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            if (row.has("loss")) {
                losses.add(row.get("loss").asDouble());
            }
        }
        return losses;
    }
}
