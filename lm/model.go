package lm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/nn"
)

// Block holds the parameters of one transformer layer.
type Block struct {
	AttnNorm       *nn.Param // input_layernorm.weight [d]
	Q, K, V, O     *nn.Param // q_proj [H*hd, d], k_proj/v_proj [KVH*hd, d], o_proj [d, H*hd]
	QBias, KBias   *nn.Param // present when Config.AttentionBias
	VBias          *nn.Param
	OBias          *nn.Param // present when Config.OProjBias
	QNorm, KNorm   *nn.Param // q_norm/k_norm [head_dim], present when Config.QKNorm
	MLPNorm        *nn.Param // post_attention_layernorm.weight [d]
	Gate, Up, Down *nn.Param // gate_proj/up_proj [f, d], down_proj [d, f]
}

// Model is a decoder-only transformer with its parameters and the buffers
// its forward and backward passes reuse from call to call.
type Model struct {
	Cfg    Config
	Embed  *nn.Param // model.embed_tokens.weight [V, d]
	Layers []*Block
	Norm   *nn.Param // model.norm.weight [d]
	Head   *nn.Param // lm_head.weight [V, d]; the same Param as Embed when tied
	// ValueW and ValueB form the value head (nil unless Cfg.ValueHead).
	ValueW, ValueB *nn.Param

	rope   *nn.Rope
	attn   nn.Attention
	act    *activations // sized for the largest batch seen
	grad   *gradients
	par    parallel
	scores Scores
	params []*nn.Param
	dec    *decoder // Generate's buffers and KV cache, reused across calls
	steer  *Steering
	iv     *Intervention
	ivRows []int // the sequence of each prefill row (set by Engine.prefill)
	ivSeq  []int // scratch: the sequence of each forward row
}

// New builds a model with the given shape and small random weights: normal
// with std 0.02, output projections scaled by 1/sqrt(2 * layers) (GPT-2),
// norms at 1.
func New(cfg Config, seed uint64) (*Model, error) {
	m, err := alloc(cfg)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 0x6c6d))
	const std = 0.02
	proj := std / math.Sqrt(2*float64(cfg.NumHiddenLayers))
	for _, p := range m.Params() {
		switch {
		case isBias(p.Name):
			// zero
		case len(p.Shape) == 1:
			p.Fill(1) // norm gains
		case endsWith(p.Name, "o_proj.weight"), endsWith(p.Name, "down_proj.weight"):
			p.InitNormal(r, proj)
		default:
			p.InitNormal(r, std)
		}
	}
	return m, nil
}

// NewZero builds a model of the given shape with every weight zero (for
// loaders that fill the weights themselves; cheaper than New).
func NewZero(cfg Config) (*Model, error) { return alloc(cfg) }

// alloc builds a model of the given shape with zero weights.
func alloc(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Cfg: cfg}
	d, f, hd := cfg.HiddenSize, cfg.IntermediateSize, cfg.HeadDim()
	qw, kw := cfg.NumAttentionHeads*hd, cfg.NumKeyValueHeads*hd
	m.Embed = nn.NewParam("model.embed_tokens.weight", cfg.VocabSize, d)
	for l := 0; l < cfg.NumHiddenLayers; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		b := &Block{
			AttnNorm: nn.NewParam(p+"input_layernorm.weight", d),
			Q:        nn.NewParam(p+"self_attn.q_proj.weight", qw, d),
			K:        nn.NewParam(p+"self_attn.k_proj.weight", kw, d),
			V:        nn.NewParam(p+"self_attn.v_proj.weight", kw, d),
			O:        nn.NewParam(p+"self_attn.o_proj.weight", d, qw),
			MLPNorm:  nn.NewParam(p+"post_attention_layernorm.weight", d),
			Gate:     nn.NewParam(p+"mlp.gate_proj.weight", f, d),
			Up:       nn.NewParam(p+"mlp.up_proj.weight", f, d),
			Down:     nn.NewParam(p+"mlp.down_proj.weight", d, f),
		}
		if cfg.AttentionBias {
			b.QBias = nn.NewParam(p+"self_attn.q_proj.bias", qw)
			b.KBias = nn.NewParam(p+"self_attn.k_proj.bias", kw)
			b.VBias = nn.NewParam(p+"self_attn.v_proj.bias", kw)
		}
		if cfg.OProjBias {
			b.OBias = nn.NewParam(p+"self_attn.o_proj.bias", d)
		}
		if cfg.QKNorm {
			b.QNorm = nn.NewParam(p+"self_attn.q_norm.weight", hd)
			b.KNorm = nn.NewParam(p+"self_attn.k_norm.weight", hd)
		}
		m.Layers = append(m.Layers, b)
	}
	m.Norm = nn.NewParam("model.norm.weight", d)
	if cfg.TieWordEmbeddings {
		m.Head = m.Embed
	} else {
		m.Head = nn.NewParam("lm_head.weight", cfg.VocabSize, d)
	}
	if cfg.ValueHead {
		m.ValueW = nn.NewParam("value_head.weight", 1, d)
		m.ValueB = nn.NewParam("value_head.bias", 1)
	}
	m.init()
	return m, nil
}

