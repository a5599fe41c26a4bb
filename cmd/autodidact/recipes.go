package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/autodidact-rl/autodidact/recipes"
	"github.com/autodidact-rl/autodidact/run"
	"github.com/autodidact-rl/autodidact/task"
)

// newRecipesCmd is `autodidact recipes` (every built-in recipe: name, one
// line, paper) and `autodidact recipes show NAME [--set k=v]...` (the
// resolved recipe with a comment per knob).
func newRecipesCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "recipes [list|show NAME]",
		Short: "list the built-in recipes, or print one resolved with every knob",
		Args:  noCommandArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return listRecipes(cmd.OutOrStdout()) },
	}
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "list the built-in recipes: name, what it does, its paper",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return listRecipes(cmd.OutOrStdout()) },
	}, newRecipesShowCmd())
	return c
}

// newRecipesShowCmd is `recipes show NAME [--set k=v]... [--smoke]`.
func newRecipesShowCmd() *cobra.Command {
	var sets []string
	var smoke bool
	c := &cobra.Command{
		Use:   "show NAME [flags]",
		Short: "print a recipe resolved over base.yaml, every knob with a comment",
		Long: `Print the recipe NAME (built-in or a YAML file) as 'autodidact run' would
use it: merged over recipes/base.yaml, with --smoke and --set applied,
every knob present, each with a comment saying what it does.`,
		Example: `  autodidact recipes show dapo
  autodidact recipes show grpo --set rl.lr=5e-5 --smoke`,
		Args:              rangeArgs(1, 1, "name one recipe (see autodidact recipes)"),
		ValidArgsFunction: completeRecipes(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := resolveRecipe(args[0], smoke, sets, false, 0)
			if err != nil {
				return err
			}
			out, err := commentedYAML(r)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	c.Flags().StringArrayVar(&sets, "set", nil, "override a recipe field, e.g. --set rl.lr=1e-5 (repeatable)")
	c.Flags().BoolVar(&smoke, "smoke", false, "show the tiny configuration of `run --smoke`")
	return c
}

// listRecipes prints one line per built-in recipe: name, what it does, its
// paper.
func listRecipes(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "RECIPE\tWHAT IT DOES\tPAPER")
	for _, n := range recipes.Names() {
		if n == "base" {
			continue
		}
		paper := recipePapers[n]
		if paper == "" {
			paper = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", n, recipeOneLine(n), paper)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nRun one with 'autodidact run NAME' (add --smoke for a seconds-long check);\n'autodidact recipes show NAME' prints every knob it sets.")
	return err
}

// recipeOneLine describes a recipe in one line: the summary its method
// plug-in registered when it turns one on, else the first sentence of the
// recipe file's leading comment.
func recipeOneLine(name string) string {
	if r, err := run.LoadRecipe(name); err == nil {
		var methods []string
		for m := range r.Methods {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		// The recipe's own method first (nft runs with dapo's sampling).
		methods = slices.DeleteFunc(methods, func(m string) bool { return m == name })
		if _, ok := r.Methods[name]; ok {
			methods = append([]string{name}, methods...)
		}
		for _, m := range methods {
			if s, ok := run.MethodSummary(m); ok && s != "" {
				return s
			}
		}
	}
	b, err := recipes.Read(name)
	if err != nil {
		return ""
	}
	return shorten(firstSentence(leadingComment(string(b))), 90)
}

// shorten cuts s at its first "; " and then to at most n runes, at a word
// boundary, marking a cut with "…".
func shorten(s string, n int) string {
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n-1])
	if i := strings.LastIndex(cut, " "); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,:;") + "…"
}

// leadingComment joins the '#' lines at the top of a YAML file.
func leadingComment(doc string) string {
	var parts []string
	for _, line := range strings.Split(doc, "\n") {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "#") {
			break
		}
		parts = append(parts, strings.TrimSpace(strings.TrimPrefix(t, "#")))
	}
	return strings.Join(parts, " ")
}

