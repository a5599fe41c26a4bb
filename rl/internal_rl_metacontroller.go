package rl

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/nn"
)

// Metacontroller is Internal RL's discovery network (card D9) over one
// sequence's residual stream e_1..e_n at the control layer (float32 rows
// of width d, read through lm.Intervention). Per position t:
//
//	s      = (1/n) Σ_t e_t                                (non-causal sequence embedding)
//	μ_t, log σ²_t = Enc([e_t, s])                          (MLP, tanh)
//	β_1 = 1;  β_t = sigmoid(w₂ · tanh(W_e e_t + W_z z_{t−1} + b₁) + b₂)
//	z_t    = β_t (μ_t + σ_t ε_t) + (1 − β_t) z_{t−1},      ε_t ~ N(0, I)
//	ê_t    = e_t + Σ_k z_{t,k} (B_k A_k e_t + c_k)         (A_k [r×d], B_k [d×r], c_k [d])
//
// and the regulariser added to the frozen model's NLL of the actions is
//
//	R = α Σ_t β_t KL(N(μ_t, σ²_t) ‖ N(0, I)) + γ (1/n) Σ_t β_t.
//
// CHOICEs (the paper's choices, from its appendix as re-implementations
// cite it, in brackets): the sequence embedding is a mean [an acausal
// SSM]; the encoder is an MLP without a GRU history [GRU 32 + MLP 64];
// the switching unit is a one-hidden-layer MLP on [e_t, z_{t−1}] (the
// card's inputs less the GRU state); the hypernetwork z → U_t = B_t A_t is
// linear in z, U_t = Σ_k z_k B_k A_k, plus an additive column c_k per
// code dimension [an MLP decoder]. β is a scalar. The switching unit
// reads only causal inputs, so it can be kept frozen in internal RL.
type Metacontroller struct {
	D, NZ, Rank, Hidden int

	Enc        *nn.MLP     // [2d → hidden → 2 n_z]: μ then log σ²
	We, Wz, B1 *nn.Param   // switch: [hidden, d], [hidden, n_z], [hidden]
	W2, B2     *nn.Param   // [hidden], [1]
	A, B, C    []*nn.Param // per code dimension k: A_k [r, d], B_k [d, r], c_k [d]

	// the last Forward, for Backward
	n                    int
	e                    []float32 // [n, d]
	eps, mu, logv, zt, z []float64 // [n, n_z]: ε, μ, log σ², z̃, z
	beta, kl             []float64 // [n]
	hs                   []float64 // [n, hidden] switch hidden (row 0 unused)
	u                    []float64 // [n, n_z, r] A_k e_t
	v                    []float64 // [n, n_z, d] B_k u + c_k
	alpha, gamma         float64
}

// NewMetacontroller builds the network for residual width d with small
// random weights.
func NewMetacontroller(d, nz, rank, hidden, maxRows int, r *rand.Rand) (*Metacontroller, error) {
	if d < 1 || nz < 1 || rank < 1 || hidden < 1 {
		return nil, fmt.Errorf("metacontroller: d %d, n_z %d, rank %d, hidden %d must be positive", d, nz, rank, hidden)
	}
	enc, err := nn.NewMLP("metacontroller.enc", []int{2 * d, hidden, 2 * nz}, nn.Tanh, maxRows, r)
	if err != nil {
		return nil, err
	}
	mc := &Metacontroller{D: d, NZ: nz, Rank: rank, Hidden: hidden, Enc: enc,
		We: nn.NewParam("metacontroller.switch.we", hidden, d), Wz: nn.NewParam("metacontroller.switch.wz", hidden, nz),
		B1: nn.NewParam("metacontroller.switch.b1", hidden), W2: nn.NewParam("metacontroller.switch.w2", hidden),
		B2: nn.NewParam("metacontroller.switch.b2", 1)}
	mc.We.InitNormal(r, 1/math.Sqrt(float64(d)))
	mc.Wz.InitNormal(r, 1/math.Sqrt(float64(nz)))
	mc.W2.InitNormal(r, 1/math.Sqrt(float64(hidden)))
	for k := 0; k < nz; k++ {
		a, b, c := nn.NewParam(fmt.Sprintf("metacontroller.dec.%d.a", k), rank, d),
			nn.NewParam(fmt.Sprintf("metacontroller.dec.%d.b", k), d, rank), nn.NewParam(fmt.Sprintf("metacontroller.dec.%d.c", k), d)
		a.InitNormal(r, 1/math.Sqrt(float64(d)))
		b.InitNormal(r, 0.1/math.Sqrt(float64(rank)))
		c.InitNormal(r, 0.1)
		mc.A, mc.B, mc.C = append(mc.A, a), append(mc.B, b), append(mc.C, c)
	}
	return mc, nil
}