func isBias(name string) bool { return endsWith(name, ".bias") }

func endsWith(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

// init sets up the parts derived from the config.
func (m *Model) init() {
	cfg := m.Cfg
	switch rs := cfg.RopeScaling; rs.Type {
	case "linear":
		m.rope = nn.NewRopeFreqs(cfg.HeadDim(), cfg.MaxPositionEmbeddings,
			nn.LinearScaledInvFreqs(nn.RopeInvFreqs(cfg.HeadDim(), cfg.RopeTheta), rs.Factor))
	case "llama3":
		m.rope = nn.NewRopeFreqs(cfg.HeadDim(), cfg.MaxPositionEmbeddings,
			nn.Llama3ScaledInvFreqs(nn.RopeInvFreqs(cfg.HeadDim(), cfg.RopeTheta), rs.Factor, rs.LowFreqFactor, rs.HighFreqFactor, rs.OriginalMaxPositionEmbeddings))
	default:
		m.rope = nn.NewRope(cfg.HeadDim(), cfg.MaxPositionEmbeddings, cfg.RopeTheta)
	}
	m.attn = nn.Attention{Heads: cfg.NumAttentionHeads, KVHeads: cfg.NumKeyValueHeads, HeadDim: cfg.HeadDim()}
	m.par.m = m
}

// Params lists every parameter once, in a fixed order (embedding, layers,
// final norm, untied head, value head). The slice is shared; do not modify it.
func (m *Model) Params() []*nn.Param {
	if m.params == nil {
		m.params = m.listParams()
	}
	return m.params
}

func (m *Model) listParams() []*nn.Param {
	ps := []*nn.Param{m.Embed}
	for _, b := range m.Layers {
		ps = append(ps, b.AttnNorm, b.Q)
		if b.QBias != nil {
			ps = append(ps, b.QBias)
		}
		ps = append(ps, b.K)
		if b.KBias != nil {
			ps = append(ps, b.KBias)
		}
		ps = append(ps, b.V)
		if b.VBias != nil {
			ps = append(ps, b.VBias)
		}
		ps = append(ps, b.O)
		for _, p := range []*nn.Param{b.OBias, b.QNorm, b.KNorm} {
			if p != nil {
				ps = append(ps, p)
			}
		}
		ps = append(ps, b.MLPNorm, b.Gate, b.Up, b.Down)
	}
	ps = append(ps, m.Norm)
	if m.Head != m.Embed {
		ps = append(ps, m.Head)
	}
	if m.ValueW != nil {
		ps = append(ps, m.ValueW, m.ValueB)
	}
	return ps
}

// ZeroGrad clears every parameter gradient.
func (m *Model) ZeroGrad() {
	for _, p := range m.Params() {
		p.ZeroGrad()
	}
}

// Clone returns a deep copy of the weights (no gradients kept, no buffers):
// a frozen reference policy for KL terms. It costs one copy of the weights.
func (m *Model) Clone() *Model {
	c, _ := alloc(m.Cfg) // the config was validated when m was built
	src, dst := m.Params(), c.Params()
	for i := range src {
		copy(dst[i].W, src[i].W)
	}
	return c
}

// CopyWeightsFrom overwrites m's weights with src's (same config).
func (m *Model) CopyWeightsFrom(src *Model) error {
	if m.Cfg != src.Cfg {
		return fmt.Errorf("lm: copying weights between different shapes")
	}
	a, b := m.Params(), src.Params()
	for i := range a {
		copy(a[i].W, b[i].W)
	}
	return nil
}

// layerActs are the activations of one layer saved for backward.
type layerActs struct {
	in      []float32 // residual stream entering the layer [N, d]
	ln1     []float32 // [N, d]
	rstd1   []float32 // [N]
	q, k, v []float32 // after bias, q/k norm and rotary embedding
	// qpre, kpre are the projections before the q/k norms, qrstd, krstd
	// the norms' 1/rms per head (nil without Config.QKNorm).
	qpre, kpre, qrstd, krstd []float32
	probs                    []float32 // [B, H, T, T]
	att                      []float32 // attention output before o_proj [N, H*hd]
	mid                      []float32 // residual after attention [N, d]
	ln2                      []float32
	rstd2                    []float32
	gate                     []float32 // [N, f]
	up                       []float32
	h                        []float32 // silu(gate) * up
}

type activations struct {
	B, T   int
	tokens []int32
	start  []int32 // segment starts or nil
	pos    []int32 // position of each token within its sequence
	layers []layerActs
	out    []float32 // residual stream after the last layer [N, d]
	lnf    []float32 // final norm output [N, d]
	rstdf  []float32
	logits []float32 // [N, V], divided by the temperature
	lse    []float32 // log-sum-exp of each logits row [N]
	temp   float32
	// per-token outputs of Score, aligned with tokens
	logp, ent, values, mask []float32
}

type gradients struct {
	resid, ln    []float32 // [N, d]
	q, k, v, att []float32
	qpre, kpre   []float32 // nil without Config.QKNorm
	dprobs       []float32
	gate, up, h  []float32
	logits       []float32 // [N, V]
	valueIn      []float32 // [N, d] scratch for the value head
	ivGrad       []float32 // [N, d] d loss / d the intervened residual (Intervention)
}

// ensure sizes the buffers for a B×T batch, reusing them when they are
// large enough (so steady-state training allocates nothing).
func (m *Model) ensure(B, T int) {
	cfg := m.Cfg
	N := B * T
	pr := B * cfg.NumAttentionHeads * T * T
	if a := m.act; a != nil && len(a.tokens) >= N && len(a.layers[0].probs) >= pr {
		a.B, a.T = B, T
		return
	}
	d, f, V := cfg.HiddenSize, cfg.IntermediateSize, cfg.VocabSize
	qw, kw := cfg.NumAttentionHeads*cfg.HeadDim(), cfg.NumKeyValueHeads*cfg.HeadDim()
	a := &activations{B: B, T: T, tokens: make([]int32, N), pos: make([]int32, N), start: make([]int32, N)}
	for range m.Layers {
		la := layerActs{
			in: make([]float32, N*d), ln1: make([]float32, N*d), rstd1: make([]float32, N),
			q: make([]float32, N*qw), k: make([]float32, N*kw), v: make([]float32, N*kw),
			probs: make([]float32, pr), att: make([]float32, N*qw), mid: make([]float32, N*d),
			ln2: make([]float32, N*d), rstd2: make([]float32, N),
			gate: make([]float32, N*f), up: make([]float32, N*f), h: make([]float32, N*f),
		}
		if cfg.QKNorm {
			la.qpre, la.kpre = make([]float32, N*qw), make([]float32, N*kw)
			la.qrstd, la.krstd = make([]float32, N*cfg.NumAttentionHeads), make([]float32, N*cfg.NumKeyValueHeads)
		}
		a.layers = append(a.layers, la)
	}
	a.out, a.lnf, a.rstdf = make([]float32, N*d), make([]float32, N*d), make([]float32, N)
	a.logits, a.lse = make([]float32, N*V), make([]float32, N)
	a.logp, a.ent, a.values, a.mask = make([]float32, N), make([]float32, N), make([]float32, N), make([]float32, N)
	m.act = a
	m.grad = &gradients{
		resid: make([]float32, N*d), ln: make([]float32, N*d),
		q: make([]float32, N*qw), k: make([]float32, N*kw), v: make([]float32, N*kw), att: make([]float32, N*qw),
		dprobs: make([]float32, pr), gate: make([]float32, N*f), up: make([]float32, N*f), h: make([]float32, N*f),
		logits: make([]float32, N*V), valueIn: make([]float32, N*d), ivGrad: make([]float32, N*d),
	}
	if cfg.QKNorm {
		m.grad.qpre, m.grad.kpre = make([]float32, N*qw), make([]float32, N*kw)
	}
}
