package lm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/tensor"
)

// SampleOptions control Generate.
type SampleOptions struct {
	// Temperature divides the logits; 0 means greedy decoding (log-probs are
	// then reported at temperature 1).
	Temperature float32
	TopK        int     // keep the k most likely tokens (0: off)
	TopP        float32 // keep the smallest set with mass >= p (0 or 1: off)
	MinP        float32 // keep tokens with p >= MinP * p_max (0: off)
	MaxNew      int     // most tokens to generate per prompt
	Stop        []int32 // tokens that end a sequence (kept in the output)
}

// Validate reports the first unusable option.
func (o SampleOptions) Validate() error {
	switch {
	case o.Temperature < 0 || math.IsNaN(float64(o.Temperature)):
		return fmt.Errorf("sampling: temperature %v must be >= 0", o.Temperature)
	case o.TopK < 0:
		return fmt.Errorf("sampling: top_k %d must be >= 0", o.TopK)
	case o.TopP < 0 || o.TopP > 1:
		return fmt.Errorf("sampling: top_p %v must be in [0, 1]", o.TopP)
	case o.MinP < 0 || o.MinP > 1:
		return fmt.Errorf("sampling: min_p %v must be in [0, 1]", o.MinP)
	case o.MaxNew <= 0:
		return fmt.Errorf("sampling: max_new_tokens %d must be positive", o.MaxNew)
	}
	return nil
}

// Generation is the output of Generate, one entry per prompt.
type Generation struct {
	Tokens   [][]int32   // generated tokens (a final stop token included)
	LogProbs [][]float32 // log-prob of each generated token under softmax(logits/temperature), before truncation
	Stopped  []bool      // true if the sequence ended on a stop token, false if it hit MaxNew
}

// Generate samples continuations of the prompts in one batch with a KV
// cache: the prompts go through the training forward pass (prefill), then
// each step decodes one token for every unfinished sequence. Random draws
// come from rng in a fixed order, so a seed reproduces the output. It
// overwrites the activations of the last Score.
func (m *Model) Generate(prompts [][]int32, opt SampleOptions, rng *rand.Rand) (*Generation, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	cfg := m.Cfg
	if len(prompts) == 0 {
		return &Generation{}, nil
	}
	B, Tp := len(prompts), 0
	for i, p := range prompts {
		if len(p) == 0 {
			return nil, fmt.Errorf("generate: prompt %d is empty", i)
		}
		for j, tok := range p {
			if tok < 0 || int(tok) >= cfg.VocabSize {
				return nil, fmt.Errorf("generate: prompt %d position %d: token %d is outside the vocabulary [0, %d)", i, j, tok, cfg.VocabSize)
			}
		}
		if len(p)+opt.MaxNew > cfg.MaxPositionEmbeddings {
			return nil, fmt.Errorf("generate: prompt %d has %d tokens; with %d new tokens it exceeds max_position_embeddings %d", i, len(p), opt.MaxNew, cfg.MaxPositionEmbeddings)
		}
		Tp = max(Tp, len(p))
	}
	e, err := m.NewEngine(B, Tp+opt.MaxNew, opt, rng)
	if err != nil {
		return nil, err
	}
	defer e.Release()
	jobs := make([]Job, B)
	for b, p := range prompts {
		jobs[b] = Job{Context: p, MaxNew: opt.MaxNew, Stop: opt.Stop, Tag: b}
		if err := e.Submit(&jobs[b]); err != nil {
			return nil, fmt.Errorf("generate: prompt %d: %w", b, err)
		}
	}
	for e.Busy() {
		e.Step()
	}
	out := &Generation{Tokens: make([][]int32, B), LogProbs: make([][]float32, B), Stopped: make([]bool, B)}
	for b := range jobs {
		out.Tokens[b], out.LogProbs[b], out.Stopped[b] = jobs[b].Tokens, jobs[b].LogProbs, jobs[b].Stopped
	}
	return out, nil
}

// decoder holds the KV cache and the one-token-per-row buffers of Generate.
type decoder struct {
	m       *Model
	B, S    int         // sequences, cache length
	kc, vc  [][]float32 // per layer [B, KVH, S, hd]
	x, ln   []float32   // [B, d]
	rstd    []float32
	q, k, v []float32
	qkrstd  []float32 // [R*(H+KVH)] q/k norm scratch (Config.QKNorm)
	att     []float32
	mid     []float32
	gate    []float32
	up, h   []float32
	logits  []float32 // [B, V]
	scores  []float32 // [B, S] attention scratch
	probs   []float32 // [V] sampling scratch
	order   []int     // [V]

	// per-step state of the parallel attention
	layer int
	seqs  []int
	posv  []int32
	// phase splits Range when one sequence has several rows in a step
	// (context tokens fed together): 0 does everything row by row, 1 only
	// writes rotated keys and values to the cache, 2 only attends.
	phase int
	multi bool // some sequence has several rows in this step
}

