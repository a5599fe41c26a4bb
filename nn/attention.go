package nn

import (
	"math"

	"github.com/autodidact-rl/autodidact/tensor"
)

// Attention is causal multi-head self-attention with grouped-query heads:
// query head h reads key/value head h / (Heads/KVHeads).
//
// Layout: a batch is B rows of T tokens. q is [B*T, Heads*HeadDim]; k and v
// are [B*T, KVHeads*HeadDim] (rotary embeddings already applied). A row may
// pack several sequences: start[b*T+i] is the index within the row where
// token i's sequence begins (nil means every row is one sequence). Token i
// attends to tokens j with start_i <= j <= i:
//
//	S = scale * Q K^T,  P = softmax_row(S masked),  O = P V,  scale = 1/sqrt(HeadDim)
//
// Backward:
//
//	dP = dO V^T,  dS = P * (dP - rowsum(dP * P)),
//	dQ = scale * dS K,  dK += scale * dS^T Q,  dV += P^T dO.
//
// The forward pass computes each query row with fixed-order dot products
// (attendRow), shared with the sampler's AttendOne so that sampling and
// training agree bit for bit. The backward pass uses GEMMs on blocks of
// query rows [r0, r1) against keys [0, r1), so the masked upper triangle is
// mostly skipped. Both run one (row, head) or (row, kv head) pair per task
// on the worker pool.
type Attention struct {
	Heads, KVHeads, HeadDim int

	fwd attnForward
	bwd attnBackward
}

// attnBlock is the query-block height of the triangular schedule.
const attnBlock = 32

type attnArgs struct {
	a             *Attention
	B, T          int
	q, k, v, o    []float32
	probs, dprobs []float32
	dq, dk, dv    []float32
	start         []int32
}

type attnForward struct{ attnArgs }
type attnBackward struct{ attnArgs }

// Forward writes out [B*T, Heads*HeadDim] and saves the attention
// probabilities in probs [B, Heads, T, T].
func (a *Attention) Forward(out, probs, q, k, v []float32, start []int32, B, T int) {
	a.fwd.attnArgs = attnArgs{a: a, B: B, T: T, q: q, k: k, v: v, o: out, probs: probs, start: start}
	tensor.For(B*a.Heads, 1, &a.fwd)
	a.fwd.attnArgs = attnArgs{}
}

// Backward accumulates into dq, dk, dv from dout, using the probabilities
// saved by Forward. dprobs is scratch of the same size as probs.
func (a *Attention) Backward(dq, dk, dv, dprobs, dout, probs, q, k, v []float32, start []int32, B, T int) {
	a.bwd.attnArgs = attnArgs{a: a, B: B, T: T, q: q, k: k, v: v, o: dout, probs: probs, dprobs: dprobs,
		dq: dq, dk: dk, dv: dv, start: start}
	tensor.For(B*a.KVHeads, 1, &a.bwd)
	a.bwd.attnArgs = attnArgs{}
}

func (a *Attention) scale() float32 { return float32(1 / math.Sqrt(float64(a.HeadDim))) }

// Range runs the forward pass for (row, head) pairs [lo, hi).
func (f *attnForward) Range(lo, hi int) {
	a, T, hd := f.a, f.T, f.a.HeadDim
	qw, kw := a.Heads*hd, a.KVHeads*hd
	group := a.Heads / a.KVHeads
	for bh := lo; bh < hi; bh++ {
		b, h := bh/a.Heads, bh%a.Heads
		g := h / group
		k := f.k[b*T*kw+g*hd:]
		v := f.v[b*T*kw+g*hd:]
		P := f.probs[bh*T*T : (bh+1)*T*T]
		for i := 0; i < T; i++ {
			st := 0
			if f.start != nil {
				st = int(f.start[b*T+i])
			}
			row := P[i*T : (i+1)*T]
			clear(row[:st])
			clear(row[i+1:])
			tok := (b*T + i) * qw
			a.attendRow(f.o[tok+h*hd:tok+(h+1)*hd], f.q[tok+h*hd:tok+(h+1)*hd], k[st*kw:], v[st*kw:], kw, i+1-st, row[st:i+1])
		}
	}
}