// Params lists every trained tensor.
func (mc *Metacontroller) Params() []*nn.Param {
	ps := append(mc.Enc.Params(), mc.We, mc.Wz, mc.B1, mc.W2, mc.B2)
	for k := range mc.A {
		ps = append(ps, mc.A[k], mc.B[k], mc.C[k])
	}
	return ps
}

// Switch is β_t from e_t and z_{t−1} (the frozen switching unit of
// internal RL), with the hidden layer written to h [hidden] when non-nil.
func (mc *Metacontroller) Switch(e []float32, zprev []float64, h []float64) float64 {
	var logit float64
	for j := 0; j < mc.Hidden; j++ {
		pre := float64(mc.B1.W[j])
		for i, x := range e[:mc.D] {
			pre += float64(mc.We.W[j*mc.D+i]) * float64(x)
		}
		for i, x := range zprev {
			pre += float64(mc.Wz.W[j*mc.NZ+i]) * x
		}
		hj := math.Tanh(pre)
		if h != nil {
			h[j] = hj
		}
		logit += float64(mc.W2.W[j]) * hj
	}
	return 1 / (1 + math.Exp(-(logit + float64(mc.B2.W[0]))))
}

// Apply writes ê = e + Σ_k z_k (B_k A_k e + c_k) into out (which may be e:
// the edit is computed before out is written),
// keeping u_k = A_k e and v_k = B_k u_k + c_k in u [n_z·r] and v [n_z·d]
// when non-nil.
func (mc *Metacontroller) Apply(out, e []float32, z []float64, u, v []float64) {
	d, r := mc.D, mc.Rank
	add := make([]float64, d)
	uk, vk := make([]float64, r), make([]float64, d)
	for k, zk := range z {
		for a := 0; a < r; a++ {
			var s float64
			for i := 0; i < d; i++ {
				s += float64(mc.A[k].W[a*d+i]) * float64(e[i])
			}
			uk[a] = s
		}
		for i := 0; i < d; i++ {
			s := float64(mc.C[k].W[i])
			for a := 0; a < r; a++ {
				s += float64(mc.B[k].W[i*r+a]) * uk[a]
			}
			vk[i] = s
			add[i] += zk * s
		}
		if u != nil {
			copy(u[k*r:(k+1)*r], uk)
			copy(v[k*d:(k+1)*d], vk)
		}
	}
	for i := 0; i < d; i++ {
		out[i] = e[i] + float32(add[i])
	}
}

// Forward runs the discovery pass over n rows e [n, d] with the noise eps
// [n, n_z], writes ê into out [n, d] (which may be e: Forward reads its
// own copy) and returns R (α = klAlpha, γ =
// switchPenalty) and the switch values β.
func (mc *Metacontroller) Forward(out, e []float32, n int, eps []float64, klAlpha, switchPenalty float64) (float64, []float64) {
	d, nz, r := mc.D, mc.NZ, mc.Rank
	mc.n, mc.alpha, mc.gamma = n, klAlpha, switchPenalty
	mc.e = append(mc.e[:0], e[:n*d]...)
	e = mc.e
	mc.eps = append(mc.eps[:0], eps[:n*nz]...)
	grow := func(s []float64, m int) []float64 {
		if cap(s) < m {
			return make([]float64, m)
		}
		return s[:m]
	}
	mc.mu, mc.logv, mc.zt, mc.z = grow(mc.mu, n*nz), grow(mc.logv, n*nz), grow(mc.zt, n*nz), grow(mc.z, n*nz)
	mc.beta, mc.kl, mc.hs = grow(mc.beta, n), grow(mc.kl, n), grow(mc.hs, n*mc.Hidden)
	mc.u, mc.v = grow(mc.u, n*nz*r), grow(mc.v, n*nz*d)
	in := make([]float32, n*2*d)
	s := make([]float32, d)
	for t := 0; t < n; t++ {
		for i := 0; i < d; i++ {
			s[i] += e[t*d+i] / float32(n)
		}
	}
	for t := 0; t < n; t++ {
		copy(in[t*2*d:], e[t*d:(t+1)*d])
		copy(in[t*2*d+d:], s)
	}
	enc := mc.Enc.Forward(in, n)
	var R float64
	zprev := make([]float64, nz)
	for t := 0; t < n; t++ {
		et := e[t*d : (t+1)*d]
		b := 1.0
		if t > 0 {
			b = mc.Switch(et, zprev, mc.hs[t*mc.Hidden:(t+1)*mc.Hidden])
		}
		mc.beta[t] = b
		mu, logv := mc.mu[t*nz:(t+1)*nz], mc.logv[t*nz:(t+1)*nz]
		for k := 0; k < nz; k++ {
			mu[k], logv[k] = float64(enc[t*2*nz+k]), float64(enc[t*2*nz+nz+k])
			mc.zt[t*nz+k] = mu[k] + math.Exp(logv[k]/2)*eps[t*nz+k]
			mc.z[t*nz+k] = b*mc.zt[t*nz+k] + (1-b)*zprev[k]
		}
		mc.kl[t] = GaussianKL(mu, logv)
		R += klAlpha*b*mc.kl[t] + switchPenalty*b/float64(n)
		copy(zprev, mc.z[t*nz:(t+1)*nz])
		mc.Apply(out[t*d:(t+1)*d], et, mc.z[t*nz:(t+1)*nz], mc.u[t*nz*r:(t+1)*nz*r], mc.v[t*nz*d:(t+1)*nz*d])
	}
	return R, mc.beta[:n]
}

