// Package run is autodidact's main job: a recipe names a task, a model
// shape and stages (pretrain, sft, rl, eval); Run executes them into a run
// directory (resolved config, metrics.jsonl, samples.jsonl, checkpoints,
// summary.json) and can resume a run killed at any moment so that it
// produces the same metrics as an uninterrupted one.
package run

import (
	"bytes"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/hf"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/recipes"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// Recipe is the whole configuration of a run. Every field has a YAML key;
// unknown keys are errors.
type Recipe struct {
	Name            string                `yaml:"name"`
	Seed            uint64                `yaml:"seed"`
	Threads         int                   `yaml:"threads"` // 0: AUTODIDACT_THREADS or all cores
	Task            TaskConfig            `yaml:"task"`
	Model           ModelConfig           `yaml:"model"`
	Pretrain        PretrainConfig        `yaml:"pretrain"`
	SFT             PretrainConfig        `yaml:"sft"`
	RL              RLConfig              `yaml:"rl"`
	Eval            EvalConfig            `yaml:"eval"`
	Env             EnvConfig             `yaml:"env"`
	Roles           map[string]RoleConfig `yaml:"roles"`
	Judge           JudgeConfig           `yaml:"judge"`
	CheckpointEvery int                   `yaml:"checkpoint_every"` // steps between checkpoints in every stage
	// CheckpointSeconds also checkpoints when this many seconds passed
	// since the last checkpoint (0: off).
	CheckpointSeconds float64 `yaml:"checkpoint_seconds"`
	// CheckpointKeep is how many of the newest checkpoints are kept (0:
	// all); the ends of pretraining and sft always stay, and, with
	// CheckpointKeepBest, the best by held-out pass@1.
	CheckpointKeep     int  `yaml:"checkpoint_keep"`
	CheckpointKeepBest bool `yaml:"checkpoint_keep_best"`
	SamplesPerStep     int  `yaml:"samples_per_step"` // episodes written to samples.jsonl per RL step

	// Methods holds the decoded sections of the recipe's method plug-ins
	// (top-level keys named after a registered method), by name.
	Methods map[string]any `yaml:"-"`

	doc map[string]any // the merged YAML document the recipe was decoded from
}

// EnvConfig selects the environment episodes run in: "single" (prompt,
// one completion, the task's grade: every task), "two_turn" (attempt,
// feedback, second attempt), "tool" (tool calls answered by tools); its
// own settings go under params.
type EnvConfig = episode.Options

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
	// From names a Hugging Face model directory (config.json,
	// model.safetensors or shards, tokenizer.json; Llama, Qwen2, Qwen3):
	// the policy starts from its weights and uses its tokenizer, and the
	// shape fields above are ignored except max_position_embeddings, which
	// caps the sequence length. Empty: a fresh model of the shape above
	// with the character tokenizer.
	From string `yaml:"from,omitempty"`
	// ChatTemplate renders each prompt as a user message with the model
	// directory's chat template (and the assistant's generation prompt).
	ChatTemplate bool `yaml:"chat_template,omitempty"`
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

	Clip        rl.Clip `yaml:",inline"`
	LossAggMode string  `yaml:"loss_agg_mode"`
	AggConstLen int     `yaml:"agg_const_len"` // L_const of seq-mean-token-sum-norm; 0: mini-batch size * max_new_tokens

	KLCoef      float64 `yaml:"kl_coef"`
	KLEstimator string  `yaml:"kl_estimator"`
	KLInReward  bool    `yaml:"kl_in_reward"`
	EntropyCoef float64 `yaml:"entropy_coef"`

	Gamma     float64 `yaml:"gamma"`
	GAELambda float64 `yaml:"gae_lambda"`
	ValueLR   float64 `yaml:"value_lr"`
	ValueClip float64 `yaml:"value_clip"`
	VFCoef    float64 `yaml:"vf_coef"`

	// Slots bounds the episodes generated at once (continuous batching:
	// waiting episodes take the slots that finished ones free).
	Slots int `yaml:"slots"`

	// Asynchronous rollout workers (run.Options.Rollouts, run/rollouts.go;
	// ignored when the learner samples itself). Staleness is how many
	// policy updates the weights that sampled a batch may lag the
	// learner's: the workers sample up to that many steps ahead. 0 (the
	// default, omitted from config.yaml): synchronous, bit for bit the
	// single-process run. OffPolicy corrects a lagging batch: "tis"
	// (default) weights each token's policy-gradient term by the truncated
	// importance ratio min(pi_old/mu, TISCap) and clips the PPO ratio
	// against pi_old, the learner's weights before the update; "drop"
	// discards a lagging batch and samples it again with the current
	// weights.
	Staleness int     `yaml:"staleness,omitempty"`
	OffPolicy string  `yaml:"off_policy,omitempty"`
	TISCap    float64 `yaml:"tis_cap,omitempty"` // 0: 2
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
	// FirstError (task chain) adds, from the same samples, the share whose
	// lines leave the reference solution before a right answer
	// (first_error_rate, task.ChainFirstError) and the share of those that
	// still end right (recovery_rate).
	FirstError bool `yaml:"first_error,omitempty"`
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

// RoleConfig is a role other than the policy's that takes turns in
// episodes when the environment asks for it (e.g. two_turn's critic): the
// model that plays it ("reference": the frozen copy of the policy taken
// when RL starts; "policy": the policy itself, its segments trained with
// the role's own advantages; "trained": a second model, copied from the
// policy when RL starts, with its own optimiser, trained on its segments
// from the role's rewards) and its sampling settings.
type RoleConfig struct {
	Model        string  `yaml:"model"`
	Temperature  float32 `yaml:"temperature"`
	MaxNewTokens int     `yaml:"max_new_tokens"`
	// Endpoint is the OpenAI-compatible server that plays the role when
	// model is "endpoint".
	Endpoint EndpointConfig `yaml:"endpoint"`
}

// JudgeConfig chooses where episode rewards come from: "verifier" (the
// environment's own grading; the default) or "model": the policy itself or
// the frozen reference model judges each final response with a prompt
// (Template, with {question} and {response}) and a strictly parsed verdict
// (episode.ModelJudge), replacing the environment's reward. Correctness is
// still recorded from the verifier so accuracy stays measurable.
type JudgeConfig struct {
	Name         string  `yaml:"name"`  // verifier or model
	Model        string  `yaml:"model"` // policy, reference or endpoint
	Template     string  `yaml:"template"`
	Format       string  `yaml:"format"` // score or verdict
	MaxScore     int     `yaml:"max_score"`
	Samples      int     `yaml:"samples"`
	Combine      string  `yaml:"combine"` // mean or vote
	Temperature  float32 `yaml:"temperature"`
	MaxNewTokens int     `yaml:"max_new_tokens"`
	Fallback     float64 `yaml:"fallback"` // reward of an unparsable judgment
	// Endpoint is the OpenAI-compatible server that plays the judge when
	// model is "endpoint" (autodidact serve, vLLM, OpenAI's API).
	Endpoint EndpointConfig `yaml:"endpoint"`
}

// EndpointConfig names an OpenAI-compatible server.
type EndpointConfig struct {
	URL       string `yaml:"url"`         // base URL up to /completions, e.g. http://127.0.0.1:8000/v1
	Model     string `yaml:"model"`       // the model id it serves ("" if it serves one)
	APIKeyEnv string `yaml:"api_key_env"` // environment variable holding the API key ("" for none); the key never enters the recipe
	Chat      bool   `yaml:"chat"`        // judges: ask chat completions (the server's chat template) instead of completions
	// TokenIDs says the server shares the run's tokenizer (e.g. autodidact
	// serve of the policy's model): a role's context goes as token ids and
	// its turn is the server's ids. False: text in, and the server's text
	// is encoded with the run's tokenizer. (Roles only.)
	TokenIDs bool `yaml:"token_ids"`
}

// validate checks the endpoint of a role or judge named key.
func (e EndpointConfig) validate(key string) error {
	u, err := url.Parse(e.URL)
	if e.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("recipe %s.url %q: want the server's http(s) base URL, e.g. http://127.0.0.1:8000/v1", key, e.URL)
	}
	return nil
}