// attendRow is the forward arithmetic of one query against L keys, shared
// by training (Forward) and sampling (AttendOne) so both produce the same
// bits whatever the batch: every score is a fixed-order dot product, and
// the output sums p_j v_j in key order. K and V hold key j at j*stride.
// p receives the L probabilities.
func (a *Attention) attendRow(out, q, K, V []float32, stride, L int, p []float32) {
	hd := a.HeadDim
	scale := a.scale()
	p = p[:L]
	tensor.DotRows(p, q[:hd], K, stride) // Dot per key, in one call
	for j := range p {
		p[j] *= scale
	}
	tensor.Softmax(p, p)
	clear(out[:hd])
	tensor.AxpyRows(out[:hd], p, V, stride) // Axpy per key, in key order
}

// Range runs the backward pass for (row, kv head) pairs [lo, hi); the query
// heads of one group are done in turn so dK and dV have one writer.
func (f *attnBackward) Range(lo, hi int) {
	a, T, hd := f.a, f.T, f.a.HeadDim
	qw, kw := a.Heads*hd, a.KVHeads*hd
	group := a.Heads / a.KVHeads
	scale := a.scale()
	for bg := lo; bg < hi; bg++ {
		b, g := bg/a.KVHeads, bg%a.KVHeads
		k := f.k[b*T*kw+g*hd:]
		v := f.v[b*T*kw+g*hd:]
		dk := f.dk[b*T*kw+g*hd:]
		dv := f.dv[b*T*kw+g*hd:]
		for h := g * group; h < (g+1)*group; h++ {
			bh := b*a.Heads + h
			q := f.q[b*T*qw+h*hd:]
			dq := f.dq[b*T*qw+h*hd:]
			do := f.o[b*T*qw+h*hd:]
			P := f.probs[bh*T*T : (bh+1)*T*T]
			dP := f.dprobs[bh*T*T : (bh+1)*T*T]
			for r0 := 0; r0 < T; r0 += attnBlock {
				r1 := min(r0+attnBlock, T)
				m := r1 - r0
				// dP[r0:r1, 0:r1] = dO[r0:r1] V[0:r1]^T
				tensor.GemmSerial(false, true, m, r1, hd, 1, do[r0*qw:], qw, v, kw, 0, dP[r0*T:], T)
				// dS = P * (dP - rowsum(dP*P)), stored over dP
				for i := r0; i < r1; i++ {
					p := P[i*T : i*T+r1]
					d := dP[i*T : i*T+r1]
					s := tensor.Dot(p, d)
					for j := range d {
						d[j] = p[j] * (d[j] - s)
					}
				}
				// dQ[r0:r1] += scale * dS K[0:r1]
				tensor.GemmSerial(false, false, m, hd, r1, scale, dP[r0*T:], T, k, kw, 1, dq[r0*qw:], qw)
				// dK[0:r1] += scale * dS^T Q[r0:r1]
				tensor.GemmSerial(true, false, r1, hd, m, scale, dP[r0*T:], T, q[r0*qw:], qw, 1, dk, kw)
				// dV[0:r1] += P^T dO[r0:r1]
				tensor.GemmSerial(true, false, r1, hd, m, 1, P[r0*T:], T, do[r0*qw:], qw, 1, dv, kw)
			}
		}
	}
}

// AttendOne computes attention for one query token against a cache of L
// keys and values (the sampler's decode step). q is [Heads*HeadDim]; kc and
// vc hold the cache of one sequence, one kv head after another: key j of kv
// head g is kc[g*stride + j*HeadDim:]. scores is scratch of at least L
// floats. It runs the same row kernel as Forward.
func (a *Attention) AttendOne(out, q, kc, vc []float32, stride, L int, scores []float32) {
	hd := a.HeadDim
	group := a.Heads / a.KVHeads
	for h := 0; h < a.Heads; h++ {
		g := h / group
		a.attendRow(out[h*hd:(h+1)*hd], q[h*hd:(h+1)*hd], kc[g*stride:], vc[g*stride:], hd, L, scores[:L])
	}
}
