// Package run is autodidact's main job: a recipe names a task, a model
// shape and stages (pretrain, sft, rl, eval); Run executes them into a run
// directory (resolved config, metrics.jsonl, samples.jsonl, checkpoints,
// summary.json) and can resume a run killed at any moment so that it
// produces the same metrics as an uninterrupted one.
package run

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/recipes"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// Recipe is the whole configuration of a run. Every field has a YAML key;
// unknown keys are errors.
type Recipe struct {
	Name            string         `yaml:"name"`
	Seed            uint64         `yaml:"seed"`
	Threads         int            `yaml:"threads"` // 0: AUTODIDACT_THREADS or all cores
	Task            TaskConfig     `yaml:"task"`
	Model           ModelConfig    `yaml:"model"`
	Pretrain        PretrainConfig `yaml:"pretrain"`
	SFT             PretrainConfig `yaml:"sft"`
	RL              RLConfig       `yaml:"rl"`
	Eval            EvalConfig     `yaml:"eval"`
	CheckpointEvery int            `yaml:"checkpoint_every"` // steps between checkpoints in every stage
	SamplesPerStep  int            `yaml:"samples_per_step"` // completions written to samples.jsonl per RL step
}

// TaskConfig names the task, its parameters and its prompt template.
type TaskConfig struct {
	Name     string         `yaml:"name"`
	Params   map[string]any `yaml:"params"`
	Template task.Template  `yaml:"template"`
}

// ModelConfig is the policy's shape.
type ModelConfig struct {
	HiddenSize       int     `yaml:"hidden_size"`
	IntermediateSize int     `yaml:"intermediate_size"`
	Layers           int     `yaml:"num_hidden_layers"`
	Heads            int     `yaml:"num_attention_heads"`
	KVHeads          int     `yaml:"num_key_value_heads"`
	MaxLen           int     `yaml:"max_position_embeddings"`
	RopeTheta        float64 `yaml:"rope_theta"`
}

// PretrainConfig configures next-token training on solver text: pretrain
// uses the noisy solver (its noise decides how good the base model is);
// sft, when steps > 0, trains on reference solutions, completion only.
type PretrainConfig struct {
	Steps       int        `yaml:"steps"`
	Batch       int        `yaml:"batch"`
	LR          float64    `yaml:"lr"`
	Warmup      int        `yaml:"warmup"`
	WeightDecay float64    `yaml:"weight_decay"`
	GradClip    float64    `yaml:"grad_clip"`
	Noise       task.Noise `yaml:"noise"`
}