// LoadRecipe reads a recipe: a name of a built-in recipe (recipes/*.yaml,
// embedded in the binary) or a path to a YAML file. The file is merged
// over the built-in "base" recipe key by key (nested sections merge, other
// values replace), so fields it does not name keep their defaults.
func LoadRecipe(nameOrPath string) (*Recipe, error) {
	base, err := recipes.Read("base")
	if err != nil {
		return nil, err
	}
	doc, err := parseDoc(base)
	if err != nil {
		return nil, fmt.Errorf("recipe base: %w", err)
	}
	if nameOrPath == "base" {
		return recipeFromDoc(nameOrPath, doc)
	}
	data, err := recipes.Read(nameOrPath)
	if err != nil {
		return nil, err
	}
	return parseRecipe(nameOrPath, doc, data)
}

// parseRecipe merges a recipe file's contents over the base document.
func parseRecipe(nameOrPath string, doc map[string]any, data []byte) (*Recipe, error) {
	over, err := parseDoc(data)
	if err != nil {
		return nil, fmt.Errorf("recipe %s: %w", nameOrPath, err)
	}
	mergeLayer(doc, over)
	return recipeFromDoc(nameOrPath, doc)
}

func recipeFromDoc(nameOrPath string, doc map[string]any) (*Recipe, error) {
	r, err := decodeRecipe(doc)
	if err != nil {
		return nil, fmt.Errorf("recipe %s: %w", nameOrPath, err)
	}
	return r, r.Validate()
}

