package rl

import (
	"fmt"
	"math"
)

// INPO — Iterative Nash Policy Optimization (Zhang et al., 2024; card B1;
// the loss as in smiles724/MNPO's trainer, of which INPO is the
// single-opponent case). Preference alignment as a two-player game: each
// iteration t takes one online-mirror-descent step against the previous
// iterate π_t, regularised towards the reference π_ref, realised as a
// squared loss on preference pairs (y_w ≻ y_l) sampled from π_t — no
// per-response win-rate estimation. With sequence log-probs (sums over the
// response's tokens; CHOICE, knob logp_reduction: sum or mean) and
// 0 < τ < η:
//
//	h = [log π(y_w) − log π(y_l)]
//	    − (τ/η)·[log π_ref(y_w) − log π_ref(y_l)]
//	    − (1 − τ/η)·[log π_t(y_w) − log π_t(y_l)]
//	L = mean over pairs of (h − 1/(2η))²,   dL/dh = 2(h − 1/(2η)).
//
// Over all pairs of π_t's samples, oriented by the preference, its
// minimiser (tabular) is the mirror-descent step
//
//	π_{t+1}(y) ∝ π_ref(y)^{τ/η} · π_t(y)^{1−τ/η} · exp(P(y ≻ π_t)/η),
//
// whose iterates approach the τ-regularised Nash equilibrium of the
// preference game, π*(y) ∝ π_ref(y)·exp(P(y ≻ π*)/τ) (INPOStep is this
// closed form, for tests and tabular games).
//
// Pairs: from each prompt's K samples one pair, the samples with the most
// and the fewest pairwise wins (Copeland; knob pair_selection: copeland,
// or maxmin of the win-rate reward), oriented by the preference itself
// (y_w is the one P prefers; a tie gives no pair) — CHOICE.
// Defaults η = 0.0075 (target 1/(2η) ≈ 66.7) and τ/η = 1/3 (MNPO config);
// with the tiny models' short completions a smaller margin target is a
// recipe choice.
type INPO struct {
	Eta           float64 `yaml:"eta"`            // η: the target margin is 1/(2η)
	TauOverEta    float64 `yaml:"tau_over_eta"`   // τ/η in (0, 1): weight of the reference
	PairSelection string  `yaml:"pair_selection"` // copeland or maxmin
	LogpReduction string  `yaml:"logp_reduction"` // sum or mean of token log-probs
}

// Validate checks the knobs.
func (c INPO) Validate() error {
	if c.Eta <= 0 {
		return fmt.Errorf("eta %v must be > 0", c.Eta)
	}
	if c.TauOverEta <= 0 || c.TauOverEta >= 1 {
		return fmt.Errorf("tau_over_eta %v must be in (0, 1)", c.TauOverEta)
	}
	if c.PairSelection != "copeland" && c.PairSelection != "maxmin" {
		return fmt.Errorf("pair_selection %q: want copeland or maxmin", c.PairSelection)
	}
	if c.LogpReduction != "sum" && c.LogpReduction != "mean" {
		return fmt.Errorf("logp_reduction %q: want sum or mean", c.LogpReduction)
	}
	return nil
}

// PairLoss is one pair's loss and dL/d[log π(y_w) − log π(y_l)] from the
// sequence log-probs (winner, loser) under the policy, the reference and
// the previous iterate.
func (c INPO) PairLoss(pol, ref, prev [2]float64) (loss, dMargin float64) {
	r := c.TauOverEta
	h := (pol[0] - pol[1]) - r*(ref[0]-ref[1]) - (1-r)*(prev[0]-prev[1])
	d := h - 1/(2*c.Eta)
	return d * d, 2 * d
}

// Pair picks a group's preference pair from its preference matrix P
// (P[i][j] = P(i ≻ j)) and win-rate rewards R: the samples with the most
// and the fewest pairwise wins (copeland: 1 per win, 1/2 per tie) or the
// highest and lowest reward (maxmin), first index on ties, then oriented
// so that P[w][l] > 1/2. ok is false when the two tie.
func (c INPO) Pair(P [][]float64, R []float64) (w, l int, ok bool) {
	n := len(P)
	if n < 2 {
		return 0, 0, false
	}
	score := R
	if c.PairSelection == "copeland" {
		score = make([]float64, n)
		for i := range P {
			for j := range P[i] {
				switch {
				case j == i:
				case P[i][j] > 0.5:
					score[i]++
				case P[i][j] == 0.5:
					score[i] += 0.5
				}
			}
		}
	}
	for i := range score {
		if score[i] > score[w] {
			w = i
		}
		if score[i] < score[l] {
			l = i
		}
	}
	switch {
	case P[w][l] > 0.5:
		return w, l, true
	case P[w][l] < 0.5:
		return l, w, true
	}
	return 0, 0, false
}

// INPOStep is the closed-form minimiser over a finite response set:
// π_{t+1}(y) ∝ ref(y)^{τ/η} π_t(y)^{1−τ/η} exp(P(y ≻ π_t)/η), with
// P(y ≻ π_t) = Σ_y' π_t(y') pref[y][y'].
func INPOStep(ref, pit []float64, pref [][]float64, eta, tauOverEta float64) []float64 {
	n := len(pit)
	logit := make([]float64, n)
	top := math.Inf(-1)
	for y := range logit {
		var win float64
		for y2 := range pit {
			win += pit[y2] * pref[y][y2]
		}
		logit[y] = tauOverEta*math.Log(ref[y]) + (1-tauOverEta)*math.Log(pit[y]) + win/eta
		top = math.Max(top, logit[y])
	}
	out := make([]float64, n)
	var z float64
	for y := range out {
		out[y] = math.Exp(logit[y] - top)
		z += out[y]
	}
	for y := range out {
		out[y] /= z
	}
	return out
}
