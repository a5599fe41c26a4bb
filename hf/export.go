package hf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/lm"
)

// ExportOptions adjust Export.
type ExportOptions struct {
	// DType of the weights: "F32" (default) or "BF16" (rounded to nearest
	// even).
	DType string
	// ModelType is llama, qwen2 or qwen3; "" picks the one the shape needs:
	// qwen3 with q/k norms, qwen2 with q/k/v biases and no o_proj bias,
	// llama otherwise.
	ModelType string
	// BOSTokenID and EOSTokenID, when set, are written to config.json.
	BOSTokenID, EOSTokenID []int
}

// InferModelType returns the Hugging Face model_type that represents cfg.
func InferModelType(cfg lm.Config) (string, error) {
	switch {
	case cfg.QKNorm:
		if cfg.AttentionBias != cfg.OProjBias {
			return "", fmt.Errorf("export: q/k norms with q/k/v bias %v but o_proj bias %v has no Hugging Face architecture (qwen3's attention_bias sets both)", cfg.AttentionBias, cfg.OProjBias)
		}
		return "qwen3", nil
	case cfg.AttentionBias && !cfg.OProjBias:
		return "qwen2", nil
	case cfg.AttentionBias == cfg.OProjBias:
		return "llama", nil
	}
	return "", fmt.Errorf("export: an o_proj bias without q/k/v biases has no Hugging Face architecture")
}

func checkModelType(t string, cfg lm.Config) error {
	ok := false
	switch t {
	case "llama":
		ok = !cfg.QKNorm && cfg.AttentionBias == cfg.OProjBias
	case "qwen2":
		ok = !cfg.QKNorm && cfg.AttentionBias && !cfg.OProjBias
	case "qwen3":
		ok = cfg.QKNorm && cfg.AttentionBias == cfg.OProjBias
	default:
		return fmt.Errorf("export: model_type %q is not supported (supported: llama, qwen2, qwen3)", t)
	}
	if !ok {
		want, err := InferModelType(cfg)
		if err != nil {
			return err
		}
		return fmt.Errorf("export: model_type %s cannot represent this shape (q/k norm %v, q/k/v bias %v, o_proj bias %v); it needs %s", t, cfg.QKNorm, cfg.AttentionBias, cfg.OProjBias, want)
	}
	return nil
}

// hfConfigJSON is the config.json Export writes, in a fixed key order.
type hfConfigJSON struct {
	Architectures         []string        `json:"architectures"`
	ModelType             string          `json:"model_type"`
	VocabSize             int             `json:"vocab_size"`
	HiddenSize            int             `json:"hidden_size"`
	IntermediateSize      int             `json:"intermediate_size"`
	NumHiddenLayers       int             `json:"num_hidden_layers"`
	NumAttentionHeads     int             `json:"num_attention_heads"`
	NumKeyValueHeads      int             `json:"num_key_value_heads"`
	HeadDim               int             `json:"head_dim"`
	HiddenAct             string          `json:"hidden_act"`
	MaxPositionEmbeddings int             `json:"max_position_embeddings"`
	RMSNormEps            float64         `json:"rms_norm_eps"`
	RopeTheta             float64         `json:"rope_theta"`
	RopeScaling           *ropeScalingOut `json:"rope_scaling"`
	TieWordEmbeddings     bool            `json:"tie_word_embeddings"`
	AttentionBias         *bool           `json:"attention_bias,omitempty"`
	MLPBias               *bool           `json:"mlp_bias,omitempty"`
	UseSlidingWindow      *bool           `json:"use_sliding_window,omitempty"`
	AttentionDropout      float64         `json:"attention_dropout"`
	InitializerRange      float64         `json:"initializer_range"`
	UseCache              bool            `json:"use_cache"`
	TorchDType            string          `json:"torch_dtype"`
	BOSTokenID            any             `json:"bos_token_id,omitempty"`
	EOSTokenID            any             `json:"eos_token_id,omitempty"`
	ValueHead             bool            `json:"value_head,omitempty"` // autodidact's critic head (transformers ignores it)
}