// firstSentence cuts s after its first sentence (a period followed by a
// space or the end) and drops a trailing "(card N)" reference.
func firstSentence(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' && (i == len(s)-1 || s[i+1] == ' ') && !strings.HasSuffix(s[:i], "Dr") {
			s = s[:i]
			break
		}
	}
	if i := strings.LastIndex(s, " (card "); i >= 0 && strings.HasSuffix(s, ")") {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// recipePapers names the paper behind each built-in recipe, as the
// doc comments of rl/<method>.go cite it.
var recipePapers = map[string]string{
	"grpo":                 "DeepSeekMath (Shao et al., 2024)",
	"dr_grpo":              "Understanding R1-Zero-Like Training (Liu et al., 2025)",
	"dapo":                 "DAPO: an open-source LLM RL system at scale (Yu et al., 2025)",
	"rloo":                 "Back to Basics: REINFORCE-style optimization for RLHF (Ahmadian et al., 2024)",
	"reinforce_pp":         "REINFORCE++ (Hu, 2025)",
	"ppo":                  "Proximal Policy Optimization (Schulman et al., 2017)",
	"nsr":                  "The Surprising Effectiveness of Negative Reinforcement in LLM Reasoning",
	"psr":                  "The Surprising Effectiveness of Negative Reinforcement in LLM Reasoning",
	"w_reinforce":          "The Surprising Effectiveness of Negative Reinforcement in LLM Reasoning",
	"lite_ppo":             "Tricks or Traps? A Deep Dive into RL for LLM Reasoning",
	"drpo":                 "DRPO: Decoupled Reward Policy Optimization",
	"kl_bayes":             "RL with KL penalties is better viewed as Bayesian inference (Korbak et al., 2022)",
	"orpo":                 "Correlated Proxies: A New Definition and Improved Mitigation for Reward Hacking (Laidlaw et al., 2024)",
	"rl_mia":               "Detecting Data Contamination from RL Post-training (Self-Critique, RL-MIA; Tao et al., 2025)",
	"nft":                  "Bridging Supervised Learning and RL in Math Reasoning (NFT; Chen et al., 2025)",
	"grpo_lambda":          "Stable RL for Efficient Reasoning",
	"siren":                "Rethinking Entropy Regularization",
	"lp_reg":               "Low-probability Tokens Sustain Exploration",
	"sar":                  "",
	"laser":                "LaSeR: Last-Token Self-Rewarding",
	"self":                 "The Reasoning Boundary Paradox",
	"two_turn":             "SCoRe: Training LMs to Self-Correct via RL (Kumar et al., 2024)",
	"two_turn_critic":      "",
	"tool_calc":            "",
	"score":                "SCoRe: Training Language Models to Self-Correct via RL (Kumar et al., 2024)",
	"salt":                 "SALT: step-level advantage assignment from a trajectory graph",
	"overthinking":         "Reconsidering Overthinking: Penalizing Internal and External Redundancy in CoT Reasoning",
	"efficiency_rl":        "Efficiency Steering and Self-Rewarded Efficiency RL (arXiv 2506.15647)",
	"int":                  "InT: Self-Proposed Interventions Enable Credit Assignment in LLM Reasoning (arXiv 2601.14209)",
	"agent_r":              "Agent-R: Training Language Model Agents to Reflect via Iterative Self-Training (arXiv 2501.11425)",
	"rest_mcts":            "ReST-MCTS*: LLM Self-Training via Process Reward Guided Tree Search (arXiv 2406.03816)",
	"retrieval":            "",
	"retrieval_table":      "",
	"retrieval_propose":    "",
	"search_self_play":     "Search Self-play: Pushing the Frontier of Agent Capability without Supervision (arXiv 2510.18821)",
	"ssrl":                 "SSRL: Self-Search Reinforcement Learning (arXiv 2508.10874)",
	"cleaner":              "CLEANER: Self-Purified Trajectories Boost Agentic RL (arXiv 2601.15141)",
	"reseek":               "ReSeek: A Self-Correcting Framework for Search Agents (arXiv 2510.00568)",
	"self_rationalization": "Self-Rationalization: LLM as a fine-grained judge (arXiv 2410.05495)",
	"ssr_zero":             "SSR-Zero: Simple Self-Rewarding RL for Machine Translation (arXiv 2505.16637)",
	"grm":                  "Inference-Time Scaling for Generalist Reward Modeling (DeepSeek-GRM, SPCT; arXiv 2504.02495)",
	"exit":                 "Bootstrapping Task Spaces for Self-Improvement (ExIt, arXiv 2509.04575)",
	"spo":                  "A Minimaximalist Approach to Reinforcement Learning from Human Feedback (Swamy et al., 2024)",
	"inpo":                 "Iterative Nash Policy Optimization (Zhang et al., 2024)",
}

// commentedYAML renders the resolved recipe with a line comment on every
// knob (knobComment) and a head comment on every section.
func commentedYAML(r *run.Recipe) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(r.YAML(), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 1 {
		commentNode(doc.Content[0], "", methodSet(r))
	}
	head := fmt.Sprintf("# Recipe %s resolved over recipes/base.yaml: every knob, with what it does.\n# Override any of them with --set KEY=VALUE (e.g. --set rl.lr=5e-5).\n", r.Name)
	var buf bytes.Buffer
	buf.WriteString(head)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// methodSet is the set of method sections the recipe turns on.
func methodSet(r *run.Recipe) map[string]bool {
	m := map[string]bool{}
	for n := range r.Methods {
		m[n] = true
	}
	return m
}

// commentNode annotates the keys of a mapping node under prefix.
func commentNode(n *yaml.Node, prefix string, methods map[string]bool) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		c := knobComment(key, methods)
		if v.Kind == yaml.MappingNode && len(v.Content) > 0 {
			if c != "" {
				k.HeadComment = c
			}
			commentNode(v, key, methods)
			continue
		}
		if v.Kind == yaml.SequenceNode && allScalars(v) {
			v.Style = yaml.FlowStyle
		}
		if c == "" {
			continue
		}
		if v.Kind == yaml.MappingNode || v.Style == yaml.FlowStyle {
			k.HeadComment = c // yaml.v3 misplaces line comments after a flow {} or [...]
		} else {
			k.LineComment = c
		}
	}
}

