package lm

import (
	"fmt"
	"math"

	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/tensor"
)

// Batch is B rows of T token ids, right-padded. Each row holds one sequence
// unless Start is set, in which case Start[b*T+i] is the index within row b
// where token i's sequence begins (packing several sequences into a row).
type Batch struct {
	Rows, Len int
	Tokens    []int32 // [Rows*Len]
	Start     []int32 // optional [Rows*Len]
	// Mask selects the tokens to score (1) and ignores the rest (0); nil
	// scores every token but the first of each sequence. It is the loss mask:
	// 1 on tokens the policy generated, 0 on prompt and padding.
	Mask []float32
	// Temperature divides the logits before the softmax (0 means 1); use the
	// sampling temperature so that recomputed log-probs match recorded ones.
	Temperature float32
}

// Scores are per-token outputs aligned with Batch.Tokens: entry i describes
// token i as predicted from the tokens before it in its sequence. Entries
// where the mask is 0 (and the first token of each sequence) are 0. The
// slices belong to the model and are valid until the next Score.
type Scores struct {
	LogProbs  []float32 // log pi(token_i | prefix)
	Entropies []float32 // entropy of the distribution that token i was drawn from
	Values    []float32 // value head on the prefix (nil without a value head)
}

func (b *Batch) validate(cfg Config) error {
	if b.Rows <= 0 || b.Len <= 0 {
		return fmt.Errorf("lm batch: rows %d and length %d must be positive", b.Rows, b.Len)
	}
	if b.Len > cfg.MaxPositionEmbeddings {
		return fmt.Errorf("lm batch: length %d exceeds max_position_embeddings %d", b.Len, cfg.MaxPositionEmbeddings)
	}
	N := b.Rows * b.Len
	if len(b.Tokens) != N {
		return fmt.Errorf("lm batch: %d tokens for %d rows of %d", len(b.Tokens), b.Rows, b.Len)
	}
	if b.Start != nil && len(b.Start) != N {
		return fmt.Errorf("lm batch: %d segment starts for %d tokens", len(b.Start), N)
	}
	if b.Mask != nil && len(b.Mask) != N {
		return fmt.Errorf("lm batch: %d mask entries for %d tokens", len(b.Mask), N)
	}
	for i, tok := range b.Tokens {
		if tok < 0 || int(tok) >= cfg.VocabSize {
			return fmt.Errorf("lm batch: token %d at row %d position %d is outside the vocabulary [0, %d)", tok, i/b.Len, i%b.Len, cfg.VocabSize)
		}
		if b.Start != nil {
			if s := int(b.Start[i]); s < 0 || s > i%b.Len || (i%b.Len > 0 && s != i%b.Len && s < int(b.Start[i-1])) {
				return fmt.Errorf("lm batch: segment start %d at row %d position %d is not a valid earlier position", s, i/b.Len, i%b.Len)
			}
		}
	}
	if b.Temperature < 0 || math.IsNaN(float64(b.Temperature)) {
		return fmt.Errorf("lm batch: temperature %v must be >= 0", b.Temperature)
	}
	return nil
}

// Score runs the model over a batch and returns per-token log-probabilities
// of the given tokens, entropies and values. It keeps the activations that
// Backward needs.
func (m *Model) Score(b *Batch) (*Scores, error) {
	if err := b.validate(m.Cfg); err != nil {
		return nil, err
	}
	m.forward(b.Tokens, b.Start, b.Rows, b.Len, b.Temperature)
	a := m.act
	N := b.Rows * b.Len
	for i := 0; i < N; i++ {
		w := float32(1)
		if b.Mask != nil {
			w = b.Mask[i]
		}
		if m.isFirst(i) {
			w = 0
		}
		a.mask[i] = w
	}
	m.par.run(opTokenStats, N)
	s := &m.scores
	s.LogProbs, s.Entropies, s.Values = a.logp[:N], a.ent[:N], nil
	if m.ValueW != nil {
		m.valueForward(N)
		s.Values = a.values[:N]
	}
	clear(m.grad.logits[:N*m.Cfg.VocabSize])
	return s, nil
}

