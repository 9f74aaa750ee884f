package org.align4j.train;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.align4j.ClosestName;
import org.align4j.InputException;

/**
 * The options of TRL's configs and of HF's {@code TrainingArguments} (transformers 5, TRL 1.x) that a configuration
 * here does not implement, and what happens to each, so that a config written for TRL runs unchanged: an option that
 * cannot change the result here (a device, a logger, a data-loader setting) is accepted with a one-line warning; an
 * option that would change the result is accepted only at its neutral value (e.g. {@code label_smoothing_factor: 0})
 * and otherwise refused with the reason; an option TRL or transformers removed is refused naming what replaced it.
 * Any other unknown name is refused with the closest known one, every such problem of a config in one message.
 */
public final class InapplicableOptions {
    /** What happens to one option: accepted with a warning at the neutral values, else refused; or removed. */
    private record Rule(String reason, Set<Object> neutral, boolean anyValue, String replacement) {
    }

    private static final Map<String, Rule> RULES = new LinkedHashMap<>();

    static {
        ignored("no effect on one CPU or device", "average_tokens_across_devices", "tf32", "use_cpu",
                "accelerator_config", "parallelism_config", "ddp_find_unused_parameters", "ddp_bucket_cap_mb",
                "ddp_broadcast_buffers", "ddp_backend", "ddp_timeout", "fsdp", "fsdp_config", "deepspeed",
                "local_rank", "log_on_each_node", "save_on_each_node", "log_level_replica", "ds3_gather_for_generation",
                "world_size");
        ignored("no compiler or fused kernels to choose here; the engine's own kernels run", "torch_compile",
                "torch_compile_backend", "torch_compile_mode", "use_liger_kernel", "liger_kernel_config",
                "torch_empty_cache_steps", "activation_offloading", "enable_jit_checkpoint", "auto_find_batch_size");
        ignored("training computes in float32 here (--torch-dtype bfloat16 stores frozen weights in bfloat16)", "bf16",
                "fp16", "bf16_full_eval", "fp16_full_eval");
        ignored("the data is read in the main thread and every column a trainer needs is kept",
                "dataloader_num_workers", "dataloader_pin_memory", "dataloader_persistent_workers",
                "dataloader_prefetch_factor", "remove_unused_columns", "dataset_num_proc", "dataset_kwargs",
                "label_names", "length_column_name");
        ignored("no experiment tracker or Hub upload here; metrics are in output_dir/metrics.jsonl", "run_name",
                "project", "trackio_space_id", "hub_token", "hub_private_repo", "hub_model_id", "hub_strategy",
                "hub_always_push", "hub_revision");
        ignored("the log level is fixed: warnings and the progress line", "log_level", "logging_nan_inf_filter",
                "skip_memory_metrics", "debug");
        ignored("evaluation always computes the loss and the trainer's metrics over the whole set",
                "prediction_loss_only", "eval_do_concat_batches", "eval_use_gather_object", "eval_accumulation_steps",
                "include_for_metrics", "batch_eval_metrics", "include_num_input_tokens_seen");
        ignored("the command decides what runs", "do_train", "do_eval", "do_predict");
        ignored("models are loaded from safetensors with no remote code", "trust_remote_code", "model_init_kwargs");
        ignored("runs are deterministic already", "full_determinism");
        ignored("no effect on the supported architectures (no mixture of experts, no dropout, no KV cache in training)",
                "router_aux_loss_coef", "use_cache");
        ignored("batches are padded with masked positions, which gives the same losses", "padding_free",
                "pad_to_multiple_of");
        neutral("checkpoints always hold the optimizer and scheduler state, so that a resumed run is exact",
                "save_only_model", false);
        neutral("resuming always skips the batches already seen, so that a resumed run is exact", "ignore_data_skip",
                false);
        neutral("callback states are not checkpointed", "restore_callback_states_from_checkpoint", false);
        neutral("no Hub upload here; copy output_dir with the Hugging Face CLI", "push_to_hub", false);
        neutral("label smoothing of the language-model loss is not implemented", "label_smoothing_factor", 0, 0.0);
        neutral("GaLore and APOLLO optimizers are not implemented", "optim_target_modules", (Object) null);
        neutral("evaluation starts at step 0", "eval_delay", 0, 0.0);
        neutral("data_seed is not separate from seed here; shuffling uses seed", "data_seed", (Object) null);
        for (String computed : List.of("num_total_batches", "micro_batch_size", "local_batch_size", "batch_size",
                "local_mini_batch_size", "mini_batch_size")) {
            neutral("PPO computes it from per_device_train_batch_size, gradient_accumulation_steps and"
                    + " num_mini_batches", computed, (Object) null);
        }
        neutral("named adapters are not supported; a LoRA policy has one adapter, and its reference is the base",
                "model_adapter_name", (Object) null);
        neutral("named adapters are not supported; a LoRA policy has one adapter, and its reference is the base",
                "ref_adapter_name", (Object) null);
        ignored("the models come from the command's --model and --reward-model", "sft_model_path",
                "reward_model_path");
        ignored("no table of samples is generated during PPO training here", "num_sample_generations");
        neutral("no vLLM here: the online trainers sample with the engine's own KV-cache generator", "use_vllm",
                false);
        ignored("they configure vLLM or transformers' generation engines, which are not used here", "vllm_mode",
                "vllm_model_impl", "vllm_enable_sleep_mode", "vllm_structured_outputs_regex", "vllm_server_base_url",
                "vllm_server_host", "vllm_server_port", "vllm_server_timeout", "vllm_group_port",
                "vllm_gpu_memory_utilization", "vllm_max_model_length", "vllm_tensor_parallel_size",
                "vllm_importance_sampling_correction", "vllm_importance_sampling_mode",
                "vllm_importance_sampling_clip_max", "vllm_importance_sampling_clip_min",
                "use_transformers_continuous_batching", "transformers_continuous_batching_config",
                "use_transformers_paged", "cache_implementation", "vllm_importance_sampling_cap");
        ignored("the lm_head computes in float32 already", "cast_lm_head_to_fp32");
        ignored("the online trainers do not evaluate yet (eval_strategy must be no)", "num_generations_eval");
        ignored("they apply only to loss_type sapo or vespo, which are not implemented here",
                "sapo_temperature_neg", "sapo_temperature_pos", "vespo_k_pos", "vespo_lambda_pos", "vespo_k_neg",
                "vespo_lambda_neg");
        ignored("they apply only with use_adaptive_entropy", "entropy_coef_min", "entropy_coef_max",
                "entropy_coef_delta", "entropy_target");
        ignored("no completion tables are logged here; the rewards are in metrics.jsonl", "log_completions",
                "log_multimodal", "num_completions_to_print", "log_unique_prompts", "log_completions_hub_repo");
        neutral("min_p sampling is not implemented", "min_p", (Object) null);
        neutral("extra generation arguments are not supported; use temperature, top_p, top_k, repetition_penalty",
                "generation_kwargs", (Object) null);
        neutral("chat templates take no extra arguments here", "chat_template_kwargs", (Object) null);
        neutral("the reference stays fixed (TR-DPO's reference updates are dpo's sync_ref_model)", "sync_ref_model",
                false);
        ignored("they apply only with sync_ref_model", "ref_model_mixup_alpha", "ref_model_sync_steps");
        neutral("KTO computes the reference log-probabilities at each step", "precompute_ref_log_probs", false);
        ignored("it applies only with precompute_ref_log_probs", "precompute_ref_batch_size");
        neutral("every completion token counts in the loss", "top_entropy_quantile", 1, 1.0);
        neutral("the entropy bonus is not implemented", "entropy_coef", 0, 0.0);
        neutral("the entropy bonus is not implemented", "use_adaptive_entropy", false);
        neutral("tool calling is not supported", "max_tool_calling_iterations", (Object) null);
        neutral("off-policy sequence masking is not implemented", "off_policy_mask_threshold", (Object) null);
        neutral("the importance-sampling correction of the KL term is not implemented", "use_bias_correction_kl",
                false);
        removed("eval_strategy", "evaluation_strategy", "evaluate_during_training");
        removed("use_cpu (no effect here: training runs on the CPU)", "no_cuda", "use_mps_device");
        removed("resume_from_checkpoint (output_dir is overwritten by default)", "overwrite_output_dir");
        removed("per_device_train_batch_size", "per_gpu_train_batch_size");
        removed("per_device_eval_batch_size", "per_gpu_eval_batch_size");
        removed("hub_token", "push_to_hub_token");
        removed("hub_model_id", "push_to_hub_model_id", "push_to_hub_organization");
        removed("bf16 or fp16", "fp16_backend", "half_precision_backend", "fp16_opt_level");
        removed("include_for_metrics", "include_inputs_for_metrics");
        removed("include_num_input_tokens_seen", "include_tokens_per_second");
        removed("torch_compile", "torchdynamo", "jit_mode_eval", "use_ipex");
        removed("optim: adafactor (not implemented here: adamw_torch, sgd or mezo)", "adafactor");
        removed("train_sampling_strategy", "group_by_length");
        removed("nothing: safetensors is always written", "save_safetensors");
        removed("nothing (they were TPU, Ray, fsdp, accelerate or model-parallel settings)", "tpu_num_cores",
                "tpu_metrics_debug", "past_index", "ray_scope", "fsdp_min_num_params",
                "fsdp_transformer_layer_cls_to_wrap", "dispatch_batches", "split_batches",
                "use_legacy_prediction_loop", "tp_size", "mp_parameters");
        removed("max_length", "max_seq_length", "num_of_sequences", "chars_per_token", "max_target_length");
        neutral("a pair longer than max_length is truncated as DPO's are (truncation_mode); completions are not "
                + "truncated apart", "max_completion_length", (Object) null);
        removed("nothing: sequences are tokenized once", "dataset_batch_size");
        removed("use_liger_kernel", "use_liger", "use_liger_loss");
        removed("nothing in TRL 1.x: truncate with max_length and truncation_mode", "max_prompt_length");
        removed("loss_type [sigmoid, sft] with loss_weights (the sft weight is rpo_alpha)", "rpo_alpha");
        removed("pad_token", "label_pad_token_id");
        neutral("padding is masked; the tokenizer's pad (else eos) id fills it", "padding_value", (Object) null);
        neutral("no samples are generated during evaluation", "generate_during_eval", false);
        neutral("the supported architectures are decoder-only", "is_encoder_decoder", (Object) null, false);
        removed("nothing (TRL 1.x dropped it)", "use_logits_to_keep",
                "use_num_logits_to_keep", "force_use_ref_model",
                "ref_model_init_kwargs", "tools", "base_model_attribute_name");
        removed("run_name", "exp_name");
        removed("report_to", "log_with");
        removed("reward_model_path (the rm command's output; --reward-model here)", "reward_model");
        removed("kl_coef", "init_kl_coef", "adap_kl_ctrl");
        removed("num_ppo_epochs", "ppo_epochs");
        removed("mini_batch_size", "forward_batch_size");
        removed("nothing (the PPO trainer of TRL 0.11 and before)", "task_name", "model_name", "query_dataset",
                "tracker_kwargs", "accelerator_kwargs", "project_kwargs", "tracker_project_name",
                "push_to_hub_if_best_kwargs", "steps", "kl_penalty", "target", "horizon", "optimize_cuda_cache",
                "optimize_device_cache", "early_stopping", "target_kl", "compare_steps", "ratio_threshold",
                "use_score_scaling", "use_score_norm", "score_clip", "is_peft_model", "backward_batch_size",
                "global_backward_batch_size", "global_batch_size");
        removed("dtype (--torch-dtype here)", "torch_dtype");

    }

