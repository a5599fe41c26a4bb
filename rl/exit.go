package rl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// ExIt — Exploratory Iteration, an autocurriculum over partial histories
// ("Bootstrapping Task Spaces for Self-Improvement", arXiv 2509.04575;
// card B5). Every generated attempt becomes a candidate task instance: a
// partial history of the model's own episode, from which the policy is
// asked to continue (x, y_prev[:k], r_prev, depth). A buffer keeps such
// instances and replays the most learnable ones:
//
//   - sampling: with probability p_select (and at least min_size entries)
//     a step's prompt is drawn from the buffer, else a new base task;
//   - learnability of an instance = the population variance of the G
//     returns it got when last played (binary rewards: p(1 − p)); new
//     entries score 0 until played (CHOICE);
//   - selection: softmax of score/κ over the buffer (CHOICE, knob
//     priority: softmax; rank is PLR's rank prioritisation, weight
//     1/rank^(1/κ); uniform ignores the scores — the ablation);
//   - capacity: when full, the lowest-scored entries are evicted (oldest
//     first on ties);
//   - reward of an iterated instance: the task's verifier (CHOICE, knob
//     reward: verifier), or the card's improvement reward
//     max(0, (r_new − r_prev)/(1 − r_prev)) for [0, 1] rewards (0 when
//     r_prev = 1), reward: improvement.
//
// The card's self-divergence prompts (p_div) and diversity bonus need an
// "improve/diverge" instruction and an embedding that the tiny
// from-scratch models lack; they are not implemented.

// ExItScore is the learnability of an instance from the returns of one
// play: their population variance.
func ExItScore(returns []float64) float64 {
	if len(returns) == 0 {
		return 0
	}
	var m float64
	for _, r := range returns {
		m += r
	}
	m /= float64(len(returns))
	var v float64
	for _, r := range returns {
		v += (r - m) * (r - m)
	}
	return v / float64(len(returns))
}

// ExItImprovement is max(0, (rNew − rPrev)/(1 − rPrev)) for rewards in
// [0, 1]; 0 when rPrev ≥ 1 (nothing left to improve).
func ExItImprovement(rNew, rPrev float64) float64 {
	if rPrev >= 1 {
		return 0
	}
	return math.Max(0, (rNew-rPrev)/(1-rPrev))
}

// ExItProbs are the selection probabilities of buffer entries with the
// given scores: softmax(score/κ), rank (weight (1/rank)^(1/κ), rank 1 the
// highest score, ties broken by index) or uniform.
func ExItProbs(scores []float64, priority string, kappa float64) ([]float64, error) {
	n := len(scores)
	p := make([]float64, n)
	if n == 0 {
		return p, nil
	}
	switch priority {
	case "uniform":
		for i := range p {
			p[i] = 1
		}
	case "softmax":
		if kappa <= 0 {
			return nil, fmt.Errorf("kappa %v must be > 0", kappa)
		}
		top := math.Inf(-1)
		for _, s := range scores {
			top = math.Max(top, s/kappa)
		}
		for i, s := range scores {
			p[i] = math.Exp(s/kappa - top)
		}
	case "rank":
		if kappa <= 0 {
			return nil, fmt.Errorf("kappa %v must be > 0", kappa)
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
		for r, i := range idx {
			p[i] = math.Pow(1/float64(r+1), 1/kappa)
		}
	default:
		return nil, fmt.Errorf("priority %q: want softmax, rank or uniform", priority)
	}
	var z float64
	for _, v := range p {
		z += v
	}
	for i := range p {
		p[i] /= z
	}
	return p, nil
}

// DrawIndex picks an index with probabilities p (summing to 1).
func DrawIndex(p []float64, r *rand.Rand) int {
	u := r.Float64()
	for i, v := range p {
		if u < v {
			return i
		}
		u -= v
	}
	return len(p) - 1
}

// ExItEvict returns the indices to drop so that at most capacity entries
// remain: the lowest scores, the oldest (smallest age rank, i.e. index)
// first on ties.
func ExItEvict(scores []float64, capacity int) []int {
	over := len(scores) - capacity
	if over <= 0 {
		return nil
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	out := append([]int(nil), idx[:over]...)
	sort.Ints(out)
	return out
}