// allScalars says whether every item of a sequence node is a scalar.
func allScalars(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// knobComment is the comment of a dotted key: its entry in knobComments,
// else a section or method's generic line, else "".
func knobComment(key string, methods map[string]bool) string {
	if c, ok := knobComments[key]; ok {
		return c
	}
	section, _, nested := strings.Cut(key, ".")
	if methods[section] {
		if !nested {
			s, _ := run.MethodSummary(section)
			return "method plug-in " + section + ": " + s
		}
		return "a setting of method " + section + " (run/" + section + ".go)"
	}
	switch {
	case strings.HasPrefix(key, "task.params."):
		return "a parameter of the task (autodidact tasks sample NAME --param k=v tries it)"
	case strings.HasPrefix(key, "env.params."):
		return "a setting of the environment (episode package)"
	case strings.HasPrefix(key, "roles."):
		parts := strings.Split(key, ".")
		if len(parts) == 2 {
			return "role " + parts[1] + ", played by another model when the environment asks for it"
		}
		if len(parts) >= 4 && parts[2] == "endpoint" {
			if c, ok := knobComments["judge.endpoint."+parts[3]]; ok {
				return c
			}
		}
		if len(parts) == 3 && parts[2] == "endpoint" {
			return "the OpenAI-compatible server that plays the role when model is endpoint"
		}
		switch parts[len(parts)-1] {
		case "model":
			return "who plays the role: reference (frozen copy), policy (the policy itself), trained (a copy with its own optimiser) or endpoint (an OpenAI-compatible server)"
		case "temperature":
			return "the role's sampling temperature"
		case "max_new_tokens":
			return "the role's longest turn, in tokens"
		}
	}
	return ""
}

// knobComments says what each loop knob does. The section comments follow
// recipes/base.yaml; the knob comments follow the fields of run.Recipe.
var knobComments = map[string]string{
	"name":                 "the recipe's name (runs/<timestamp>-<name>)",
	"seed":                 "seed of everything random: data, initialisation, sampling",
	"threads":              "worker threads (0: AUTODIDACT_THREADS or all cores)",
	"checkpoint_every":     "steps between checkpoints in every stage (also one after each evaluation)",
	"checkpoint_seconds":   "also checkpoint when this many seconds passed since the last one (0: off)",
	"checkpoint_keep":      "newest checkpoints kept (0: all); the ends of pretraining/sft are always kept",
	"checkpoint_keep_best": "also keep the checkpoint with the best held-out pass@1",
	"samples_per_step":     "episodes written to samples.jsonl per RL step",

	"task":                        "the procedural task: its name, parameters and prompt template",
	"task.name":                   "task (autodidact tasks lists them)",
	"task.params":                 "the task's parameters (none set)",
	"task.template":               "how a problem becomes a prompt",
	"task.template.prompt":        "prompt text; {question} is replaced by the problem",
	"task.template.answer_prefix": "text before the final answer in solutions",

	"model":                         "the policy's shape (Llama/Qwen2-like decoder)",
	"model.hidden_size":             "width of the residual stream",
	"model.intermediate_size":       "width of the SwiGLU MLP",
	"model.num_hidden_layers":       "transformer layers",
	"model.num_attention_heads":     "query heads",
	"model.num_key_value_heads":     "key/value heads (fewer than query heads: grouped-query attention)",
	"model.max_position_embeddings": "longest sequence, prompt plus completion, in tokens",
	"model.rope_theta":              "RoPE base frequency",
	"model.from":                    "a Hugging Face model directory to start from (its weights and tokenizer.json; the shape above is then ignored, max_position_embeddings caps the length); empty: a fresh model",
	"model.chat_template":           "render prompts with the model directory's chat template (needs model.from)",

	"pretrain":              "next-token training on the noisy solver's text: decides how good the base model is",
	"pretrain.steps":        "optimiser steps (0: no pretraining)",
	"pretrain.batch":        "sequences per step",
	"pretrain.lr":           "AdamW learning rate",
	"pretrain.warmup":       "linear warm-up steps",
	"pretrain.weight_decay": "AdamW weight decay",
	"pretrain.grad_clip":    "global gradient-norm clip",
	"pretrain.noise":        "errors of the noisy solver",
	"pretrain.noise.rate":   "share of solutions with an error (0 to 1)",
	"pretrain.noise.kinds":  "kinds of error: " + strings.Join(task.NoiseKinds, ", "),

	"sft":              "supervised fine-tuning on reference solutions, completion only (when steps > 0)",
	"sft.steps":        "optimiser steps (0: no SFT)",
	"sft.batch":        "sequences per step",
	"sft.lr":           "AdamW learning rate",
	"sft.warmup":       "linear warm-up steps",
	"sft.weight_decay": "AdamW weight decay",
	"sft.grad_clip":    "global gradient-norm clip",
	"sft.noise":        "errors in the SFT solutions",
	"sft.noise.rate":   "share of solutions with an error (0 to 1)",
	"sft.noise.kinds":  "kinds of error: " + strings.Join(task.NoiseKinds, ", "),

	"rl":                  "the RL stage",
	"rl.steps":            "RL steps (each: sample, score, update)",
	"rl.prompts_per_step": "problems per step",
	"rl.group_size":       "completions sampled per problem (the group of GRPO)",
	"rl.max_new_tokens":   "longest completion, in tokens",
	"rl.temperature":      "sampling temperature",
	"rl.lr":               "AdamW learning rate of the policy",
	"rl.warmup":           "linear warm-up steps",
	"rl.weight_decay":     "AdamW weight decay",
	"rl.epochs":           "passes over each step's samples",
	"rl.mini_batches":     "mini-batches (optimiser steps) per epoch",
	"rl.grad_clip":        "global gradient-norm clip",
	"rl.adv_estimator":    "advantage estimator: grpo, drgrpo, rloo, reinforcepp, reinforcepp_baseline, gae, psr, nsr, full, w_reinforce",
	"rl.norm_by_std":      "divide group-centred rewards by the group's standard deviation (grpo)",
	"rl.adv_norm":         "grpo normalisation: group, batch or group_mean_batch_std (Lite PPO)",
	"rl.reinforce_lambda": "W-REINFORCE weight of positive samples",
	"rl.eps_low":          "clip range below 1 of the probability ratio",
	"rl.eps_high":         "clip range above 1 of the probability ratio (clip-higher when > eps_low)",
	"rl.dual_clip_c":      "dual-clip bound of negative-advantage ratios",
	"rl.loss_agg_mode":    "loss aggregation: token-mean, seq-mean-token-mean, seq-mean-token-sum, seq-mean-token-sum-norm",
	"rl.agg_const_len":    "L_const of seq-mean-token-sum-norm (0: mini-batch size × max_new_tokens)",
	"rl.kl_coef":          "weight of the KL to the reference model (0: none)",
	"rl.kl_estimator":     "KL estimator: k1, k2 or k3",
	"rl.kl_in_reward":     "put the KL penalty in the reward instead of the loss",
	"rl.entropy_coef":     "weight of the entropy bonus",
	"rl.gamma":            "discount over tokens (gae)",
	"rl.gae_lambda":       "GAE λ (gae)",
	"rl.value_lr":         "learning rate of the value model (ppo with a critic)",
	"rl.value_clip":       "clip range of the value loss",
	"rl.vf_coef":          "weight of the value loss",
	"rl.slots":            "episodes generated at once (continuous batching)",
	"rl.staleness":        "rollout workers only: policy updates a sampled batch may lag the learner (0: synchronous, bit for bit the single-process run)",
	"rl.off_policy":       "rollout workers only: correction of a lagging batch, tis (truncated importance ratio) or drop (sample it again)",
	"rl.tis_cap":          "rollout workers only: truncation C of min(pi_old/mu, C) (0: 2)",

	"eval":                "held-out evaluation before and after RL",
	"eval.problems":       "test problems",
	"eval.samples":        "completions per problem",
	"eval.temperature":    "sampling temperature",
	"eval.every":          "RL steps between evaluations (0: only before and after)",
	"eval.max_new_tokens": "longest completion, in tokens",
	"eval.k_list":         "k of the reported pass@k and maj@k",
	"eval.first_error":    "task chain: also report first_error_rate (lines leave the reference) and recovery_rate (of those, ending right)",

	"env":           "the environment episodes run in: single, two_turn, tool, retrieval or self_judge",
	"env.name":      "single (prompt, one completion, the task's grade), two_turn, tool, retrieval (search over task lookup's corpus) or self_judge (single, with judge demonstrations)",
	"env.max_turns": "cut an episode after this many policy turns",
	"env.params":    "the environment's own settings",

	"roles": "roles besides the policy that an environment calls on: {NAME: {model, temperature, max_new_tokens}}",

	"judge":                      "where rewards come from: the verifier, or a model judge with a strictly parsed verdict",
	"judge.name":                 "verifier or model",
	"judge.model":                "model judge: policy, reference, or endpoint (an OpenAI-compatible server)",
	"judge.template":             "model judge prompt, with {question} and {response}",
	"judge.format":               "model judge output: score or verdict",
	"judge.max_score":            "highest score of the score format",
	"judge.samples":              "judgments per response",
	"judge.combine":              "how judgments combine: mean or vote",
	"judge.temperature":          "sampling temperature of the judge",
	"judge.max_new_tokens":       "longest judgment, in tokens",
	"judge.fallback":             "reward of an unparsable judgment",
	"judge.endpoint":             "the OpenAI-compatible server of judge.model: endpoint",
	"judge.endpoint.url":         "its base URL up to /completions, e.g. http://127.0.0.1:8000/v1",
	"judge.endpoint.model":       "the model id it serves (empty: its only one)",
	"judge.endpoint.api_key_env": "environment variable holding its API key (empty: none; the key never enters the recipe)",
	"judge.endpoint.token_ids":   "the server shares the run's tokenizer: a role's context goes as ids and its turn comes back as ids (roles only; a judge's verdict is text)",
	"judge.endpoint.chat":        "ask chat completions (the server's chat template) instead of completions",

	// Method plug-ins' sections (rl/<method>.go has the equations).
	"dapo.dynamic_sampling":          "drop groups whose rewards are all equal and sample again",
	"dapo.max_gen_rounds":            "generation rounds per step at most when sampling again",
	"dapo.overlong_buffer_len":       "tokens before rl.max_new_tokens where the overlong penalty ramps up (0: no shaping)",
	"dapo.overlong_penalty_factor":   "overlong penalty at rl.max_new_tokens",
	"dapo.mask_truncated":            "leave truncated responses out of the policy loss",
	"rl_mia.members":                 "size of the fixed pool of train problems every RL step draws from (the contamination probe's members)",
	"nft.neg_weight":                 "weight of the wrong answers' implicit-negative loss (1 NFT, 0 RFT: right answers only)",
	"nft.ratio_type":                 "token: a ratio per token; sequence: one ratio per answer",
	"nft.normalize":                  "token weight: 0 none, 1 (1 - r), 2 sqrt((1 - r)/r) (GRPO with the population std on policy)",
	"nft.clamp_negative":             "floor of the negative proxy (1 - r R)/(1 - r) in the loss value (gradient passes through)",
	"nft.clamp_positive":             "floor of a right token's ratio in the loss value (0: none)",
	"nft.rate_lo":                    "the question's rate of right answers r is clipped below here",
	"nft.rate_hi":                    "and above here",
	"nft.ratio_log_max":              "log-ratios are capped here (no gradient above)",
	"orpo.reg_type":                  "regulariser of the sequence likelihood ratio to the reference: none, kl (k3), chi2, sqrt_chi2",
	"orpo.coef":                      "lambda: the regulariser's weight in the policy loss",
	"orpo.log_ratio_clip":            "sequence log-ratios beyond +-this continue linearly in the exponentials",
	"orpo.chi2_floor":                "sqrt's argument is floored here (no gradient below)",
	"proxy_reward.last_digit":        "proxy reward for a right last digit of the answer",
	"proxy_reward.length":            "proxy reward for an answer of the right length",
	"kl_bayes.beta":                  "temperature of the target pi* = pi_0 e^{r/beta} / Z",
	"kl_bayes.fit":                   "none: measure only; kl_rl: reward r - beta log(pi_old/pi_0) (exact KL-RL); dpg: distribution matching",
	"kl_bayes.probes":                "held-out problems whose enumerated answers are scored",
	"kl_bayes.every":                 "RL steps between measurements (0: the last step only)",
	"drpo.tau":                       "temperature of the log-mean-exp over negative scores",
	"drpo.lambda":                    "length preference: positives weighted exp((1 - len/L_max) / lambda)",
	"drpo.beta":                      "weight of the drift penalty against the sampling policy",
	"drpo.delta":                     "KL the drift penalty tolerates before it acts",
	"grpo_lambda.top_frac":           "share of the most-solved groups that get the length-penalised reward",
	"laser.alpha":                    "weight of the self-reward loss alpha * (s - r)^2",
	"laser.beta_v":                   "scale of the self-reward s = beta_v * (logp(token) - c)",
	"laser.token":                    "the reserved token whose log-prob after a solution is the self-reward",
	"lp_reg.beta":                    "weight of the KL towards the filtered proxy (0: off)",
	"lp_reg.kappa":                   "min-p threshold of the proxy: tokens below kappa × the top probability are dropped",
	"lp_reg.low_prob_quantile":       "positions regularised: log-probs below this quantile",
	"lp_reg.only_negative_advantage": "regularise only positions of negative-advantage samples",
	"sar.alpha":                      "weight of the self-aligned reward added to the verifier's",
	"sar.clip":                       "bound of the self-aligned reward's magnitude",
	"self.mode":                      "filter (train only on problems with 0 < p_hat <= tau) or weight; off disables it",
	"self.n_estimate":                "samples per pool problem to estimate its success rate p_hat",
	"self.tau":                       "highest success rate of the problems trained on",
	"self.refresh_every":             "RL steps between success-rate estimates",
	"self.pool":                      "training problems whose success rates are estimated",
	"self_prm.step_score":            "how the policy scores a line of its own sample: recompute (its greedy re-derivation agrees) or logprob (its probability of the line)",
	"self_prm.aggregate":             "line scores to the sample's score: min, mean, product or last",
	"self_prm.threshold":             "a line scoring below it is the model's first wrong line (ProcessBench F1)",
	"self_prm.greedy":                "also report the greedy solution's accuracy (self_prm_greedy)",
	"siren.coef":                     "weight of the anchored entropy term c * (H - H_anchor)^2 (0: off)",
	"score.alpha":                    "progress bonus alpha * (r2 - r1) on the second attempt's reward in Stage II",
	"score.beta1":                    "KL weight to the base on both attempts in Stage II",
	"score.beta2":                    "KL weight holding the first attempt near the base in Stage I",
	"score.stage1_steps":             "RL steps of Stage I (train attempt 2 only); Stage II after",
	"score.turn1_credit":             "first attempt's return: own (r1) or reward_to_go (r1 + r2)",
	"score.stage1_pg_on_y1":          "Stage I also trains the first attempt on the second's reward",
	"score.kl_estimator":             "KL estimator of the SCoRe terms: k1, k2, k3, k3+",
	"score.adv_std":                  "per-attempt group advantage scale: population, unbiased or none",
	"salt.merge_mode":                "how steps are merged: prefix (identical history) or state (step plus a window)",
	"salt.history_window":            "state mode: the elements before a step that enter its key",
	"salt.min_shared_count":          "merge a node only when this many trajectories share it",
	"salt.normalize":                 "compare steps lower-cased with white space collapsed",
	"overthinking.use_internal":      "penalise internal redundancy: score_int = f(IRD), IRD the similarity of consecutive windows of lines before the first correct solution",
	"overthinking.use_external":      "penalise external redundancy: score_ext = 1 - ERD, ERD the share of the CoT after the first correct solution",
	"overthinking.window_ratio":      "IRD window: max(1, floor(window_ratio * lines)) lines",
	"overthinking.stride_ratio":      "IRD stride: max(1, floor(stride_ratio * lines)) lines",
	"overthinking.ngram":             "windows are embedded as bags of character n-grams of this n (replaces the card's sentence embedder)",
	"overthinking.sig_k":             "steepness k of f(x) = (σ(k(1-x-c)) - σ(-kc)) / (σ(k(1-c)) - σ(-kc))",
	"overthinking.sig_center":        "centre c of f: IRD above about c is penalised steeply",
	"overthinking.think_delimiter":   "the CoT is the text before the first line starting with this (the answer line)",
	"overthinking.fcs_match_mode":    "first correct solution: regex (answer not glued to digits/operators, else substring) or substring",
	"overthinking.erd_round":         "ERD is rounded to a multiple of this (0: not rounded)",
	"overthinking.one_delimiter":     "score 0 for a completion with more than one delimiter line",
	"overthinking.empty_cot":         "a correct answer with no CoT: ok (score 1) or zero (the card's format rule)",
	"overthinking.normalize":         "none (the card) or group: IRD and ERD min-max normalised among the group's scored correct samples",
	"overthinking.group_eps":         "normalize group: a spread below this normalises to 0 (no penalty)",
	"efficiency.w0":                  "weight w0 of the bonus w_g * (L_max - L_i) / (L_max - L_min) for correct samples",
	"int.problems":                   "training problems attempted for the hard set",
	"int.k_attempts":                 "attempts per problem",
	"int.hard_only":                  "repair only problems with no right attempt",
	"int.temperature":                "sampling temperature of attempts, interventions and filter continuations",
	"int.locate":                     "first wrong line: model (differs from its greedy re-derivation) or verifier (leaves the reference)",
	"int.propose":                    "intervention: model (its own sampled line) or reference (the reference line, oracle)",
	"int.k_interventions":            "propose model: intervention samples per failed attempt",
	"int.k_guide":                    "continuations of a guided attempt in the correctness filter (0: no filter)",
	"int.min_guided_successes":       "right continuations needed to keep a guided attempt",
	"int.leak_filter":                "drop interventions holding the answer line",
	"int.keep_per_problem":           "SFT rows per problem: all or one",
	"int.sft_target":                 "prefix_int (InT), prefix_only, prefix_int_suffix, full_reference (plain-SFT control)",
	"int.append_eos":                 "end prefix_int and prefix_only rows with the end token",
	"int.sft_steps":                  "SFT steps on the rows before RL",
	"int.sft_batch":                  "rows per SFT step",
	"int.sft_lr":                     "SFT learning rate (cosine to a tenth)",
	"rest_mcts.root_samples":         "completions per problem from the root before value-guided expansion",
	"rest_mcts.rounds":               "rounds of UCT-chosen expansions sharing the rest of group_size",
	"rest_mcts.branch":               "children a node gets before selection descends below it",
	"rest_mcts.exploration":          "C of UCT = V + C sqrt(2 ln N(parent) / N)",
	"rest_mcts.alpha":                "V = (1 - alpha) value model + alpha mean reward of the traces through the node",
	"rest_mcts.policy_loss":          "sft (advantage 1 on steps of paths reaching a right answer) or value_delta (v_node - v_parent)",
	"rest_mcts.policy_filter_value":  "sft: leave out right traces whose leaf value estimate is below this",
	"rest_mcts.value_lr":             "learning rate of the process value model",
	"rest_mcts.value_epochs":         "value model updates per step on the inferred targets",
	"agent_r.root_samples":           "completions per problem from the root before UCT expansion",
	"agent_r.rounds":                 "rounds of UCT-chosen expansions sharing the rest of group_size",
	"agent_r.branch":                 "children a node gets before selection descends below it",
	"agent_r.uct_c":                  "C of UCT = mean reward + C sqrt(ln N(parent) / N)",
	"agent_r.alpha":                  "a good path's value must exceed alpha",
	"agent_r.beta":                   "and a bad path's by more than beta",
	"agent_r.max_pairs":              "revision trajectories per tree",
	"agent_r.revise_mode":            "where a bad path is cut: model_guided (its first line the model judges bad), direct (its end), oracle (verifier)",
	"agent_r.revision_action":        "the revision line: undo_k (\"undo k\") or wait",
	"agent_r.keep_good_bc":           "also train the good paths' steps",
	"efficiency.scale_by_acc":        "w_g = w0 * group accuracy (length pressure fades on hard prompts); else w_g = w0",
	"efficiency.len_unit":            "lengths in tokens (generated, EOS included) or chars (the decoded completion)",
	"srpo.dbscan_eps":                "DBSCAN radius over the standardised success embeddings",
	"srpo.dbscan_min_samples":        "DBSCAN core size (the point included); no cluster: the successes' mean is the one centre",
	"srpo.sigmoid_steepness":         "k of R_fail = scale * sigmoid(k (offset - n)), n the failure's normalised distance",
	"srpo.sigmoid_offset":            "offset of that sigmoid",
	"srpo.fail_reward_scale":         "scale: the most a failure can earn",
	"srpo.group_key":                 "failures compared with the successes of their problem's group (problem) or of the whole step (batch)",
	"rlsp.alpha":                     "weight of the verifier in R = alpha * V + (1 - alpha) * E; 1 is outcome-only GRPO",
	"rlsp.alpha_schedule":            "const, or hold_then_linear (alpha held, then raised linearly to 1 at the last RL step)",
	"rlsp.alpha_hold_frac":           "hold_then_linear: share of the RL steps alpha is held",
	"rlsp.explore_reward":            "E: steps (min(steps, step_cap) / step_cap), length (reasoning characters, capped at 8 * step_cap) or none",
	"rlsp.step_cap":                  "S_cap: steps at which E saturates",
	"rlsp.explore_requires_answer":   "E is 0 for a response without an answer line",
	"rlsp.backtrack_token":           "a reasoning line starting with it counts as a backtrack",
	"rlsp.verify_marker":             "a reasoning line starting with it counts as a verification",
	"siren.top_p":                    "nucleus whose entropy is regularised",
	"siren.peak_ratio":               "share of the highest-entropy positions regularised",
	"siren.anchor":                   "initial (the entropy of the policy at the start) or fixed (anchor_value)",
	"siren.anchor_value":             "the entropy anchor when anchor is fixed",

	// CLEANER and ReSeek (issue 12, the retrieval environment).
	"cleaner.rollback_probability":         "p_rb: the share of trajectories whose failed calls are rolled back (one draw per trajectory)",
	"cleaner.max_tool_retries":             "R_max: retries rolled back at one turn; after them the failing call stays with its error",
	"cleaner.similarity_threshold":         "gamma: a retry whose call is less similar than this replaces the whole turn, else only the call",
	"cleaner.similarity_scope":             "what the similarity compares: call_only (the call's input) or with_markers (with its tags)",
	"cleaner.max_total_tool_attempts":      "rollback stops after this many tool calls in one trajectory",
	"cleaner.failure_marker":               "an observation starting with this is a failed call",
	"cleaner.rescore":                      "recompute the purified episodes' old log-probs on the stored sequence (ratio 1 on spliced tokens)",
	"search_self_play.proposer_reward":     "the proposer's reward from its question's solve rate s: 1-acc (1 - s) or intermediate_difficulty (4s(1-s), 0 at s = 0 or 1)",
	"search_self_play.min_search_calls":    "a valid proposal made at least this many distinct searches",
	"search_self_play.use_rag_filter":      "accept a question only when a reader answers it right from the proposer's retrieved documents plus noise",
	"search_self_play.noisy_rag_docs":      "documents of other proposers' trajectories mixed into the RAG check",
	"search_self_play.format_penalty":      "the proposer's reward for a rejected question (keep 0: -0.1 collapsed the paper's runs)",
	"search_self_play.reuse":               "a rejected question's solver slot goes to a previously accepted question",
	"search_self_play.reuse_buffer":        "accepted questions kept for reuse (the most recent)",
	"ssrl.em_weight":                       "weight of exact match (the task's grade of the answer line) in the reward",
	"ssrl.format_weight":                   "weight of the format score F in the reward",
	"ssrl.format_half_per_think":           "F's credit per think block, min(this * T, 1) (T = searches + 1 without think tags)",
	"ssrl.max_think":                       "F is 0 with more think blocks than this",
	"ssrl.mask_information":                "self-written <result> spans (tags included) leave the policy loss",
	"ssrl.mask_multiline_info":             "also mask result spans holding a newline (false replicates the code's regex without DOTALL)",
	"ssrl.max_new_tokens":                  "token budget of the self-search turn (the whole trajectory is one generation)",
	"reseek.correct_judge":                 "reward of a right judge tag (Yes on useful, No on useless results)",
	"reseek.answer_boost":                  "added to a right judgement's reward when the answer is correct",
	"reseek.wrong_yes":                     "reward of Yes on a useless result",
	"reseek.wrong_no":                      "reward of No on a useful result",
	"reseek.useful_label":                  "a result is useful when it holds =ANSWER (answer_substring) or also a gold fact of an earlier hop (answer_or_bridge)",
	"reseek.answer_tag_spam_limit":         "more answer tags than this in the text cut the answer reward to spam_answer_reward",
	"reseek.spam_answer_reward":            "answer reward of a correct answer written with too many answer tags",
	"self_rationalization.beta":            "DPO beta: weight of the log-ratio margin (CHOICE 0.1)",
	"self_rationalization.nll":             "weight of the chosen judgement's length-normalised NLL added to DPO (0: plain DPO)",
	"self_rationalization.pairs_per_item":  "most preference pairs per item (0: no bound)",
	"self_rationalization.meta_judge":      "rationale_check (chosen judgements with the reference rationale first) or none",
	"self_rationalization.ref":             "DPO reference: iteration (the policy at each iteration's start) or initial (the frozen initial policy)",
	"self_rationalization.iteration_steps": "RL steps per iteration (the reference is refreshed at each iteration's start)",
	"self_rationalization.loss":            "dpo, or sft: likelihood on the chosen judgements of the same pairs (the ablation)",
	"ssr_zero.format_fail_reward":          "reward of a completion without an answer line, instead of its judged score",
	"grm.rft_steps":                        "first RL steps that are rejective fine-tuning (likelihood on correct judgements of items not all correct)",
	"grm.reward_wrong":                     "rule-based reward of a wrong or unparsable judgement (a correct one gets 1)",
	"grm.meta_frac":                        "share of the k judgements that vote in the guided vote (highest mean log-prob; no trained meta RM)",
	"grm.max_subsets":                      "subsets of size k averaged per item for grm_vote@k (exhaustive when fewer)",
	"spo.opponent":                         "group (self-play: win rate against the group's other samples) or reference (against group_size reference samples)",
	"spo.symmetrize_positions":             "P_ij = (J(i,j) + 1 - J(j,i)) / 2 cancels a judge's position bias",
	"spo.include_self":                     "count the self-comparison P_ii = 1/2 in each sample's mean",
	"exit.p_select":                        "probability that a prompt replays a buffered instance (once the buffer holds buffer_min_size)",
	"exit.buffer_capacity":                 "instances kept; the lowest-scored are evicted (oldest first on ties)",
	"exit.buffer_min_size":                 "instances the buffer needs before any is replayed",
	"exit.priority":                        "how instances are drawn: softmax of score/kappa, rank (1/rank^(1/kappa)) or uniform",
	"exit.kappa":                           "temperature of the softmax or rank prioritisation",
	"exit.reward":                          "reward of a replayed instance: verifier, or improvement max(0, (r - r_prev)/(1 - r_prev))",
	"exit.max_depth":                       "deepest partial history (instances cut from instances)",
	"inpo.eta":                             "eta of the mirror-descent step: the squared loss targets the margin h = 1/(2 eta)",
	"inpo.tau_over_eta":                    "tau/eta in (0, 1): weight of the reference against the previous iterate in h",
	"inpo.pair_selection":                  "each group's pair: copeland (most and fewest pairwise wins) or maxmin (highest and lowest win rate)",
	"inpo.logp_reduction":                  "sequence log-prob of a response: sum or mean of its token log-probs",
}