// isFirst reports whether token i starts its sequence (nothing predicts it).
func (m *Model) isFirst(i int) bool { return m.act.pos[i] == 0 }

// Logits returns the (temperature-scaled) logits from which token i of the
// last Score was predicted, or nil for the first token of a sequence.
func (m *Model) Logits(i int) []float32 {
	if m.isFirst(i) {
		return nil
	}
	V := m.Cfg.VocabSize
	return m.act.logits[(i-1)*V : i*V]
}

// LogitGrad returns the gradient buffer of Logits(i), zeroed by Score: a
// loss that depends on the whole distribution (e.g. a KL to a proxy)
// accumulates d loss / d logits here before Backward.
func (m *Model) LogitGrad(i int) []float32 {
	if m.isFirst(i) {
		return nil
	}
	V := m.Cfg.VocabSize
	return m.grad.logits[(i-1)*V : i*V]
}

// forward runs embedding, layers, final norm and head over B×T tokens.
func (m *Model) forward(tokens, start []int32, B, T int, temp float32) {
	m.ensure(B, T)
	cfg, a := m.Cfg, m.act
	N := B * T
	d, f, V := cfg.HiddenSize, cfg.IntermediateSize, cfg.VocabSize
	H, KVH, hd := cfg.NumAttentionHeads, cfg.NumKeyValueHeads, cfg.HeadDim()
	qw, kw := H*hd, KVH*hd
	if temp == 0 {
		temp = 1
	}
	a.temp = temp
	copy(a.tokens, tokens)
	a.start = a.start[:cap(a.start)]
	if start == nil {
		clear(a.start[:N])
	} else {
		copy(a.start, start)
	}
	a.start = a.start[:N]
	for i := 0; i < N; i++ {
		a.pos[i] = int32(i%T) - a.start[i]
	}
	_ = nn.EmbeddingForward(a.layers[0].in[:N*d], m.Embed.W, tokens, V, d) // validated by the caller
	eps := float32(cfg.RMSNormEps)
	for l, blk := range m.Layers {
		la := &a.layers[l]
		nn.RMSNormForward(la.ln1, la.rstd1, la.in, blk.AttnNorm.W, N, d, eps)
		qo, ko := la.q, la.k
		if blk.QNorm != nil {
			qo, ko = la.qpre, la.kpre
		}
		nn.LinearForward(qo[:N*qw], la.ln1[:N*d], blk.Q.W, biasOf(blk.QBias), N, d, qw)
		nn.LinearForward(ko[:N*kw], la.ln1[:N*d], blk.K.W, biasOf(blk.KBias), N, d, kw)
		nn.LinearForward(la.v[:N*kw], la.ln1[:N*d], blk.V.W, biasOf(blk.VBias), N, d, kw)
		if blk.QNorm != nil {
			nn.RMSNormForward(la.q, la.qrstd, la.qpre, blk.QNorm.W, N*H, hd, eps)
			nn.RMSNormForward(la.k, la.krstd, la.kpre, blk.KNorm.W, N*KVH, hd, eps)
		}
		m.par.l = l
		m.par.run(opRope, N)
		var st []int32
		if start != nil {
			st = a.start
		}
		m.attn.Forward(la.att, la.probs, la.q, la.k, la.v, st, B, T)
		// mid = in + att O^T
		copy(la.mid[:N*d], la.in[:N*d])
		tensor.GemmRows(true, N, d, qw, 1, la.att, qw, blk.O.W, qw, 1, la.mid, d)
		if blk.OBias != nil {
			addBias(la.mid[:N*d], blk.OBias.W, N, d)
		}
		nn.RMSNormForward(la.ln2, la.rstd2, la.mid, blk.MLPNorm.W, N, d, eps)
		nn.LinearForward(la.gate[:N*f], la.ln2[:N*d], blk.Gate.W, nil, N, d, f)
		nn.LinearForward(la.up[:N*f], la.ln2[:N*d], blk.Up.W, nil, N, d, f)
		m.par.run(opSwiGLU, N)
		next := a.out
		if l+1 < len(m.Layers) {
			next = a.layers[l+1].in
		}
		// next = mid + h Down^T
		copy(next[:N*d], la.mid[:N*d])
		tensor.GemmRows(true, N, d, f, 1, la.h, f, blk.Down.W, f, 1, next, d)
		if m.steer != nil && m.steer.Prompt {
			m.steerRows(next, N, l)
		}
		if m.iv != nil && m.iv.Layer == l {
			m.intervene(next, N, l, m.forwardRows(B, T), a.pos)
		}
	}
	nn.RMSNormForward(a.lnf, a.rstdf, a.out, m.Norm.W, N, d, eps)
	tensor.GemmRows(true, N, V, d, 1/temp, a.lnf, d, m.Head.W, d, 0, a.logits, V)
}