type ropeScalingOut struct {
	RopeType                      string  `json:"rope_type"`
	Factor                        float64 `json:"factor"`
	LowFreqFactor                 float64 `json:"low_freq_factor,omitempty"`
	HighFreqFactor                float64 `json:"high_freq_factor,omitempty"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings,omitempty"`
}

func idsJSON(ids []int) any {
	switch len(ids) {
	case 0:
		return nil
	case 1:
		return ids[0]
	}
	return ids
}

// ExportConfig returns the config.json bytes Export writes for cfg.
func ExportConfig(cfg lm.Config, opt ExportOptions) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := opt.ModelType
	if t == "" {
		var err error
		if t, err = InferModelType(cfg); err != nil {
			return nil, err
		}
	} else if err := checkModelType(t, cfg); err != nil {
		return nil, err
	}
	dtype := map[string]string{"": "float32", "F32": "float32", "BF16": "bfloat16"}[opt.DType]
	if dtype == "" {
		return nil, fmt.Errorf("export: dtype %q is not supported (supported: F32, BF16)", opt.DType)
	}
	no := false
	j := hfConfigJSON{
		Architectures: []string{map[string]string{"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}[t]},
		ModelType:     t, VocabSize: cfg.VocabSize, HiddenSize: cfg.HiddenSize, IntermediateSize: cfg.IntermediateSize,
		NumHiddenLayers: cfg.NumHiddenLayers, NumAttentionHeads: cfg.NumAttentionHeads, NumKeyValueHeads: cfg.NumKeyValueHeads,
		HeadDim: cfg.HeadDim(), HiddenAct: "silu", MaxPositionEmbeddings: cfg.MaxPositionEmbeddings,
		RMSNormEps: cfg.RMSNormEps, RopeTheta: cfg.RopeTheta, TieWordEmbeddings: cfg.TieWordEmbeddings,
		InitializerRange: 0.02, UseCache: true, TorchDType: dtype,
		BOSTokenID: idsJSON(opt.BOSTokenID), EOSTokenID: idsJSON(opt.EOSTokenID), ValueHead: cfg.ValueHead,
	}
	switch t {
	case "llama":
		j.AttentionBias, j.MLPBias = &cfg.AttentionBias, &no
	case "qwen2":
		j.UseSlidingWindow = &no
	case "qwen3":
		j.AttentionBias, j.UseSlidingWindow = &cfg.OProjBias, &no
	}
	if rs := cfg.RopeScaling; rs.Type != "" {
		j.RopeScaling = &ropeScalingOut{RopeType: rs.Type, Factor: rs.Factor, LowFreqFactor: rs.LowFreqFactor,
			HighFreqFactor: rs.HighFreqFactor, OriginalMaxPositionEmbeddings: rs.OriginalMaxPositionEmbeddings}
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Export writes m as a Hugging Face directory that transformers loads:
// config.json (model_type and architectures from opt or inferred) and
// model.safetensors in F32 or BF16 with the Hugging Face tensor names (a
// tied head is not duplicated; a value head is written as value_head.*,
// which transformers reports as unexpected and ignores). Files are
// written atomically; other files in dir are left alone.
func Export(dir string, m *lm.Model, opt ExportOptions) error {
	cfgJSON, err := ExportConfig(m.Cfg, opt)
	if err != nil {
		return err
	}
	dtype := opt.DType
	if dtype == "" {
		dtype = "F32"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var ts []outTensor
	for _, p := range m.Params() {
		ts = append(ts, outTensor{name: p.Name, shape: p.Shape, data: p.W})
	}
	if err := writeSafetensors(filepath.Join(dir, WeightsFile), ts, dtype, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	// A stale index would shadow the new single file.
	if err := os.Remove(filepath.Join(dir, IndexFile)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return checkpoint.WriteFileAtomic(filepath.Join(dir, ConfigFile), cfgJSON)
}