// RLConfig configures the RL stage (card 0 knobs).
type RLConfig struct {
	Steps          int     `yaml:"steps"`
	PromptsPerStep int     `yaml:"prompts_per_step"`
	GroupSize      int     `yaml:"group_size"`
	MaxNewTokens   int     `yaml:"max_new_tokens"`
	Temperature    float32 `yaml:"temperature"`
	LR             float64 `yaml:"lr"`
	Warmup         int     `yaml:"warmup"`
	WeightDecay    float64 `yaml:"weight_decay"`
	Epochs         int     `yaml:"epochs"`
	MiniBatches    int     `yaml:"mini_batches"`
	GradClip       float64 `yaml:"grad_clip"`

	AdvEstimator    string  `yaml:"adv_estimator"` // grpo, drgrpo, rloo, reinforcepp, reinforcepp_baseline, gae, psr, nsr, full, w_reinforce
	NormByStd       bool    `yaml:"norm_by_std"`
	AdvNorm         string  `yaml:"adv_norm"`         // grpo: group, batch or group_mean_batch_std (Lite PPO)
	ReinforceLambda float64 `yaml:"reinforce_lambda"` // W-REINFORCE weight of positive samples
	PolicyLoss      string  `yaml:"policy_loss"`      // clip (PPO surrogate) or drpo

	GRPOLambda  GRPOLambdaConfig `yaml:"grpo_lambda"`
	SIREN       rl.SIREN         `yaml:"siren"`  // coef 0: off
	LpReg       rl.LpReg         `yaml:"lp_reg"` // beta 0: off
	SAR         SARConfig        `yaml:"sar"`    // alpha 0: off
	LaSeR       rl.LaSeR         `yaml:"laser"`  // alpha 0: off
	DRPO        rl.DRPO          `yaml:"drpo"`
	SELF        SELFConfig       `yaml:"self"`
	Clip        rl.Clip          `yaml:",inline"`
	LossAggMode string           `yaml:"loss_agg_mode"`
	AggConstLen int              `yaml:"agg_const_len"` // L_const of seq-mean-token-sum-norm; 0: mini-batch size * max_new_tokens

	KLCoef      float64 `yaml:"kl_coef"`
	KLEstimator string  `yaml:"kl_estimator"`
	KLInReward  bool    `yaml:"kl_in_reward"`
	EntropyCoef float64 `yaml:"entropy_coef"`

	DynamicSampling       bool    `yaml:"dynamic_sampling"`
	MaxGenRounds          int     `yaml:"max_gen_rounds"`
	OverlongBufferLen     int     `yaml:"overlong_buffer_len"`
	OverlongPenaltyFactor float64 `yaml:"overlong_penalty_factor"`
	MaskTruncated         bool    `yaml:"mask_truncated"`

	Gamma     float64 `yaml:"gamma"`
	GAELambda float64 `yaml:"gae_lambda"`
	ValueLR   float64 `yaml:"value_lr"`
	ValueClip float64 `yaml:"value_clip"`
	VFCoef    float64 `yaml:"vf_coef"`
}

// GRPOLambdaConfig switches GRPO-λ's length-penalised reward on for the
// top TopFrac most-solved groups of each batch (0: off).
type GRPOLambdaConfig struct {
	TopFrac float64 `yaml:"top_frac"`
}

// SARConfig adds alpha * SAR (self-aligned reward, card A5) to each
// reward, clipped to [-clip, clip], scored with the current policy.
type SARConfig struct {
	Alpha float64 `yaml:"alpha"`
	Clip  float64 `yaml:"clip"`
}

// SELFConfig configures SELF curation: every RefreshEvery steps estimate
// p_hat on a pool of Pool training problems with NEstimate samples each,
// then draw prompts from problems with 0 < p_hat <= Tau (filter) or with
// weight 1 - p_hat (weight). Mode "off" (or empty) disables it.
type SELFConfig struct {
	Mode         string  `yaml:"mode"`
	NEstimate    int     `yaml:"n_estimate"`
	Tau          float64 `yaml:"tau"`
	RefreshEvery int     `yaml:"refresh_every"`
	Pool         int     `yaml:"pool"`
}

// EvalConfig configures held-out evaluation: Samples completions for each
// of Problems test problems, pass@k for k in KList.
type EvalConfig struct {
	Problems     int     `yaml:"problems"`
	Samples      int     `yaml:"samples"`
	Temperature  float32 `yaml:"temperature"`
	Every        int     `yaml:"every"` // RL steps between evaluations (0: only before and after)
	MaxNewTokens int     `yaml:"max_new_tokens"`
	KList        []int   `yaml:"k_list"`
}

// LMConfig is the lm.Config of the recipe's model for a vocabulary size.
func (m ModelConfig) LMConfig(vocab int) lm.Config {
	kv := m.KVHeads
	if kv == 0 {
		kv = m.Heads
	}
	return lm.Config{VocabSize: vocab, HiddenSize: m.HiddenSize, IntermediateSize: m.IntermediateSize,
		NumHiddenLayers: m.Layers, NumAttentionHeads: m.Heads, NumKeyValueHeads: kv, RopeTheta: m.RopeTheta,
		RMSNormEps: 1e-5, TieWordEmbeddings: true, MaxPositionEmbeddings: m.MaxLen}
}

