package lm

import (
	"math"

	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/tensor"
)

// The row-wise kernels of the model (rotary embeddings, SwiGLU, the
// softmax statistics of the head) run on the worker pool through one
// reusable Ranger, so a training step allocates nothing.

type parOp int

const (
	opRope parOp = iota
	opRopeBackward
	opSwiGLU
	opSwiGLUBackward
	opTokenStats
	opLogitGrad
)

type parallel struct {
	m                  *Model
	op                 parOp
	l                  int // layer
	dLogProb, dEntropy []float32
}

func (p *parallel) run(op parOp, n int) {
	p.op = op
	tensor.For(n, 64, p)
}

// Range applies the current op to tokens [lo, hi).
func (p *parallel) Range(lo, hi int) {
	m := p.m
	a, cfg := m.act, m.Cfg
	H, KVH, hd := cfg.NumAttentionHeads, cfg.NumKeyValueHeads, cfg.HeadDim()
	qw, kw, f, V := H*hd, KVH*hd, cfg.IntermediateSize, cfg.VocabSize
	switch p.op {
	case opRope:
		la := &a.layers[p.l]
		for i := lo; i < hi; i++ {
			m.rope.Apply(la.q[i*qw:(i+1)*qw], H, int(a.pos[i]))
			m.rope.Apply(la.k[i*kw:(i+1)*kw], KVH, int(a.pos[i]))
		}
	case opRopeBackward:
		g := m.grad
		for i := lo; i < hi; i++ {
			m.rope.Backward(g.q[i*qw:(i+1)*qw], H, int(a.pos[i]))
			m.rope.Backward(g.k[i*kw:(i+1)*kw], KVH, int(a.pos[i]))
		}
	case opSwiGLU:
		la := &a.layers[p.l]
		nn.SwiGLUForward(la.h[lo*f:hi*f], la.gate[lo*f:hi*f], la.up[lo*f:hi*f])
	case opSwiGLUBackward:
		la, g := &a.layers[p.l], m.grad
		nn.SwiGLUBackward(g.gate[lo*f:hi*f], g.up[lo*f:hi*f], g.h[lo*f:hi*f], la.gate[lo*f:hi*f], la.up[lo*f:hi*f])
	case opTokenStats:
		for i := lo; i < hi; i++ {
			a.logp[i], a.ent[i] = 0, 0
			if a.mask[i] == 0 {
				continue
			}
			z := a.logits[(i-1)*V : i*V]
			lse := logSumExp(z)
			a.lse[i-1] = lse
			a.logp[i] = z[a.tokens[i]] - lse
			a.ent[i] = entropy(z, lse)
		}
	case opLogitGrad:
		g := m.grad
		for i := lo; i < hi; i++ {
			if a.mask[i] == 0 {
				continue
			}
			var dlp, dh float32
			if p.dLogProb != nil {
				dlp = p.dLogProb[i]
			}
			if p.dEntropy != nil {
				dh = p.dEntropy[i]
			}
			z := a.logits[(i-1)*V : i*V]
			dz := g.logits[(i-1)*V : i*V]
			lse := a.lse[i-1]
			ent := a.ent[i]
			if dlp != 0 || dh != 0 {
				for v, zv := range z {
					lp := zv - lse
					pv := tensor.Exp(lp)
					dz[v] += -dlp*pv - dh*pv*(lp+ent)
				}
				dz[a.tokens[i]] += dlp
			}
			// z = raw / temperature
			if a.temp != 1 {
				for v := range dz {
					dz[v] /= a.temp
				}
			}
		}
	}
}

// logSumExp returns log sum_v exp(z_v), the same arithmetic as
// tensor.Softmax so sampler and trainer agree.
func logSumExp(z []float32) float32 {
	mx := float32(math.Inf(-1))
	for _, v := range z {
		mx = max(mx, v)
	}
	var sum float32
	for _, v := range z {
		sum += tensor.Exp(v - mx)
	}
	return mx + float32(math.Log(float64(sum)))
}

// entropy returns H = -sum p log p = lse - sum p z for p = softmax(z).
func entropy(z []float32, lse float32) float32 {
	var h float32
	for _, v := range z {
		lp := v - lse
		h -= tensor.Exp(lp) * lp
	}
	return h
}