// Backward takes g = d NLL / d ê [n, d] (lm's ResidualGrad for the rows of
// the last Forward) and accumulates the gradient of NLL + R into the
// parameters, back through time along z.
func (mc *Metacontroller) Backward(g []float32) {
	n, d, nz, r, H := mc.n, mc.D, mc.NZ, mc.Rank, mc.Hidden
	dEnc := make([]float32, n*2*nz)
	carry := make([]float64, nz) // d / d z_t from positions after t
	dz, du := make([]float64, nz), make([]float64, r)
	for t := n - 1; t >= 0; t-- {
		et, gt := mc.e[t*d:(t+1)*d], g[t*d:(t+1)*d]
		z := mc.z[t*nz : (t+1)*nz]
		for k := 0; k < nz; k++ {
			v := mc.v[(t*nz+k)*d : (t*nz+k+1)*d]
			u := mc.u[(t*nz+k)*r : (t*nz+k+1)*r]
			var s float64
			for i := 0; i < d; i++ {
				s += float64(gt[i]) * v[i]
			}
			dz[k] = carry[k] + s
			// v_k = B_k u_k + c_k, u_k = A_k e, weighted by z_k.
			clear(du)
			for i := 0; i < d; i++ {
				dv := z[k] * float64(gt[i])
				mc.C[k].G[i] += float32(dv)
				for a := 0; a < r; a++ {
					mc.B[k].G[i*r+a] += float32(dv * u[a])
					du[a] += float64(mc.B[k].W[i*r+a]) * dv
				}
			}
			for a := 0; a < r; a++ {
				for i := 0; i < d; i++ {
					mc.A[k].G[a*d+i] += float32(du[a] * float64(et[i]))
				}
			}
		}
		b := mc.beta[t]
		zprev := make([]float64, nz)
		if t > 0 {
			copy(zprev, mc.z[(t-1)*nz:t*nz])
		}
		dBeta := mc.alpha*mc.kl[t] + mc.gamma/float64(n)
		for k := 0; k < nz; k++ {
			dBeta += (mc.zt[t*nz+k] - zprev[k]) * dz[k]
			dzt := b * dz[k]
			mu, logv := mc.mu[t*nz+k], mc.logv[t*nz+k]
			sigma := math.Exp(logv / 2)
			dEnc[t*2*nz+k] = float32(dzt + mc.alpha*b*mu)
			dEnc[t*2*nz+nz+k] = float32(dzt*mc.eps[t*nz+k]*sigma/2 + mc.alpha*b*(math.Exp(logv)-1)/2)
			carry[k] = (1 - b) * dz[k]
		}
		if t == 0 {
			continue // β_1 = 1 is fixed
		}
		dLogit := dBeta * b * (1 - b)
		mc.B2.G[0] += float32(dLogit)
		h := mc.hs[t*H : (t+1)*H]
		for j := 0; j < H; j++ {
			mc.W2.G[j] += float32(dLogit * h[j])
			dpre := dLogit * float64(mc.W2.W[j]) * (1 - h[j]*h[j])
			mc.B1.G[j] += float32(dpre)
			for i := 0; i < d; i++ {
				mc.We.G[j*d+i] += float32(dpre * float64(et[i]))
			}
			for i := 0; i < nz; i++ {
				mc.Wz.G[j*nz+i] += float32(dpre * zprev[i])
				carry[i] += dpre * float64(mc.Wz.W[j*nz+i])
			}
		}
	}
	mc.Enc.Backward(dEnc, n)
}