// parseDoc reads a YAML mapping.
func parseDoc(data []byte) (map[string]any, error) {
	doc := map[string]any{}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// namedSections are the recipe sections whose params belong to the named
// thing (a task's or an environment's parameters).
var namedSections = []string{"task", "env"}

// mergeLayer merges a recipe layer (a recipe file over base, or one
// override) into dst. A layer that names another task or environment
// drops the params of the one it replaces, so `task: {name: mul}` over
// base's `add` does not inherit add's parameters.
func mergeLayer(dst, src map[string]any) {
	for _, k := range namedSections {
		sm, _ := src[k].(map[string]any)
		dm, _ := dst[k].(map[string]any)
		if sm == nil || dm == nil {
			continue
		}
		if name, ok := sm["name"]; ok && name != dm["name"] {
			delete(dm, "params")
		}
	}
	mergeDoc(dst, src)
}

// mergeDoc merges src into dst: mappings merge key by key, anything else
// replaces.
func mergeDoc(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeDoc(dm, sm)
				continue
			}
			cp := map[string]any{}
			mergeDoc(cp, sm)
			v = cp
		}
		dst[k] = v
	}
}

// loopKeys are the recipe's own top-level keys; any other key must name a
// method.
var loopKeys = map[string]bool{"name": true, "seed": true, "threads": true, "task": true, "model": true,
	"pretrain": true, "sft": true, "rl": true, "eval": true, "env": true, "roles": true, "judge": true,
	"checkpoint_every": true, "samples_per_step": true, "checkpoint_seconds": true, "checkpoint_keep": true,
	"checkpoint_keep_best": true}

