package rl

import (
	"fmt"
	"math"
)

// Internal RL — "Emergent temporal abstractions in autoregressive models
// enable hierarchical reinforcement learning" (Kobayashi, Schimpf,
// Schlegel et al., arXiv 2512.20605; card D9). A metacontroller reads the
// residual stream e_{t,l} of a frozen base model at a middle layer l and
// writes it back through a low-rank linear internal controller,
//
//	ê_{t,l} = e_{t,l} + U_t e_{t,l},   U_t = B_t A_t   (rank r, from z_t)
//
// where the latent code z_t ∈ R^{n_z} is integrated over time by a
// switching unit β_t ∈ [0, 1],
//
//	z_t = β_t ⊙ z̃_t + (1 − β_t) ⊙ z_{t−1},   z̃_t ~ N(μ_t, diag σ²_t)
//
// (β ≈ 1: a new abstract action; β ≈ 0: keep the current one). The
// self-supervised discovery loss, with the base model frozen, is
//
//	L = −Σ_t log p_base(a_t | ê_{≤t}) + α Σ_t β_t · KL(N(μ_t, σ²_t) ‖ N(0, I))
//	KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ_i (μ_i² + σ_i² − log σ_i² − 1)
//
// (α = kl_alpha, CHOICE 0.1; an optional switch-rate penalty γ·mean β_t,
// knob switch_penalty, CHOICE 0). Internal RL then folds the base model,
// the decoder z → U and the switching unit into the environment: a causal
// policy π_φ(z | e_{≤t,l}) samples a new code only when the frozen switch
// fires (β_t > switch_threshold, CHOICE 0.5), and a GRPO-style clipped
// ratio is taken on the Gaussian log-density of z at switch steps only,
//
//	log N(z; μ, σ²) = −½ Σ_i ((z_i − μ_i)²/σ_i² + log σ_i² + log 2π).
//
// This file holds the algebra (Integrate, Controller, GaussianKL,
// GaussianLogDensity, SwitchSteps); internal_rl_metacontroller.go the
// discovery network with its backward pass; lm.Intervention the hook that
// edits the residual stream inside lm's forward passes and returns
// d loss / d ê; task gridwalk the grid walk with the hidden order; and
// scripts/recipes/gridwalk_grpo.yaml the token-level GRPO baseline. Not
// implemented yet: the discovery training loop on expert walks, the
// causal policy π_φ with the internal-RL loop, and the recipe that runs
// them.

// InternalRL holds the method's knobs (card D9).
type InternalRL struct {
	ControlLayer    int     `yaml:"control_layer"`    // l (−1: the middle layer)
	NZ              int     `yaml:"n_z"`              // latent code size (paper 8, tiny 4)
	Rank            int     `yaml:"controller_rank"`  // r of U = B A (paper 16, tiny 4)
	KLAlpha         float64 `yaml:"kl_alpha"`         // α (CHOICE 0.1)
	SwitchPenalty   float64 `yaml:"switch_penalty"`   // γ (CHOICE 0)
	SwitchThreshold float64 `yaml:"switch_threshold"` // β above which a new code is drawn (CHOICE 0.5)
}

// Integrate is the temporal integration z_t = β ⊙ z̃ + (1 − β) ⊙ z_{t−1}
// (a scalar β broadcasts when len(beta) == 1).
func Integrate(prev, sample, beta []float64) ([]float64, error) {
	if len(prev) != len(sample) || (len(beta) != 1 && len(beta) != len(prev)) {
		return nil, fmt.Errorf("internal rl: integrate: lengths %d, %d, β %d", len(prev), len(sample), len(beta))
	}
	z := make([]float64, len(prev))
	for i := range z {
		b := beta[0]
		if len(beta) > 1 {
			b = beta[i]
		}
		if b < 0 || b > 1 || math.IsNaN(b) {
			return nil, fmt.Errorf("internal rl: β %v outside [0, 1]", b)
		}
		z[i] = b*sample[i] + (1-b)*prev[i]
	}
	return z, nil
}

// Controller applies ê = e + B (A e) for B [n × r] and A [r × n], both
// row-major, without forming U = B A.
func Controller(e, b, a []float64, rank int) ([]float64, error) {
	n := len(e)
	if rank < 1 || len(b) != n*rank || len(a) != rank*n {
		return nil, fmt.Errorf("internal rl: controller: e %d, B %d, A %d for rank %d", n, len(b), len(a), rank)
	}
	ae := make([]float64, rank)
	for k := 0; k < rank; k++ {
		for j := 0; j < n; j++ {
			ae[k] += a[k*n+j] * e[j]
		}
	}
	out := append([]float64(nil), e...)
	for i := 0; i < n; i++ {
		for k := 0; k < rank; k++ {
			out[i] += b[i*rank+k] * ae[k]
		}
	}
	return out, nil
}

// GaussianKL is KL(N(μ, diag exp(logVar)) ‖ N(0, I)).
func GaussianKL(mu, logVar []float64) float64 {
	var s float64
	for i := range mu {
		s += mu[i]*mu[i] + math.Exp(logVar[i]) - logVar[i] - 1
	}
	return s / 2
}

// GaussianLogDensity is log N(z; μ, diag exp(logVar)).
func GaussianLogDensity(z, mu, logVar []float64) float64 {
	var s float64
	for i := range z {
		d := z[i] - mu[i]
		s += d*d/math.Exp(logVar[i]) + logVar[i] + math.Log(2*math.Pi)
	}
	return -s / 2
}

// SwitchSteps are the positions where the frozen switch fires (β_t >
// threshold): the decision steps of internal RL, where the policy draws a
// new code and the policy gradient is taken. Position 0 always is one
// (the first code has nothing to keep).
func SwitchSteps(beta []float64, threshold float64) []int {
	var out []int
	for t, b := range beta {
		if t == 0 || b > threshold {
			out = append(out, t)
		}
	}
	return out
}