// addBias adds b [d] to each of the n rows of y.
func addBias(y, b []float32, n, d int) {
	for i := 0; i < n; i++ {
		row := y[i*d : (i+1)*d]
		for j, bj := range b[:d] {
			row[j] += bj
		}
	}
}

// sumRows accumulates db += sum over the n rows of dy [n, d].
func sumRows(db, dy []float32, n, d int) {
	for i := 0; i < n; i++ {
		for j, g := range dy[i*d : (i+1)*d] {
			db[j] += g
		}
	}
}

func biasOf(p *nn.Param) []float32 {
	if p == nil {
		return nil
	}
	return p.W
}

func gradOf(p *nn.Param) []float32 {
	if p == nil {
		return nil
	}
	return p.G
}

// valueForward computes values[i] = w . lnf[i-1] + b for scored tokens.
func (m *Model) valueForward(N int) {
	a, d := m.act, m.Cfg.HiddenSize
	for i := 0; i < N; i++ {
		a.values[i] = 0
		if a.mask[i] != 0 {
			a.values[i] = tensor.Dot(m.ValueW.W, a.lnf[(i-1)*d:i*d]) + m.ValueB.W[0]
		}
	}
}

// Backward propagates per-token loss gradients from the last Score into
// the parameter gradients (accumulating, so call ZeroGrad once per step):
//
//	dLogProb[i] = d loss / d LogProbs[i], dEntropy[i] = d loss / d Entropies[i],
//	dValue[i] = d loss / d Values[i]
//
// (any may be nil), plus whatever was accumulated through LogitGrad. With
// p = softmax(z) and z = logits / temperature:
//
//	d logp(y)/dz_v = 1[v=y] - p_v,   dH/dz_v = -p_v (log p_v + H).
func (m *Model) Backward(dLogProb, dEntropy, dValue []float32) error {
	a := m.act
	if a == nil {
		return fmt.Errorf("lm: Backward called before Score")
	}
	N := a.B * a.T
	for k, g := range [3][]float32{dLogProb, dEntropy, dValue} {
		name := [3]string{"d logprob", "d entropy", "d value"}[k]
		if g == nil {
			continue
		}
		if len(g) != N {
			return fmt.Errorf("lm backward: %s has %d entries for %d tokens", name, len(g), N)
		}
		if err := nn.CheckFinite(name, "loss gradient", g); err != nil {
			return fmt.Errorf("lm backward: %w", err)
		}
	}
	if dValue != nil && m.ValueW == nil {
		return fmt.Errorf("lm backward: d value given but the model has no value head")
	}
	m.par.dLogProb, m.par.dEntropy = dLogProb, dEntropy
	m.par.run(opLogitGrad, N)
	m.par.dLogProb, m.par.dEntropy = nil, nil
	if err := nn.CheckFinite("d logits", "lm head", m.grad.logits[:N*m.Cfg.VocabSize]); err != nil {
		return fmt.Errorf("lm backward: %w", err)
	}
	m.backwardFromLogits(dValue)
	return nil
}

