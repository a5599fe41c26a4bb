// Package hf reads and writes Hugging Face model directories: config.json
// (+ generation_config.json), model.safetensors or sharded files with
// model.safetensors.index.json, and tokenizer.json, for the Llama, Qwen2
// and Qwen3 architectures, mapping them onto lm.Model (whose parameter
// names already follow the Hugging Face layout).
package hf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/autodidact-rl/autodidact/lm"
)

// File names inside a Hugging Face model directory.
const (
	ConfigFile           = "config.json"
	GenerationConfigFile = "generation_config.json"
	WeightsFile          = "model.safetensors"
	IndexFile            = "model.safetensors.index.json"
	TokenizerFile        = "tokenizer.json"
	TokenizerConfigFile  = "tokenizer_config.json"
)

// SupportedModelTypes are the config.json model_type values Load accepts.
var SupportedModelTypes = []string{"llama", "qwen2", "qwen3"}

// Config is what Load reads from config.json: the engine's shape plus the
// Hugging Face facts that do not change the arithmetic.
type Config struct {
	ModelType     string   // llama, qwen2 or qwen3
	Architectures []string // e.g. ["Qwen2ForCausalLM"]
	TorchDType    string   // torch_dtype (informational)
	BOSTokenID    []int    // bos_token_id (one or several, may be empty)
	EOSTokenID    []int    // eos_token_id
	LM            lm.Config
}

// rawConfig holds the config.json fields Load looks at; pointers tell a
// missing field from a zero one.
type rawConfig struct {
	ModelType             string          `json:"model_type"`
	Architectures         []string        `json:"architectures"`
	VocabSize             *int            `json:"vocab_size"`
	HiddenSize            *int            `json:"hidden_size"`
	IntermediateSize      *int            `json:"intermediate_size"`
	NumHiddenLayers       *int            `json:"num_hidden_layers"`
	NumAttentionHeads     *int            `json:"num_attention_heads"`
	NumKeyValueHeads      *int            `json:"num_key_value_heads"`
	HeadDim               *int            `json:"head_dim"`
	HiddenAct             *string         `json:"hidden_act"`
	RopeTheta             *float64        `json:"rope_theta"`
	RMSNormEps            *float64        `json:"rms_norm_eps"`
	TieWordEmbeddings     *bool           `json:"tie_word_embeddings"`
	AttentionBias         *bool           `json:"attention_bias"`
	MLPBias               *bool           `json:"mlp_bias"`
	MaxPositionEmbeddings *int            `json:"max_position_embeddings"`
	RopeScaling           json.RawMessage `json:"rope_scaling"`
	RopeParameters        json.RawMessage `json:"rope_parameters"` // transformers v5 spelling
	UseSlidingWindow      *bool           `json:"use_sliding_window"`
	PartialRotaryFactor   *float64        `json:"partial_rotary_factor"`
	TorchDType            string          `json:"torch_dtype"`
	DType                 string          `json:"dtype"`
	BOSTokenID            json.RawMessage `json:"bos_token_id"`
	EOSTokenID            json.RawMessage `json:"eos_token_id"`
	ValueHead             bool            `json:"value_head"`
	LayerTypes            []string        `json:"layer_types"`
}

