package rl

import (
	"math"
	"sort"

	"github.com/autodidact-rl/autodidact/tensor"
)

// SIREN — selective entropy regularisation ("Rethinking Entropy
// Regularization", card A3). A plain entropy bonus over the whole
// vocabulary and every position makes LLM entropy explode; SIREN restricts
// it twice and anchors it:
//
//  1. Top-p mask: at each position the entropy is taken over the nucleus
//     only, renormalised: H_p = -sum_{v in N_p} q_v log q_v, q = p / sum_{N_p} p.
//     N_p holds the most likely tokens until their mass exceeds top_p by
//     more than 1e-6 (so a nucleus that reaches top_p only up to rounding
//     takes one more token, as in the card's example; top_p 0.95: CHOICE).
//  2. Peak-entropy mask: only positions whose H_p is in the top rho fraction
//     (0.2: CHOICE) of the mini-batch's response positions are regularised.
//  3. Self-anchored form: L_ent = c * (mean_masked H_p - H_anchor)^2, with
//     H_anchor the masked mean entropy of the initial policy (CHOICE: the
//     first RL mini-batch) and c = 0.01 (CHOICE).
//
// Gradients reach the logits through q only (nucleus membership is held
// constant): dH_p/dz_v = -q_v (log q_v + H_p) for v in N_p, 0 elsewhere.
type SIREN struct {
	TopP      float64 `json:"top_p" yaml:"top_p"`
	PeakRatio float64 `json:"peak_ratio" yaml:"peak_ratio"`
	Coef      float64 `json:"coef" yaml:"coef"`
	Anchor    string  `json:"anchor" yaml:"anchor"` // initial or fixed
	AnchorVal float64 `json:"anchor_value" yaml:"anchor_value"`
}

// NucleusEntropy returns H_p of the distribution softmax(z) and its
// gradient with respect to z (written into grad, which must have len(z)).
func (s SIREN) NucleusEntropy(z []float32, grad []float64) float64 {
	n := len(z)
	p, _ := tensor.Softmax64(z)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] > p[order[b]] })
	var mass float64
	k := 0
	for k < n {
		mass += p[order[k]]
		k++
		if mass > s.TopP+1e-6 {
			break
		}
	}
	var H float64
	for _, v := range order[:k] {
		q := p[v] / mass
		if q > 0 {
			H -= q * math.Log(q)
		}
	}
	for i := range grad {
		grad[i] = 0
	}
	for _, v := range order[:k] {
		q := p[v] / mass
		if q > 0 {
			grad[v] = -q * (math.Log(q) + H)
		}
	}
	return H
}

// PeakMask marks the positions whose entropy is among the top rho
// fraction (at least one position when any exist).
func PeakMask(H []float64, rho float64) []bool {
	mask := make([]bool, len(H))
	if len(H) == 0 {
		return mask
	}
	k := int(math.Ceil(rho * float64(len(H))))
	k = min(max(k, 1), len(H))
	order := make([]int, len(H))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return H[order[a]] > H[order[b]] })
	for _, i := range order[:k] {
		mask[i] = true
	}
	return mask
}

// AnchoredLoss returns c * (mean - anchor)^2 and its derivative with
// respect to each masked position's entropy (the mean is over n positions).
func (s SIREN) AnchoredLoss(mean, anchor float64, n int) (loss, dH float64) {
	d := mean - anchor
	return s.Coef * d * d, 2 * s.Coef * d / float64(n)
}