func (m *Model) backwardFromLogits(dValue []float32) {
	cfg, a, g := m.Cfg, m.act, m.grad
	B, T := a.B, a.T
	N := B * T
	d, f, V := cfg.HiddenSize, cfg.IntermediateSize, cfg.VocabSize
	H, KVH, hd := cfg.NumAttentionHeads, cfg.NumKeyValueHeads, cfg.HeadDim()
	qw, kw := H*hd, KVH*hd

	// Head: logits = lnf Head^T / temp.
	dln := g.ln[:N*d]
	clear(dln)
	nn.LinearBackward(dln, m.Head.G, nil, g.logits[:N*V], a.lnf, m.Head.W, N, d, V)
	if dValue != nil {
		for i := 0; i < N; i++ {
			if dv := dValue[i]; dv != 0 && a.mask[i] != 0 {
				tensor.Axpy(dv, m.ValueW.W, dln[(i-1)*d:i*d])
				tensor.Axpy(dv, a.lnf[(i-1)*d:i*d], m.ValueW.G)
				m.ValueB.G[0] += dv
			}
		}
	}
	dres := g.resid[:N*d]
	clear(dres)
	nn.RMSNormBackward(dres, m.Norm.G, dln, a.out, m.Norm.W, a.rstdf, N, d)

	var st []int32
	for l := len(m.Layers) - 1; l >= 0; l-- {
		if m.iv != nil && m.iv.Layer == l {
			copy(g.ivGrad[:N*d], dres) // d loss / d the residual after block l
		}
		blk, la := m.Layers[l], &a.layers[l]
		if a.start != nil {
			st = a.start
		}
		// MLP: out = mid + h Down^T.
		dh := g.h[:N*f]
		clear(dh)
		nn.LinearBackward(dh, blk.Down.G, nil, dres, la.h, blk.Down.W, N, f, d)
		clear(g.gate[:N*f])
		clear(g.up[:N*f])
		m.par.l = l
		m.par.run(opSwiGLUBackward, N)
		clear(dln)
		nn.LinearBackward(dln, blk.Gate.G, nil, g.gate[:N*f], la.ln2, blk.Gate.W, N, d, f)
		nn.LinearBackward(dln, blk.Up.G, nil, g.up[:N*f], la.ln2, blk.Up.W, N, d, f)
		nn.RMSNormBackward(dres, blk.MLPNorm.G, dln, la.mid, blk.MLPNorm.W, la.rstd2, N, d)
		// Attention: mid = in + att O^T.
		datt := g.att[:N*qw]
		clear(datt)
		nn.LinearBackward(datt, blk.O.G, nil, dres, la.att, blk.O.W, N, qw, d)
		if blk.OBias != nil {
			sumRows(blk.OBias.G, dres, N, d)
		}
		clear(g.q[:N*qw])
		clear(g.k[:N*kw])
		clear(g.v[:N*kw])
		m.attn.Backward(g.q, g.k, g.v, g.dprobs, datt, la.probs, la.q, la.k, la.v, st, B, T)
		m.par.run(opRopeBackward, N)
		dq, dk := g.q, g.k
		if blk.QNorm != nil {
			dq, dk = g.qpre, g.kpre
			clear(dq[:N*qw])
			clear(dk[:N*kw])
			nn.RMSNormBackward(dq, blk.QNorm.G, g.q, la.qpre, blk.QNorm.W, la.qrstd, N*H, hd)
			nn.RMSNormBackward(dk, blk.KNorm.G, g.k, la.kpre, blk.KNorm.W, la.krstd, N*KVH, hd)
		}
		clear(dln)
		nn.LinearBackward(dln, blk.Q.G, gradOf(blk.QBias), dq[:N*qw], la.ln1, blk.Q.W, N, d, qw)
		nn.LinearBackward(dln, blk.K.G, gradOf(blk.KBias), dk[:N*kw], la.ln1, blk.K.W, N, d, kw)
		nn.LinearBackward(dln, blk.V.G, gradOf(blk.VBias), g.v[:N*kw], la.ln1, blk.V.W, N, d, kw)
		nn.RMSNormBackward(dres, blk.AttnNorm.G, dln, la.in, blk.AttnNorm.W, la.rstd1, N, d)
	}
	nn.EmbeddingBackward(m.Embed.G, dres, a.tokens[:N], d)
}