// LoadConfig reads dir/config.json: a Hugging Face config (with
// model_type), or autodidact's own (checkpoint.SaveModel, no model_type),
// whose fields are lm.Config's.
func LoadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	var probe struct {
		ModelType *string `json:"model_type"`
	}
	if json.Unmarshal(data, &probe) == nil && probe.ModelType == nil {
		// autodidact's own layout (checkpoint.SaveModel): lm.Config's fields.
		l, err := lm.LoadConfig(path)
		if err != nil {
			return Config{}, err
		}
		t, err := InferModelType(l)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", path, err)
		}
		return Config{ModelType: t, LM: l}, nil
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig maps a Hugging Face config.json onto the engine, applying
// each architecture's defaults for absent fields (as transformers does)
// and rejecting, by field name, values the engine does not implement.
func ParseConfig(data []byte) (Config, error) {
	var r rawConfig
	if err := json.Unmarshal(data, &r); err != nil {
		return Config{}, fmt.Errorf("config.json is not a valid config object: %w", err)
	}
	c := Config{ModelType: r.ModelType, Architectures: r.Architectures, TorchDType: r.TorchDType}
	if c.TorchDType == "" {
		c.TorchDType = r.DType
	}
	var err error
	if c.BOSTokenID, err = intOrList("bos_token_id", r.BOSTokenID); err != nil {
		return Config{}, err
	}
	if c.EOSTokenID, err = intOrList("eos_token_id", r.EOSTokenID); err != nil {
		return Config{}, err
	}
	switch r.ModelType {
	case "llama", "qwen2", "qwen3":
	case "":
		return Config{}, fmt.Errorf("model_type is missing (supported: %s)", strings.Join(SupportedModelTypes, ", "))
	default:
		return Config{}, fmt.Errorf("model_type %q is not supported (supported: %s)", r.ModelType, strings.Join(SupportedModelTypes, ", "))
	}
	req := func(name string, p *int) (int, error) {
		if p == nil {
			return 0, fmt.Errorf("%s is missing", name)
		}
		if *p <= 0 {
			return 0, fmt.Errorf("%s must be positive, got %d", name, *p)
		}
		return *p, nil
	}
	var l lm.Config
	for _, f := range []struct {
		name string
		p    *int
		dst  *int
	}{
		{"vocab_size", r.VocabSize, &l.VocabSize},
		{"hidden_size", r.HiddenSize, &l.HiddenSize},
		{"intermediate_size", r.IntermediateSize, &l.IntermediateSize},
		{"num_hidden_layers", r.NumHiddenLayers, &l.NumHiddenLayers},
		{"num_attention_heads", r.NumAttentionHeads, &l.NumAttentionHeads},
	} {
		if *f.dst, err = req(f.name, f.p); err != nil {
			return Config{}, err
		}
	}
	l.NumKeyValueHeads = l.NumAttentionHeads
	if r.NumKeyValueHeads != nil {
		l.NumKeyValueHeads = *r.NumKeyValueHeads
	}
	if r.HiddenAct != nil && *r.HiddenAct != "silu" {
		return Config{}, fmt.Errorf("hidden_act %q is not supported (supported: silu)", *r.HiddenAct)
	}
	if r.MLPBias != nil && *r.MLPBias {
		return Config{}, fmt.Errorf("mlp_bias true is not supported (supported: false)")
	}
	if r.UseSlidingWindow != nil && *r.UseSlidingWindow {
		return Config{}, fmt.Errorf("use_sliding_window true is not supported (supported: false)")
	}
	for i, lt := range r.LayerTypes {
		if lt != "full_attention" {
			return Config{}, fmt.Errorf("layer_types[%d] %q is not supported (supported: full_attention)", i, lt)
		}
	}
	if r.PartialRotaryFactor != nil && *r.PartialRotaryFactor != 1 {
		return Config{}, fmt.Errorf("partial_rotary_factor %v is not supported (supported: 1)", *r.PartialRotaryFactor)
	}
	// Defaults of LlamaConfig, Qwen2Config and Qwen3Config.
	l.RopeTheta, l.RMSNormEps = 10000, 1e-6
	l.MaxPositionEmbeddings = map[string]int{"llama": 2048, "qwen2": 32768, "qwen3": 32768}[r.ModelType]
	hd := l.HiddenSize / l.NumAttentionHeads
	if r.ModelType == "qwen3" {
		hd = 128
	}
	if r.HeadDim != nil {
		hd = *r.HeadDim
	}
	if hd <= 0 {
		return Config{}, fmt.Errorf("head_dim must be positive, got %d", hd)
	}
	if hd*l.NumAttentionHeads != l.HiddenSize || l.HiddenSize%l.NumAttentionHeads != 0 {
		l.HeadDimension = hd // else left 0: the same lm.Config as an implicit head_dim
	}
	if r.RopeTheta != nil {
		l.RopeTheta = *r.RopeTheta
	}
	if r.RMSNormEps != nil {
		l.RMSNormEps = *r.RMSNormEps
	}
	if r.MaxPositionEmbeddings != nil {
		l.MaxPositionEmbeddings = *r.MaxPositionEmbeddings
	}
	if r.TieWordEmbeddings != nil {
		l.TieWordEmbeddings = *r.TieWordEmbeddings
	}
	bias := r.AttentionBias != nil && *r.AttentionBias
	switch r.ModelType {
	case "llama":
		l.AttentionBias, l.OProjBias = bias, bias
	case "qwen2": // q/k/v always biased, o_proj never
		l.AttentionBias = true
	case "qwen3":
		l.AttentionBias, l.OProjBias, l.QKNorm = bias, bias, true
	}
	rope := r.RopeScaling
	if len(r.RopeParameters) > 0 && string(r.RopeParameters) != "null" {
		rope = r.RopeParameters
		var th struct {
			RopeTheta *float64 `json:"rope_theta"`
		}
		if err := json.Unmarshal(rope, &th); err != nil {
			return Config{}, fmt.Errorf("rope_parameters: %w", err)
		}
		if th.RopeTheta != nil {
			l.RopeTheta = *th.RopeTheta
		}
	}
	if len(rope) > 0 {
		if err := checkRopeKeys(rope); err != nil {
			return Config{}, err
		}
		if err := json.Unmarshal(rope, &l.RopeScaling); err != nil {
			return Config{}, fmt.Errorf("rope_scaling: %w", err)
		}
	}
	l.ValueHead = r.ValueHead
	if err := l.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "model config: "))
	}
	c.LM = l
	return c, nil
}

