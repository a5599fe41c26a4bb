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
}

// Tiny returns a small default shape for procedural tasks.
func Tiny(vocab int) Config {
	return Config{VocabSize: vocab, HiddenSize: 128, IntermediateSize: 344, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 4, RopeTheta: 10000, RMSNormEps: 1e-5,
		TieWordEmbeddings: true, MaxPositionEmbeddings: 256}
}

// HeadDim is hidden_size / num_attention_heads.
func (c Config) HeadDim() int { return c.HiddenSize / c.NumAttentionHeads }

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
	if c.HiddenSize%c.NumAttentionHeads != 0 {
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
	return nil
}

// NumParams counts the parameters of the shape (tied weights once).
func (c Config) NumParams() int {
	d, f, hd := c.HiddenSize, c.IntermediateSize, c.HeadDim()
	qw, kw := c.NumAttentionHeads*hd, c.NumKeyValueHeads*hd
	layer := 2*d + d*qw + 2*d*kw + qw*d + 3*d*f
	if c.AttentionBias {
		layer += qw + 2*kw
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
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
