// Package lm is autodidact's decoder-only transformer language model, shaped
// like Llama/Qwen2 so that Hugging Face checkpoints map onto it: token
// embedding, L blocks of (RMSNorm, grouped-query attention with rotary
// embeddings, residual, RMSNorm, SwiGLU MLP, residual), a final RMSNorm and
// a language-model head, optionally tied to the embedding, and an optional
// scalar value head for PPO critics.
//
// The same forward kernels serve training (Score, Backward) and sampling
// (Generate), so the log-probabilities recorded at sampling time match
// those recomputed for training.
package lm

import (
	"encoding/json"
	"fmt"
	"os"
)

// Config is the model shape, with Hugging Face config.json field names.
type Config struct {
	VocabSize             int     `json:"vocab_size"`
	HiddenSize            int     `json:"hidden_size"`
	IntermediateSize      int     `json:"intermediate_size"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	NumKeyValueHeads      int     `json:"num_key_value_heads"`
	RopeTheta             float64 `json:"rope_theta"`
	RMSNormEps            float64 `json:"rms_norm_eps"`
	TieWordEmbeddings     bool    `json:"tie_word_embeddings"`
	AttentionBias         bool    `json:"attention_bias"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	// ValueHead adds a linear head hidden_size -> 1 (PPO critic).
	ValueHead bool `json:"value_head,omitempty"`

	// The fields below are off (zero) by default and cost nothing then;
	// they carry the Hugging Face architectures beyond the original shape.

	// HeadDimension is an explicit attention head width (Qwen3's head_dim,
	// independent of hidden_size / num_attention_heads); 0 means
	// hidden_size / num_attention_heads.
	HeadDimension int `json:"head_dim,omitempty"`
	// QKNorm applies a per-head RMSNorm (weights q_norm/k_norm [head_dim])
	// to queries and keys after their projections and before the rotary
	// embedding (Qwen3).
	QKNorm bool `json:"qk_norm,omitempty"`
	// OProjBias adds a bias to o_proj (Llama and Qwen3 with attention_bias;
	// AttentionBias alone covers q/k/v only, as in Qwen2).
	OProjBias bool `json:"o_proj_bias,omitempty"`
	// RopeScaling rescales the rotary frequencies (Hugging Face rope_scaling).
	RopeScaling RopeScaling `json:"rope_scaling,omitzero"`
}

// RopeScaling is Hugging Face's rope_scaling: Type "" (none), "linear"
// (every frequency divided by Factor) or "llama3" (low frequencies divided
// by Factor, high ones kept, a smooth blend between, set by LowFreqFactor,
// HighFreqFactor and OriginalMaxPositionEmbeddings).
type RopeScaling struct {
	Type                          string  `json:"rope_type,omitempty"`
	Factor                        float64 `json:"factor,omitempty"`
	LowFreqFactor                 float64 `json:"low_freq_factor,omitempty"`
	HighFreqFactor                float64 `json:"high_freq_factor,omitempty"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings,omitempty"`
}