// checkRopeKeys rejects rope_scaling keys that would change the arithmetic
// but that the engine ignores.
func checkRopeKeys(raw json.RawMessage) error {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil // null, or an error reported by the typed decode
	}
	known := map[string]bool{"rope_type": true, "type": true, "factor": true, "low_freq_factor": true,
		"high_freq_factor": true, "original_max_position_embeddings": true, "rope_theta": true}
	var extra []string
	for k := range m {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t, _ := m["rope_type"].(string)
		if t == "" {
			t, _ = m["type"].(string)
		}
		if t == "default" || t == "linear" || t == "llama3" || t == "" {
			return fmt.Errorf("rope_scaling key %q is not supported for rope_type %q", extra[0], t)
		}
	}
	return nil
}

func intOrList(name string, raw json.RawMessage) ([]int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one int
	if json.Unmarshal(raw, &one) == nil {
		return []int{one}, nil
	}
	var many []int
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("%s must be an integer or a list of integers, got %s", name, raw)
	}
	return many, nil
}

// GenerationConfig is the part of generation_config.json the engine uses.
type GenerationConfig struct {
	BOSTokenID  []int
	EOSTokenID  []int // stop tokens
	PadTokenID  []int
	DoSample    bool
	Temperature float64 // 0 when absent
	TopK        int
	TopP        float64
	MinP        float64
}

// LoadGenerationConfig reads dir/generation_config.json, or returns nil
// (and no error) when the file does not exist.
func LoadGenerationConfig(dir string) (*GenerationConfig, error) {
	path := filepath.Join(dir, GenerationConfigFile)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r struct {
		BOS         json.RawMessage `json:"bos_token_id"`
		EOS         json.RawMessage `json:"eos_token_id"`
		Pad         json.RawMessage `json:"pad_token_id"`
		DoSample    bool            `json:"do_sample"`
		Temperature float64         `json:"temperature"`
		TopK        int             `json:"top_k"`
		TopP        float64         `json:"top_p"`
		MinP        float64         `json:"min_p"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g := &GenerationConfig{DoSample: r.DoSample, Temperature: r.Temperature, TopK: r.TopK, TopP: r.TopP, MinP: r.MinP}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *[]int
	}{{"bos_token_id", r.BOS, &g.BOSTokenID}, {"eos_token_id", r.EOS, &g.EOSTokenID}, {"pad_token_id", r.Pad, &g.PadTokenID}} {
		if *f.dst, err = intOrList(f.name, f.raw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return g, nil
}

// SampleOptions turns the generation config into the sampler's options:
// greedy unless do_sample, its temperature/top_k/top_p/min_p, and its
// eos_token_id as stop tokens.
func (g *GenerationConfig) SampleOptions(maxNew int) lm.SampleOptions {
	o := lm.SampleOptions{MaxNew: maxNew}
	if g == nil {
		o.Temperature = 1
		return o
	}
	if g.DoSample {
		o.Temperature = float32(g.Temperature)
		if o.Temperature == 0 {
			o.Temperature = 1 // transformers' default
		}
		o.TopK, o.TopP, o.MinP = g.TopK, float32(g.TopP), float32(g.MinP)
	}
	for _, id := range g.EOSTokenID {
		o.Stop = append(o.Stop, int32(id))
	}
	return o
}