// LoadRecipe reads a recipe: a name of a built-in recipe (recipes/*.yaml,
// embedded in the binary) or a path to a YAML file. Fields missing from
// the file keep the defaults of the built-in "base" recipe.
func LoadRecipe(nameOrPath string) (*Recipe, error) {
	base, err := recipes.Read("base")
	if err != nil {
		return nil, err
	}
	r := &Recipe{}
	if err := decodeStrict(base, r); err != nil {
		return nil, fmt.Errorf("recipe base: %w", err)
	}
	if nameOrPath == "base" {
		return r, r.Validate()
	}
	data, err := recipes.Read(nameOrPath)
	if err != nil {
		return nil, err
	}
	if err := decodeStrict(data, r); err != nil {
		return nil, fmt.Errorf("recipe %s: %w", nameOrPath, err)
	}
	return r, r.Validate()
}

// decodeStrict decodes YAML into r, rejecting unknown keys.
func decodeStrict(data []byte, r *Recipe) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(r); err != nil && err.Error() != "EOF" {
		return err
	}
	return nil
}

// Set applies overrides of the form "rl.lr=1e-5" (the value is YAML, so
// numbers, booleans and lists work: "eval.k_list=[1,4,16]"). An unknown key
// is an error naming it.
func (r *Recipe) Set(overrides []string) error {
	for _, o := range overrides {
		key, val, ok := strings.Cut(o, "=")
		if !ok || key == "" {
			return fmt.Errorf("override %q: want key=value", o)
		}
		var v any
		if err := yaml.Unmarshal([]byte(val), &v); err != nil {
			return fmt.Errorf("override %q: value: %w", o, err)
		}
		// Nest the value under its dotted key and decode it over r.
		parts := strings.Split(key, ".")
		doc := any(v)
		for i := len(parts) - 1; i >= 0; i-- {
			doc = map[string]any{parts[i]: doc}
		}
		data, err := yaml.Marshal(doc)
		if err != nil {
			return err
		}
		if err := decodeStrict(data, r); err != nil {
			return fmt.Errorf("override %q: %w", o, err)
		}
	}
	return r.Validate()
}

// YAML returns the resolved recipe.
func (r *Recipe) YAML() []byte {
	b, _ := yaml.Marshal(r)
	return b
}

