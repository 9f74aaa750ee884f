package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.align4j.Captured;
import org.align4j.data.BrownCorpus;
import org.align4j.data.Example;
import org.align4j.data.JsonlDataset;
import org.align4j.data.RewardTokenization;
import org.align4j.data.PreferencePair;
import org.align4j.data.SftTokenization;
import org.align4j.model.RewardModel;
import org.align4j.model.io.SafeTensors;
import org.align4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code align4j rm} and {@code align4j reward} end to end on a small random model with the embedded tokenizer. */
class RmCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path model;
    static Path pairs;
    static Path run;
    static String trainOutput;

    /** Prompts from the Brown fiction; the chosen continuation is cheerful, the rejected one gloomy. */
    @BeforeAll
    static void trainOnce() throws IOException {
        model = SmallTextModel.write(tmp.resolve("model"));
        String[][] endings = {{" and she smiled, glad and happy.", " and she wept, sad and alone."},
                {" It was a bright, warm morning.", " It was a cold, dark night."},
                {" Everyone laughed with joy.", " Nobody spoke; they were afraid."},
                {" He felt wonderful.", " He felt terrible."}};
        List<String> lines = new ArrayList<>();
        List<String> paragraphs = BrownCorpus.paragraphs().subList(50, 58);
        for (int i = 0; i < paragraphs.size(); i++) {
            String p = paragraphs.get(i);
            String[] e = endings[i % endings.length];
            lines.add(JSON.writeValueAsString(JSON.createObjectNode().put("prompt", p.substring(0, Math.min(60,
                    p.length()))).put("chosen", e[0]).put("rejected", e[1])));
        }
        pairs = tmp.resolve("pairs.jsonl");
        Files.write(pairs, lines);
        run = tmp.resolve("run");
        trainOutput = Captured.stdout(() -> assertEquals(0, Main.run("rm", "--model", model.toString(), "--data",
                pairs.toString(), "--eval-data", pairs.toString(), "--output", run.toString(), "--max-steps", "12",
                "--learning-rate", "3e-3", "--per-device-train-batch-size", "4", "--logging-steps", "2",
                "--eval-strategy", "steps", "--eval-steps", "6", "--save-steps", "6",
                "--center-rewards-coefficient", "0.01", "--disable-tqdm")));
    }

    @Test
    void trainingRaisesAccuracyAndLowersTheLoss() throws IOException {
        assertTrue(trainOutput.contains("trained 12 steps"), trainOutput);
        List<JsonNode> train = new ArrayList<>();
        List<JsonNode> eval = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            if (row.has("loss")) {
                train.add(row);
                for (String key : List.of("grad_norm", "learning_rate", "accuracy", "margin", "min_reward",
                        "mean_reward", "max_reward", "num_tokens", "tokens_per_second")) {
                    assertTrue(row.has(key), key + " in " + line);
                }
            } else if (row.has("eval_loss")) {
                eval.add(row);
                assertTrue(row.has("eval_accuracy") && row.has("eval_margin"), line);
            }
        }
        assertEquals(6, train.size());
        assertEquals(2, eval.size());
        double firstLoss = train.getFirst().get("loss").asDouble();
        double lastLoss = train.getLast().get("loss").asDouble();
        assertTrue(lastLoss < firstLoss - 0.3, "loss " + firstLoss + " -> " + lastLoss);
        assertTrue(train.getLast().get("accuracy").asDouble() > train.getFirst().get("accuracy").asDouble(),
                "accuracy rises");
        assertEquals(1.0, eval.getLast().get("eval_accuracy").asDouble());
        assertTrue(train.getLast().get("margin").asDouble() > 1.0);
        assertEquals(1e-4, RmCommand.TRL_DEFAULTS.get("learning_rate"));
    }

    @Test
    void theRunFolderHoldsAReusableSequenceClassificationModel() throws IOException {
        JsonNode config = JSON.readTree(run.resolve("config.json").toFile());
        assertEquals("LlamaForSequenceClassification", config.get("architectures").get(0).asText());
        assertEquals(4256, config.get("pad_token_id").asInt(), "the tokenizer's pad token");
        assertEquals("LABEL_0", config.get("id2label").get("0").asText());
        try (SafeTensors st = SafeTensors.open(run.resolve("model.safetensors"))) {
            assertTrue(st.names().contains(RewardModel.SCORE_WEIGHT));
            assertFalse(st.names().contains("lm_head.weight"));
        }
        for (String f : List.of("tokenizer.json", "trainer_state.json", "training_args.json",
                "checkpoint-6/model.safetensors", "checkpoint-12/tokenizer.json")) {
            assertTrue(Files.exists(run.resolve(f)), f);
        }
        assertEquals(1e-3 * 3, JSON.readTree(run.resolve("training_args.json").toFile()).get("learning_rate")
                .asDouble(), 1e-12);
        JsonNode saved = JSON.readTree(run.resolve("reward_config.json").toFile());
        assertEquals(1e-3 * 3, saved.get("learning_rate").asDouble(), 1e-12);
        assertTrue(saved.has("max_length") && saved.has("center_rewards_coefficient"), saved.toString());
    }

    @Test
    void rewardScoresPairsAsTheSavedModelDoes() throws IOException {
        Path scores = tmp.resolve("scores.jsonl");
        String out = Captured.stdout(() -> assertEquals(0, Main.run("reward", "--model", run.toString(), "--data",
                pairs.toString(), "--out", scores.toString(), "--batch-size", "3")));
        assertTrue(out.contains("chosen wins in 8 of 8 pairs (accuracy 1.0000)"), out);
        List<String> lines = Files.readAllLines(scores);
        assertEquals(8, lines.size());

        RewardModel rm = RewardModel.load(run, 0);
        Tokenizer tokenizer = Tokenizer.load(run);
        List<Example> examples = JsonlDataset.read(pairs);
        RewardTokenization tokenization = new RewardTokenization(new SftTokenization(tokenizer, true));
        for (int i = 0; i < lines.size(); i++) {
            JsonNode row = JSON.readTree(lines.get(i));
            assertEquals("pairs.jsonl:" + (i + 1), row.get("source").asText());
            PreferencePair pair = tokenization.wholeTexts(examples.get(i));
            double[] alone = rm.score(List.of(pair.chosen().ids(), pair.rejected().ids()));
            assertEquals(alone[0], row.get("r_chosen").asDouble(), 1e-5);
            assertEquals(alone[1], row.get("r_rejected").asDouble(), 1e-5);
            assertTrue(row.get("chosen_wins").asBoolean());
        }
    }

    @Test
    void rewardScoresSingleTextsOnStandardOutput() throws IOException {
        Path texts = tmp.resolve("texts.jsonl");
        Files.write(texts, List.of("{\"text\": \"He felt wonderful.\"}",
                "{\"prompt\": \"He felt\", \"completion\": \" wonderful.\"}", "{\"text\": \"He felt terrible.\"}"));
        String out = Captured.stdout(() -> assertEquals(0, Main.run("reward", "--model", run.toString(), "--data",
                texts.toString())));
        String[] lines = out.strip().split("\n");
        assertEquals(3, lines.length, out);
        double[] r = new double[3];
        for (int i = 0; i < 3; i++) {
            r[i] = JSON.readTree(lines[i]).get("reward").asDouble();
        }
        assertEquals(r[0], r[1], 1e-6, "prompt + completion is scored as the whole text");
        assertTrue(r[0] > r[2], "the learned preference carries over: " + r[0] + " vs " + r[2]);
    }

    /**
     * With --use-peft the backbone stays frozen, LoRA adapters and the whole score head train, and the run folder holds
     * a sequence-classification adapter in PEFT's layout, which resumes exactly, continues with --adapter and merges
     * into a reward model that scores as the adapted one.
     */
    @Test
    void usePeftTrainsAdaptersAndTheHeadThatResumeContinueAndMerge() throws IOException {
        Path out = tmp.resolve("peft-run");
        String[] args = {"rm", "--model", model.toString(), "--data", pairs.toString(), "--output", out.toString(),
            "--max-steps", "6", "--learning-rate", "3e-2", "--per-device-train-batch-size", "4", "--logging-steps", "1",
            "--save-steps", "3", "--disable-tqdm", "--use-peft", "--lora-r", "4"};
        Captured.stdout(() -> assertEquals(0, Main.run(args)));
        assertTrue(Files.notExists(out.resolve("model.safetensors")), "the base is not written again");
        JsonNode adapterConfig = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals("SEQ_CLS", adapterConfig.get("task_type").asText());
        assertEquals("[\"classifier\",\"score\"]", adapterConfig.get("modules_to_save").toString());
        try (SafeTensors st = SafeTensors.open(out.resolve("adapter_model.safetensors"))) {
            assertTrue(st.names().contains("base_model.model." + RewardModel.SCORE_WEIGHT), st.names().toString());
            assertTrue(st.names().contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"),
                    st.names().toString());
        }
        List<Double> losses = SftCommandTest.trainingLosses(out);
        assertEquals(6, losses.size());
        assertTrue(losses.getLast() < losses.getFirst(), "loss " + losses);

        // an interrupted run resumed from its checkpoint ends with the same adapter and head
        Path resumed = tmp.resolve("peft-resumed");
        String[] interrupted = args.clone();
        interrupted[6] = resumed.toString();
        Captured.stdout(() -> assertEquals(0, Main.run(interrupted)));
        org.align4j.model.io.AtomicDirectory.delete(resumed.resolve("checkpoint-6"));
        Files.delete(resumed.resolve("adapter_model.safetensors"));
        List<String> resume = new ArrayList<>(List.of(interrupted));
        resume.addAll(List.of("--resume-from-checkpoint", resumed.resolve("checkpoint-3").toString()));
        Captured.stdout(() -> assertEquals(0, Main.run(resume.toArray(String[]::new))));
        assertEquals(-1, Files.mismatch(out.resolve("adapter_model.safetensors"),
                resumed.resolve("adapter_model.safetensors")), "a resumed run ends with the same adapter");

        // --adapter continues from the trained adapter and head: the first loss is below the fresh run's
        Path continued = tmp.resolve("peft-continued");
        Captured.stdout(() -> assertEquals(0, Main.run("rm", "--model", model.toString(), "--data", pairs.toString(),
                "--output", continued.toString(), "--max-steps", "1", "--learning-rate", "1e-9",
                "--per-device-train-batch-size", "4", "--logging-steps", "1", "--disable-tqdm", "--use-peft",
                "--lora-r", "4", "--adapter", out.toString())));
        double continuedLoss = JSON.readTree(Files.readAllLines(continued.resolve("metrics.jsonl")).getFirst())
                .get("loss").asDouble();
        assertTrue(continuedLoss < losses.getFirst() - 0.05, continuedLoss + " vs " + losses);

        // an adapter is not a model: scoring with it says how to merge it
        String err = Captured.stderr(() -> assertEquals(2, Main.run("reward", "--model", out.toString(), "--data",
                pairs.toString())));
        assertTrue(err.contains("holds a LoRA adapter (adapter_config.json), not a model: fold it into its base model"
                + " with 'align4j merge"), err);

        // merged, it is a reward model that scores as the base with the adapter
        Path merged = tmp.resolve("peft-merged");
        Captured.stdout(() -> assertEquals(0, Main.run("merge", "--model", model.toString(), "--adapter", out.toString(),
                "--output", merged.toString())));
        RewardModel whole = RewardModel.load(merged, 0);
        RewardModel base = RewardModel.load(model, 0);
        RewardModel adapted = base.withBackbone(org.align4j.nn.LoraModel.load(base.backbone(), out, 0,
                org.align4j.nn.PeftTaskType.SEQ_CLS, java.util.Map.of(RewardModel.SCORE_WEIGHT, base.scoreWeight())))
                .withPadTokenId(whole.padTokenId().orElseThrow());
        Tokenizer tokenizer = Tokenizer.load(out);
        List<int[]> texts = List.of(tokenizer.encode("He felt wonderful.", false),
                tokenizer.encode("It was a cold night.", false));
        double[] expected = adapted.score(texts);
        double[] actual = whole.score(texts);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4, "text " + i);
        }
        assertTrue(Math.abs(expected[0] - expected[1]) > 1e-3, "the scores depend on the text");
    }

    @Test
    void saveDtypeChoosesTheSavedTensorsDtype() throws IOException {
        Path out = tmp.resolve("bf16-run");
        Captured.stdout(() -> assertEquals(0, Main.run("rm", "--model", model.toString(), "--data", pairs.toString(),
                "--output", out.toString(), "--max-steps", "1", "--per-device-train-batch-size", "4",
                "--save-strategy", "no", "--disable-tqdm", "--save-dtype", "bfloat16")));
        assertEquals(Set.of("BF16"), SftCommandTest.dtypes(out));
        JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals("bfloat16", config.get("dtype").asText());
        assertTrue(config.get("architectures").get(0).asText().endsWith("ForSequenceClassification"), config.toString());
    }

    @Test
    void pairsLongerThanMaxLengthAreDroppedWithACountedWarning() {
        String err = Captured.stderr(() -> assertEquals(2, Main.run("rm", "--model", model.toString(), "--data",
                pairs.toString(), "--output", tmp.resolve("short").toString(), "--max-length", "8", "--max-steps", "1",
                "--disable-tqdm")));
        assertTrue(err.contains("dropped 8 of 8 training pairs longer than max_length 8 tokens"), err);
        assertTrue(err.contains("no training pair fits max_length 8 tokens"), err);
    }

    @Test
    void badInputIsOneLineWithExitCodeTwo() throws IOException {
        Path bad = tmp.resolve("bad.jsonl");
        Files.write(bad, List.of("{\"chosen\": \"a\", \"rejected\": \"b\"}", "{\"chosen\": \"a\"}"));
        Path badMargin = tmp.resolve("margin.jsonl");
        Files.write(badMargin, List.of("{\"chosen\": \"a\", \"rejected\": \"b\", \"margin\": [1]}"));
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.write(prompts, List.of("{\"prompt\": \"only a prompt\"}"));
        String err = Captured.stderr(() -> {
            assertEquals(2, Main.run("rm", "--model", model.toString(), "--data", bad.toString(), "--output",
                    tmp.resolve("bad-run").toString()));
            assertEquals(2, Main.run("rm", "--model", model.toString(), "--data", badMargin.toString(), "--output",
                    tmp.resolve("bad-run").toString()));
            assertEquals(2, Main.run("rm", "--model", model.toString(), "--data", pairs.toString(), "--output",
                    tmp.resolve("bad-run").toString(), "--center-rewards-coeficient", "0.1"));
            assertEquals(2, Main.run("reward", "--model", model.toString(), "--data", pairs.toString()));
            assertEquals(2, Main.run("reward", "--model", run.toString(), "--data", prompts.toString()));
        });
        String[] lines = err.strip().split("\n");
        assertEquals(5, lines.length, err);
        assertTrue(lines[0].contains("bad.jsonl:2: missing field 'rejected'"), lines[0]);
        assertTrue(lines[1].contains("margin.jsonl:1: field 'margin' must be a finite number"), lines[1]);
        assertTrue(lines[2].contains("unknown option '--center-rewards-coeficient' (did you mean"
                + " '--center-rewards-coefficient'?)"), lines[2]);
        assertTrue(lines[3].contains("not a reward model"), lines[3]);
        assertTrue(lines[4].contains("prompts.jsonl:1: expected text, messages or prompt/completion"), lines[4]);
    }
}