// decodeRecipe decodes a merged document strictly: unknown keys of the
// loop's sections are errors, and every other top-level key is a method's
// section, decoded over the method's defaults.
func decodeRecipe(doc map[string]any) (*Recipe, error) {
	loop := map[string]any{}
	r := &Recipe{Methods: map[string]any{}, doc: doc}
	for k, v := range doc {
		switch {
		case loopKeys[k]:
			loop[k] = v
		case methodSpecs[k].defaults != nil:
			cfg, err := decodeSection(k, v)
			if err == nil {
				err = checkIntegral(k, v, reflect.TypeOf(cfg))
			}
			if err != nil {
				return nil, err
			}
			r.Methods[k] = cfg
		default:
			return nil, unknownSection(k)
		}
	}
	if err := checkIntegral("", loop, reflect.TypeOf(r)); err != nil {
		return nil, err
	}
	data, err := yaml.Marshal(loop)
	if err != nil {
		return nil, err
	}
	if err := decodeStrict(data, r); err != nil {
		return nil, err
	}
	return r, nil
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
// numbers, booleans and lists work: "eval.k_list=[1,4,16]"; a method's
// section turns the method on: "siren.coef=0.01"). An unknown key is an
// error naming it.
func (r *Recipe) Set(overrides []string) error {
	doc := r.doc
	if doc == nil {
		return fmt.Errorf("recipe %s: overrides need a recipe made by LoadRecipe", r.Name)
	}
	for _, o := range overrides {
		key, val, ok := strings.Cut(o, "=")
		if !ok || key == "" {
			return fmt.Errorf("override %q: want key=value", o)
		}
		parts := strings.Split(key, ".")
		for _, p := range parts {
			if p == "" {
				return fmt.Errorf("override %q: key %s has an empty part", o, key)
			}
		}
		if strings.TrimSpace(val) == "" {
			return fmt.Errorf("override %q: %s has no value (an empty value would not keep the setting; drop the override to keep it)", o, key)
		}
		var v any
		if err := yaml.Unmarshal([]byte(val), &v); err != nil {
			return fmt.Errorf("override %q: value: %w", o, err)
		}
		if v == nil {
			return fmt.Errorf("override %q: %s is null; give a value", o, key)
		}
		// Nest the value under its dotted key and merge it into the recipe.
		nested := v
		for i := len(parts) - 1; i >= 1; i-- {
			nested = map[string]any{parts[i]: nested}
		}
		next := map[string]any{}
		mergeDoc(next, doc)
		mergeLayer(next, map[string]any{parts[0]: nested})
		nr, err := decodeRecipe(next)
		if err != nil {
			return fmt.Errorf("override %q: %w", o, err)
		}
		*r, doc = *nr, next
	}
	return r.Validate()
}

// YAML returns the resolved recipe: the loop's settings and every
// method's section with all its fields.
func (r *Recipe) YAML() []byte {
	b, _ := yaml.Marshal(r)
	if len(r.Methods) == 0 {
		return b
	}
	doc := map[string]any{}
	yaml.Unmarshal(b, &doc)
	for n, cfg := range r.Methods {
		doc[n] = cfg
	}
	out, _ := yaml.Marshal(doc)
	return out
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
	if r.Model.From != "" {
		if _, err := hf.LoadConfig(r.Model.From); err != nil {
			return fmt.Errorf("recipe model.from: %w", err)
		}
	} else if r.Model.ChatTemplate {
		return fmt.Errorf("recipe model.chat_template: needs model.from (a model directory with a chat template)")
	}
	for _, st := range []struct {
		name string
		c    PretrainConfig
	}{{"pretrain", r.Pretrain}, {"sft", r.SFT}} {
		if st.c.Steps < 0 || (st.c.Steps > 0 && (st.c.Batch <= 0 || st.c.LR <= 0)) {
			return fmt.Errorf("recipe %s: steps >= 0, and batch and lr positive when steps > 0", st.name)
		}
		if err := st.c.Noise.Validate(); err != nil || math.IsNaN(st.c.Noise.Rate) {
			if err == nil {
				err = fmt.Errorf("noise rate %v must be in [0, 1]", st.c.Noise.Rate)
			}
			return fmt.Errorf("recipe %s.noise: %w", st.name, err)
		}
	}
	c := r.RL
	if c.Steps < 0 || (c.Steps > 0 && (c.PromptsPerStep <= 0 || c.GroupSize <= 0 || c.MaxNewTokens <= 0 || c.LR <= 0 || c.Epochs <= 0 || c.MiniBatches <= 0)) {
		return fmt.Errorf("recipe rl: prompts_per_step, group_size, max_new_tokens, lr, epochs and mini_batches must be positive")
	}
	if c.Staleness < 0 || c.TISCap < 0 || (c.OffPolicy != "" && c.OffPolicy != "tis" && c.OffPolicy != "drop") {
		return fmt.Errorf("recipe rl: staleness %d, off_policy %q, tis_cap %g: want staleness >= 0, off_policy tis or drop, tis_cap >= 0", c.Staleness, c.OffPolicy, c.TISCap)
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
	if err := r.validateSettings(); err != nil {
		return err
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
	if c.Steps > 0 && c.GroupSize < 2 && groupEstimators[c.AdvEstimator] {
		return fmt.Errorf("recipe rl.group_size %d: adv_estimator %s compares samples within a group; use group_size >= 2", c.GroupSize, c.AdvEstimator)
	}
	if c.KLInReward && c.KLCoef > 0 && c.AdvEstimator != "gae" && c.AdvEstimator != "reinforcepp" && c.AdvEstimator != "reinforcepp_baseline" {
		return fmt.Errorf("recipe rl.kl_in_reward: adv_estimator %s takes outcome rewards only, so a KL in the reward would be dropped; use kl_in_reward false (KL in the loss) or gae / reinforcepp", c.AdvEstimator)
	}
	if r.Env.Name == "" {
		return fmt.Errorf("recipe env.name: want one of %s", strings.Join(episode.Names(), ", "))
	}
	if _, err := episode.New(r.Env, episode.Deps{Codec: validationCodec{}}); err != nil {
		return fmt.Errorf("recipe %w", err)
	}
	if r.Env.MaxTurns < 1 {
		return fmt.Errorf("recipe env.max_turns %d must be >= 1", r.Env.MaxTurns)
	}
	for _, need := range episode.NeededRoles(r.Env) {
		if _, ok := r.Roles[need]; !ok {
			return fmt.Errorf("recipe roles: env %s needs a %q role (add roles: {%s: {model: reference, temperature: 1, max_new_tokens: 16}})", r.Env.Name, need, need)
		}
	}
	for name, ro := range r.Roles {
		if name == "" || name == episode.RolePolicy || name == episode.RolePrompt {
			return fmt.Errorf("recipe roles.%s: a role needs its own name (not policy or prompt)", name)
		}
		switch ro.Model {
		case "policy", "reference", "trained":
		case "endpoint":
			if err := ro.Endpoint.validate("roles." + name + ".endpoint"); err != nil {
				return err
			}
		default:
			return fmt.Errorf("recipe roles.%s.model %q: want policy, reference, trained or endpoint", name, ro.Model)
		}
		if ro.Model != "reference" && ro.Model != "endpoint" && (c.AdvEstimator == "gae" || c.AdvEstimator == "reinforcepp" || c.AdvEstimator == "reinforcepp_baseline") {
			return fmt.Errorf("recipe roles.%s: a role the policy plays gets its own outcome advantages; adv_estimator %s is token-level (use grpo, drgrpo, rloo or a REINFORCE variant)", name, c.AdvEstimator)
		}
		if ro.Temperature < 0 || ro.MaxNewTokens < 0 || ro.MaxNewTokens >= r.Model.MaxLen {
			return fmt.Errorf("recipe roles.%s: temperature >= 0 and 0 <= max_new_tokens < model.max_position_embeddings", name)
		}
	}
	if err := r.Judge.validate(); err != nil {
		return err
	}
	if _, err := buildMethods(r); err != nil {
		return err
	}
	return nil
}

// groupEstimators compare samples within a group.
var groupEstimators = map[string]bool{"grpo": true, "drgrpo": true, "rloo": true, "reinforcepp_baseline": true}

// validationCodec lets environments check their settings before a
// tokenizer exists; it accepts any text.
type validationCodec struct{}

func (validationCodec) Encode(s string) ([]int32, error) { return make([]int32, len(s)), nil }
func (validationCodec) Decode([]int32) string            { return "" }

func (j JudgeConfig) validate() error {
	switch j.Name {
	case "verifier":
		return nil
	case "model":
	default:
		return fmt.Errorf("recipe judge.name %q: want verifier or model", j.Name)
	}
	switch j.Model {
	case "policy", "reference":
	case "endpoint":
		if err := j.Endpoint.validate("judge.endpoint"); err != nil {
			return err
		}
	default:
		return fmt.Errorf("recipe judge.model %q: want policy, reference or endpoint", j.Model)
	}
	mj := episode.ModelJudge{Template: j.Template, Format: j.Format, MaxScore: j.MaxScore, Samples: j.Samples,
		Combine: j.Combine, MaxNew: j.MaxNewTokens}
	if err := mj.Validate(); err != nil {
		return fmt.Errorf("recipe %w", err)
	}
	return nil
}