// UnmarshalJSON accepts both spellings of the type key ("rope_type" and
// the older "type"); "default" means no scaling.
func (r *RopeScaling) UnmarshalJSON(b []byte) error {
	var raw struct {
		RopeType                      string  `json:"rope_type"`
		Type                          string  `json:"type"`
		Factor                        float64 `json:"factor"`
		LowFreqFactor                 float64 `json:"low_freq_factor"`
		HighFreqFactor                float64 `json:"high_freq_factor"`
		OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings"`
	}
	if string(b) == "null" {
		*r = RopeScaling{}
		return nil
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	t := raw.RopeType
	if t == "" {
		t = raw.Type
	}
	if t == "default" {
		t = ""
	}
	*r = RopeScaling{Type: t, Factor: raw.Factor, LowFreqFactor: raw.LowFreqFactor,
		HighFreqFactor: raw.HighFreqFactor, OriginalMaxPositionEmbeddings: raw.OriginalMaxPositionEmbeddings}
	return nil
}

// Validate names the first unusable field of the scaling.
func (r RopeScaling) Validate() error {
	switch r.Type {
	case "":
		return nil
	case "linear":
		if !(r.Factor > 0) {
			return fmt.Errorf("model config: rope_scaling.factor must be positive for rope_type linear, got %v", r.Factor)
		}
	case "llama3":
		switch {
		case !(r.Factor > 0):
			return fmt.Errorf("model config: rope_scaling.factor must be positive for rope_type llama3, got %v", r.Factor)
		case !(r.LowFreqFactor > 0):
			return fmt.Errorf("model config: rope_scaling.low_freq_factor must be positive, got %v", r.LowFreqFactor)
		case !(r.HighFreqFactor > r.LowFreqFactor):
			return fmt.Errorf("model config: rope_scaling.high_freq_factor %v must exceed low_freq_factor %v", r.HighFreqFactor, r.LowFreqFactor)
		case r.OriginalMaxPositionEmbeddings <= 0:
			return fmt.Errorf("model config: rope_scaling.original_max_position_embeddings must be positive, got %d", r.OriginalMaxPositionEmbeddings)
		}
	default:
		return fmt.Errorf("model config: rope_scaling type %q is not supported (supported: default, linear, llama3)", r.Type)
	}
	return nil
}

// Tiny returns a small default shape for procedural tasks.
func Tiny(vocab int) Config {
	return Config{VocabSize: vocab, HiddenSize: 128, IntermediateSize: 344, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 4, RopeTheta: 10000, RMSNormEps: 1e-5,
		TieWordEmbeddings: true, MaxPositionEmbeddings: 256}
}

// HeadDim is head_dim when set, else hidden_size / num_attention_heads.
func (c Config) HeadDim() int {
	if c.HeadDimension > 0 {
		return c.HeadDimension
	}
	return c.HiddenSize / c.NumAttentionHeads
}

// Validate reports the first field that makes the shape unusable.
func (c Config) Validate() error {
	pos := map[string]int{
		"vocab_size": c.VocabSize, "hidden_size": c.HiddenSize, "intermediate_size": c.IntermediateSize,
		"num_hidden_layers": c.NumHiddenLayers, "num_attention_heads": c.NumAttentionHeads,
		"num_key_value_heads": c.NumKeyValueHeads, "max_position_embeddings": c.MaxPositionEmbeddings,
	}
	for _, name := range []string{"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
		"num_attention_heads", "num_key_value_heads", "max_position_embeddings"} {
		if pos[name] <= 0 {
			return fmt.Errorf("model config: %s must be positive, got %d", name, pos[name])
		}
	}
	if c.HeadDimension < 0 {
		return fmt.Errorf("model config: head_dim must be positive, got %d", c.HeadDimension)
	}
	if c.HeadDimension == 0 && c.HiddenSize%c.NumAttentionHeads != 0 {
		return fmt.Errorf("model config: hidden_size %d is not divisible by num_attention_heads %d", c.HiddenSize, c.NumAttentionHeads)
	}
	if c.HeadDim()%2 != 0 {
		return fmt.Errorf("model config: head dimension %d must be even for rotary embeddings", c.HeadDim())
	}
	if c.NumAttentionHeads%c.NumKeyValueHeads != 0 {
		return fmt.Errorf("model config: num_attention_heads %d is not a multiple of num_key_value_heads %d", c.NumAttentionHeads, c.NumKeyValueHeads)
	}
	if c.RopeTheta <= 0 {
		return fmt.Errorf("model config: rope_theta must be positive, got %v", c.RopeTheta)
	}
	if c.RMSNormEps <= 0 {
		return fmt.Errorf("model config: rms_norm_eps must be positive, got %v", c.RMSNormEps)
	}
	return c.RopeScaling.Validate()
}

// NumParams counts the parameters of the shape (tied weights once).
func (c Config) NumParams() int {
	d, f, hd := c.HiddenSize, c.IntermediateSize, c.HeadDim()
	qw, kw := c.NumAttentionHeads*hd, c.NumKeyValueHeads*hd
	layer := 2*d + d*qw + 2*d*kw + qw*d + 3*d*f
	if c.AttentionBias {
		layer += qw + 2*kw
	}
	if c.OProjBias {
		layer += d
	}
	if c.QKNorm {
		layer += 2 * hd
	}
	n := c.VocabSize*d + c.NumHiddenLayers*layer + d
	if !c.TieWordEmbeddings {
		n += c.VocabSize * d
	}
	if c.ValueHead {
		n += d + 1
	}
	return n
}

// LoadConfig reads a config.json (Hugging Face files carry many extra keys;
// those are ignored), fills num_key_value_heads when absent and validates
// the shape, naming the file in errors.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c := Config{RopeTheta: 10000, RMSNormEps: 1e-6, MaxPositionEmbeddings: 2048}
	if err := json.Unmarshal(data, &c); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if c.NumKeyValueHeads == 0 {
		c.NumKeyValueHeads = c.NumAttentionHeads
	}
	if err := c.applyModelType(data); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// applyModelType gives a Hugging Face config.json's model_type the meaning
// transformers gives it (package hf does the full, strict mapping; this
// keeps LoadConfig from misreading such files): qwen2 always has q/k/v
// biases, llama and qwen3 put attention_bias on o_proj too, qwen3 has q/k
// norms and head_dim 128 unless given. Files without model_type (those
// SaveModel writes) are unchanged.
func (c *Config) applyModelType(data []byte) error {
	var mt struct {
		ModelType string `json:"model_type"`
		HeadDim   *int   `json:"head_dim"`
	}
	if err := json.Unmarshal(data, &mt); err != nil {
		return err
	}
	switch mt.ModelType {
	case "":
		return nil
	case "llama":
		c.OProjBias = c.AttentionBias
	case "qwen2":
		c.AttentionBias = true
	case "qwen3":
		c.QKNorm, c.OProjBias = true, c.AttentionBias
		if mt.HeadDim == nil {
			c.HeadDimension = 128
		}
	default:
		return fmt.Errorf("model_type %q is not supported (supported: llama, qwen2, qwen3)", mt.ModelType)
	}
	if c.NumAttentionHeads > 0 && c.HeadDimension*c.NumAttentionHeads == c.HiddenSize {
		c.HeadDimension = 0 // the implicit head_dim: the same Config as without the field
	}
	return nil
}