// Validate reports the first setting that cannot work.
func (r *Recipe) Validate() error {
	if _, err := task.New(r.Task.Name, r.Task.Params); err != nil {
		return fmt.Errorf("recipe task: %w", err)
	}
	if r.Model.HiddenSize <= 0 || r.Model.Layers <= 0 || r.Model.Heads <= 0 || r.Model.MaxLen <= 0 {
		return fmt.Errorf("recipe model: hidden_size, num_hidden_layers, num_attention_heads and max_position_embeddings must be positive")
	}
	if err := r.Model.LMConfig(8).Validate(); err != nil {
		return fmt.Errorf("recipe model: %w", err)
	}
	for _, st := range []struct {
		name string
		c    PretrainConfig
	}{{"pretrain", r.Pretrain}, {"sft", r.SFT}} {
		if st.c.Steps < 0 || (st.c.Steps > 0 && (st.c.Batch <= 0 || st.c.LR <= 0)) {
			return fmt.Errorf("recipe %s: steps >= 0, and batch and lr positive when steps > 0", st.name)
		}
		if err := st.c.Noise.Validate(); err != nil {
			return fmt.Errorf("recipe %s: %w", st.name, err)
		}
	}
	c := r.RL
	if c.Steps < 0 || (c.Steps > 0 && (c.PromptsPerStep <= 0 || c.GroupSize <= 0 || c.MaxNewTokens <= 0 || c.LR <= 0 || c.Epochs <= 0 || c.MiniBatches <= 0)) {
		return fmt.Errorf("recipe rl: prompts_per_step, group_size, max_new_tokens, lr, epochs and mini_batches must be positive")
	}
	switch c.AdvEstimator {
	case "grpo", "drgrpo", "rloo", "reinforcepp", "reinforcepp_baseline", "gae":
	default:
		if _, err := rl.ParseReinforceMode(c.AdvEstimator); err != nil {
			return fmt.Errorf("recipe rl.adv_estimator %q: want grpo, drgrpo, rloo, reinforcepp, reinforcepp_baseline, gae, psr, nsr, full or w_reinforce", c.AdvEstimator)
		}
	}
	if _, err := rl.ParseAdvNorm(c.AdvNorm); err != nil {
		return fmt.Errorf("recipe rl.%w", err)
	}
	switch c.PolicyLoss {
	case "clip":
	case "drpo":
		if c.DRPO.Tau <= 0 || c.DRPO.Lambda <= 0 {
			return fmt.Errorf("recipe rl.drpo: tau and lambda must be positive")
		}
		if c.MiniBatches > 0 && (c.PromptsPerStep%c.MiniBatches != 0 || c.DynamicSampling) {
			return fmt.Errorf("recipe rl: drpo needs whole groups in each mini-batch (prompts_per_step divisible by mini_batches, no dynamic sampling)")
		}
	default:
		return fmt.Errorf("recipe rl.policy_loss %q: want clip or drpo", c.PolicyLoss)
	}
	if c.SIREN.Coef != 0 && (c.SIREN.TopP <= 0 || c.SIREN.TopP > 1 || c.SIREN.PeakRatio <= 0 || c.SIREN.PeakRatio > 1 || (c.SIREN.Anchor != "initial" && c.SIREN.Anchor != "fixed")) {
		return fmt.Errorf("recipe rl.siren: top_p and peak_ratio in (0, 1], anchor initial or fixed")
	}
	if c.LpReg.Beta != 0 && (c.LpReg.Kappa <= 0 || c.LpReg.Kappa >= 1 || c.LpReg.LowProbQuantile < 0 || c.LpReg.LowProbQuantile > 1) {
		return fmt.Errorf("recipe rl.lp_reg: kappa in (0, 1), low_prob_quantile in [0, 1]")
	}
	if c.LaSeR.Alpha != 0 && len([]rune(c.LaSeR.Token)) != 1 {
		return fmt.Errorf("recipe rl.laser.token %q must be one character of the tokenizer's alphabet that the task never writes", c.LaSeR.Token)
	}
	if c.GRPOLambda.TopFrac < 0 || c.GRPOLambda.TopFrac > 1 {
		return fmt.Errorf("recipe rl.grpo_lambda.top_frac %v must be in [0, 1]", c.GRPOLambda.TopFrac)
	}
	switch c.SELF.Mode {
	case "", "off":
	case "filter", "weight":
		if c.SELF.NEstimate < 1 || c.SELF.Pool < c.PromptsPerStep || c.SELF.RefreshEvery < 1 {
			return fmt.Errorf("recipe rl.self: n_estimate >= 1, pool >= prompts_per_step and refresh_every >= 1")
		}
	default:
		return fmt.Errorf("recipe rl.self.mode %q: want off, filter or weight", c.SELF.Mode)
	}
	if _, err := rl.ParseAggMode(c.LossAggMode); err != nil {
		return fmt.Errorf("recipe rl.%w", err)
	}
	if _, err := rl.ParseKLEstimator(c.KLEstimator); err != nil {
		return fmt.Errorf("recipe rl.%w", err)
	}
	if c.Clip.EpsLow < 0 || c.Clip.EpsHigh < 0 {
		return fmt.Errorf("recipe rl: eps_low and eps_high must be >= 0")
	}
	if c.AdvEstimator == "gae" && c.ValueLR <= 0 {
		return fmt.Errorf("recipe rl: adv_estimator gae needs value_lr > 0")
	}
	if r.Eval.Samples <= 0 || r.Eval.Problems <= 0 {
		return fmt.Errorf("recipe eval: problems and samples must be positive")
	}
	for _, k := range r.Eval.KList {
		if k < 1 || k > r.Eval.Samples {
			return fmt.Errorf("recipe eval.k_list: k=%d must be in [1, samples=%d]", k, r.Eval.Samples)
		}
	}
	if r.CheckpointEvery <= 0 {
		return fmt.Errorf("recipe checkpoint_every must be positive")
	}
	return nil
}