    private InapplicableOptions() {
    }

    /** Every option name this catalogue judges, for commands that accept them as flags too. */
    public static Set<String> names() {
        return java.util.Collections.unmodifiableSet(RULES.keySet());
    }

    private static void ignored(String reason, String... names) {
        for (String name : names) {
            RULES.put(name, new Rule(reason, Set.of(), true, null));
        }
    }

    private static void neutral(String reason, String name, Object... neutralValues) {
        Set<Object> values = new java.util.HashSet<>(java.util.Arrays.asList(neutralValues));
        RULES.put(name, new Rule(reason, values, false, null));
    }

    private static void removed(String replacement, String... names) {
        for (String name : names) {
            RULES.put(name, new Rule(null, Set.of(), false, replacement));
        }
    }

    /**
     * {@code options} without the ones no configuration here implements. The accepted ones given a value that asks
     * for something (not null, false, 0 or empty, nor the neutral value of an option accepted only at it) are warned
     * about on standard error, one line per reason:
     * {@code warning: <source>: no effect here: <names> (<reason>)}.
     *
     * @param known  every name the reading configuration implements (kept, never judged here)
     * @param source where the options came from, for messages
     * @throws InputException listing, in one message, every option refused (with the reason or the replacement) and
     *                        every unknown name (with the closest of {@code known})
     */
    public static Map<String, Object> sieve(Map<String, ?> options, Collection<String> known, String source) {
        Map<String, Object> kept = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Map<String, List<String>> ignoredByReason = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : options.entrySet()) {
            String name = e.getKey();
            Rule rule = RULES.get(name);
            if (known.contains(name)) {
                kept.put(name, e.getValue());
            } else if (rule == null) {
                String closest = ClosestName.among(name, known);
                problems.add("unknown option '" + name + "'" + (closest != null ? " (did you mean '" + closest + "'?)"
                        : ""));
            } else if (rule.replacement() != null) {
                problems.add("option '" + name + "' was removed from TRL/transformers; use " + rule.replacement());
            } else if (rule.anyValue() || isNeutral(rule, e.getValue())) {
                if (!isUnset(e.getValue()) && !isNeutral(rule, e.getValue())) {
                    ignoredByReason.computeIfAbsent(rule.reason(), r -> new ArrayList<>()).add(name);
                }
            } else {
                problems.add("option '" + name + "' = " + e.getValue() + " is not supported: " + rule.reason()
                        + (rule.neutral().isEmpty() ? "" : " (accepted: " + neutralText(rule) + ")"));
            }
        }
        ignoredByReason.forEach((reason, names) -> System.err.println("warning: " + source + ": no effect here: "
                + String.join(", ", names) + " (" + reason + ")"));
        if (problems.size() == 1) {
            throw new InputException(source + ": " + problems.getFirst());
        }
        if (!problems.isEmpty()) {
            throw new InputException(source + ": " + problems.size() + " options cannot be used: "
                    + String.join("; ", problems));
        }
        return kept;
    }

    /** Whether a value asks for nothing: null, false, zero, or an empty text, list or mapping. */
    private static boolean isUnset(Object value) {
        return value == null || Boolean.FALSE.equals(value) || value instanceof Number n && n.doubleValue() == 0
                || value instanceof String s && s.isEmpty() || value instanceof Collection<?> c && c.isEmpty()
                || value instanceof Map<?, ?> m && m.isEmpty();
    }

    private static boolean isNeutral(Rule rule, Object value) {
        for (Object neutral : rule.neutral()) {
            if (Objects.equals(neutral, value) || neutral instanceof Boolean b && String.valueOf(b).equalsIgnoreCase(
                    String.valueOf(value)) || neutral instanceof Number n && value instanceof Number v
                    && n.doubleValue() == v.doubleValue()) {
                return true;
            }
        }
        return false;
    }

    private static String neutralText(Rule rule) {
        Set<String> values = new TreeSet<>();
        rule.neutral().forEach(v -> values.add(v == null ? "null" : String.valueOf(v)));
        return String.join(" or ", values);
    }
}