// rowsPerSlot is how many decoder rows a step may use per cache slot: one
// to sample, the rest to feed context tokens (see Engine.Step).
const rowsPerSlot = 2

func newDecoder(m *Model, B, S int) *decoder {
	c := m.Cfg
	d, f, V := c.HiddenSize, c.IntermediateSize, c.VocabSize
	qw, kw := c.NumAttentionHeads*c.HeadDim(), c.NumKeyValueHeads*c.HeadDim()
	R := rowsPerSlot * B
	dec := &decoder{m: m, B: B, S: S,
		x: make([]float32, R*d), ln: make([]float32, R*d), rstd: make([]float32, R),
		q: make([]float32, R*qw), k: make([]float32, R*kw), v: make([]float32, R*kw),
		att: make([]float32, R*qw), mid: make([]float32, R*d),
		gate: make([]float32, R*f), up: make([]float32, R*f), h: make([]float32, R*f),
		logits: make([]float32, R*V), scores: make([]float32, R*S), probs: make([]float32, V), order: make([]int, V),
		qkrstd: make([]float32, R*(c.NumAttentionHeads+c.NumKeyValueHeads))}
	for range m.Layers {
		dec.kc = append(dec.kc, make([]float32, B*kw*S))
		dec.vc = append(dec.vc, make([]float32, B*kw*S))
	}
	return dec
}

// cacheAt returns the cache row of kv head g of sequence b at position p.
func (dec *decoder) cacheAt(cache []float32, b, g, p int) []float32 {
	c := dec.m.Cfg
	hd := c.HeadDim()
	off := ((b*c.NumKeyValueHeads+g)*dec.S + p) * hd
	return cache[off : off+hd]
}

// fillCache copies the prefill's rotated keys and values into the cache:
// prefill row i (padded to Tp tokens) holds the context ctx[i] of slot
// slots[i].
func (dec *decoder) fillCache(slots []int, ctx [][]int32, Tp int) {
	c := dec.m.Cfg
	hd, KVH := c.HeadDim(), c.NumKeyValueHeads
	kw := KVH * hd
	for l := range dec.m.Layers {
		la := &dec.m.act.layers[l]
		for i, b := range slots {
			for t := range ctx[i] {
				row := (i*Tp + t) * kw
				for g := 0; g < KVH; g++ {
					copy(dec.cacheAt(dec.kc[l], b, g, t), la.k[row+g*hd:row+(g+1)*hd])
					copy(dec.cacheAt(dec.vc[l], b, g, t), la.v[row+g*hd:row+(g+1)*hd])
				}
			}
		}
	}
}

// step runs one token per row through the model: rows[i] is sequence
// seqs[i] receiving token toks[i] at position pos[i]. It leaves the next
// logits (divided by temp) in dec.logits rows 0..len(seqs)-1.
func (dec *decoder) step(seqs []int, toks []int32, pos []int32, temp float32) {
	m, c := dec.m, dec.m.Cfg
	M := len(seqs)
	d, f, V := c.HiddenSize, c.IntermediateSize, c.VocabSize
	H, KVH, hd := c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim()
	qw, kw := H*hd, KVH*hd
	eps := float32(c.RMSNormEps)
	_ = nn.EmbeddingForward(dec.x[:M*d], m.Embed.W, toks, V, d)
	dec.seqs, dec.posv = seqs, pos
	for l, blk := range m.Layers {
		nn.RMSNormForward(dec.ln, dec.rstd, dec.x, blk.AttnNorm.W, M, d, eps)
		nn.LinearForward(dec.q[:M*qw], dec.ln[:M*d], blk.Q.W, biasOf(blk.QBias), M, d, qw)
		nn.LinearForward(dec.k[:M*kw], dec.ln[:M*d], blk.K.W, biasOf(blk.KBias), M, d, kw)
		nn.LinearForward(dec.v[:M*kw], dec.ln[:M*d], blk.V.W, biasOf(blk.VBias), M, d, kw)
		if blk.QNorm != nil { // in place: the same per-row arithmetic as Score's
			nn.RMSNormForward(dec.q, dec.qkrstd, dec.q, blk.QNorm.W, M*H, hd, eps)
			nn.RMSNormForward(dec.k, dec.qkrstd, dec.k, blk.KNorm.W, M*KVH, hd, eps)
		}
		dec.layer = l
		if dec.multi {
			dec.phase = 1
			tensor.For(M, 1, dec)
			dec.phase = 2
			tensor.For(M, 1, dec)
			dec.phase = 0
		} else {
			tensor.For(M, 1, dec)
		}
		copy(dec.mid[:M*d], dec.x[:M*d])
		tensor.GemmRows(true, M, d, qw, 1, dec.att, qw, blk.O.W, qw, 1, dec.mid, d)
		if blk.OBias != nil {
			addBias(dec.mid[:M*d], blk.OBias.W, M, d)
		}
		nn.RMSNormForward(dec.ln, dec.rstd, dec.mid, blk.MLPNorm.W, M, d, eps)
		nn.LinearForward(dec.gate[:M*f], dec.ln[:M*d], blk.Gate.W, nil, M, d, f)
		nn.LinearForward(dec.up[:M*f], dec.ln[:M*d], blk.Up.W, nil, M, d, f)
		nn.SwiGLUForward(dec.h[:M*f], dec.gate[:M*f], dec.up[:M*f])
		copy(dec.x[:M*d], dec.mid[:M*d])
		tensor.GemmRows(true, M, d, f, 1, dec.h, f, blk.Down.W, f, 1, dec.x, d)
		m.steerRows(dec.x, M, l) // a no-op unless layer l is steered
		m.intervene(dec.x, M, l, seqs, pos)
	}
	nn.RMSNormForward(dec.ln, dec.rstd, dec.x, m.Norm.W, M, d, eps)
	tensor.GemmRows(true, M, V, d, 1/temp, dec.ln, d, m.Head.W, d, 0, dec.logits, V)
}

// Range applies rotary embeddings, appends to the cache and attends, for
// decoder rows [lo, hi) of the current layer.
func (dec *decoder) Range(lo, hi int) {
	m, c := dec.m, dec.m.Cfg
	H, KVH, hd := c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim()
	qw, kw := H*hd, KVH*hd
	kc, vc := dec.kc[dec.layer], dec.vc[dec.layer]
	for r := lo; r < hi; r++ {
		b, p := dec.seqs[r], int(dec.posv[r])
		q, k, v := dec.q[r*qw:(r+1)*qw], dec.k[r*kw:(r+1)*kw], dec.v[r*kw:(r+1)*kw]
		if dec.phase != 2 {
			m.rope.Apply(q, H, p)
			m.rope.Apply(k, KVH, p)
			for g := 0; g < KVH; g++ {
				copy(dec.cacheAt(kc, b, g, p), k[g*hd:(g+1)*hd])
				copy(dec.cacheAt(vc, b, g, p), v[g*hd:(g+1)*hd])
			}
		}
		if dec.phase != 1 {
			base := b * KVH * dec.S * hd
			m.attn.AttendOne(dec.att[r*qw:(r+1)*qw], q, kc[base:], vc[base:], dec.S*hd, p+1, dec.scores[r*dec.S:(r+1)*dec.S])
		}
	}
}

// sample draws a token from logits z (already divided by the temperature)
// and returns it with its log-probability under softmax(z).
func (dec *decoder) sample(z []float32, opt SampleOptions, rng *rand.Rand) (int32, float32) {
	lse := logSumExp(z)
	if opt.Temperature == 0 {
		best := 0
		for v := range z {
			if z[v] > z[best] {
				best = v
			}
		}
		return int32(best), z[best] - lse
	}
	p := dec.probs
	pmax := float32(0)
	for v, zv := range z {
		p[v] = tensor.Exp(zv - lse)
		pmax = max(pmax, p[v])
	}
	// Candidates in order of decreasing probability when truncating by rank
	// or mass; in vocabulary order otherwise.
	cand := dec.order[:len(z)]
	for v := range cand {
		cand[v] = v
	}
	if opt.TopK > 0 || (opt.TopP > 0 && opt.TopP < 1) {
		sort.SliceStable(cand, func(i, j int) bool { return p[cand[i]] > p[cand[j]] })
		if opt.TopK > 0 && opt.TopK < len(cand) {
			cand = cand[:opt.TopK]
		}
		if opt.TopP > 0 && opt.TopP < 1 {
			var mass float32
			for i, v := range cand {
				mass += p[v]
				if mass >= opt.TopP {
					cand = cand[:i+1]
					break
				}
			}
		}
	}
	var total float32
	n := 0
	for _, v := range cand {
		if opt.MinP > 0 && p[v] < opt.MinP*pmax {
			continue
		}
		cand[n] = v
		n++
		total += p[v]
	}
	cand = cand[:n]
	u := rng.Float32() * total
	tok := cand[len(cand)-1]
	for _, v := range cand {
		u -= p[v]
		if u < 0 {
			tok = v
			break
		}
	}
	return int32(tok), z[tok] - lse
}
