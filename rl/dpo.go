package rl

import (
	"math"
	"sort"
)

// DPO — Direct Preference Optimization (Rafailov et al. 2023), the loss of
// Self-Rationalization (card D3) and the pairwise base other preference
// losses (INPO, card B1) sit beside. For a preference pair of responses to
// the same prompt, y_w preferred to y_l, with sequence log-probs (sums over
// the response tokens, the prompt masked) under the trained policy and a
// frozen reference:
//
//	Δ_w = logπ(y_w) − logπ_ref(y_w),   Δ_l = logπ(y_l) − logπ_ref(y_l)
//	m   = β (Δ_w − Δ_l)                                   (the margin)
//	L   = −log σ(m) = log(1 + e^{−m})
//	dL/dm = −σ(−m),   dL/dlogπ(y_w) = −β σ(−m),   dL/dlogπ(y_l) = +β σ(−m)
//
// plus, with NLL > 0 (an RPO-style variant, CHOICE, off by default),
// NLL · (−logπ(y_w) / |y_w|) on the chosen response. The reference
// log-probs are constants. The reference is the frozen initial policy or,
// iterated (card D3), the policy at the start of each iteration: the
// caller supplies them, so the algebra is the same. β = 0.1 (CHOICE).
//
// A pairwise loss with another target (INPO's squared loss on the same
// four log-probs) is a sibling: a type with a Pair method of this shape
// (log-probs in, loss and the two gradients out).
type DPO struct {
	Beta float64 `json:"beta" yaml:"beta"`
	// NLL weights the length-normalised negative log-likelihood of the
	// chosen response (0: plain DPO).
	NLL float64 `json:"nll" yaml:"nll"`
}

// Pair returns the loss of one pair and its derivatives with respect to
// the policy's sequence log-probs of the chosen (dW) and rejected (dL)
// responses. refW and refL are the reference's; lenW is the chosen
// response's token count (only the NLL term uses it).
func (d DPO) Pair(logpW, refW, logpL, refL float64, lenW int) (loss, dW, dL float64) {
	m := d.Beta * ((logpW - refW) - (logpL - refL))
	loss = softplus(-m)
	g := sigmoid(-m) // -dL/dm
	dW, dL = -d.Beta*g, d.Beta*g
	if d.NLL > 0 && lenW > 0 {
		loss += d.NLL * -logpW / float64(lenW)
		dW -= d.NLL / float64(lenW)
	}
	return loss, dW, dL
}

// Margin is β(Δ_w − Δ_l), the quantity DPO pushes up; its sign says
// whether the policy already prefers the chosen response more than the
// reference does.
func (d DPO) Margin(logpW, refW, logpL, refL float64) float64 {
	return d.Beta * ((logpW - refW) - (logpL - refL))
}

// softplus is log(1 + e^x), computed without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// ScorePairs builds the preference pairs of one item from its N sampled
// judgements (card D3's curation; the rule is a CHOICE): the chosen pool
// holds the judgements whose score equals the gold score, those whose
// rationale the meta-judge accepts (good[j]; nil: no meta-judge) first,
// each part in sampling order; the rejected pool holds the others,
// farthest score from the gold first (ties in sampling order). Up to
// maxPairs pairs (0: no bound) zip the two pools; an item with an empty
// pool gives none. scores[j] < 0 marks a judgement without a score, which
// is rejected and counts as the farthest.
func ScorePairs(scores []int, gold int, good []bool, maxPairs int) [][2]int {
	var chosen, rejected []int
	for j, s := range scores {
		if s >= 0 && s == gold {
			chosen = append(chosen, j)
		} else {
			rejected = append(rejected, j)
		}
	}
	if good != nil {
		sort.SliceStable(chosen, func(a, b int) bool { return good[chosen[a]] && !good[chosen[b]] })
	}
	dist := func(j int) int {
		if scores[j] < 0 {
			return math.MaxInt
		}
		if scores[j] > gold {
			return scores[j] - gold
		}
		return gold - scores[j]
	}
	sort.SliceStable(rejected, func(a, b int) bool { return dist(rejected[a]) > dist(rejected[b]) })
	n := min(len(chosen), len(rejected))
	if maxPairs > 0 {
		n = min(n, maxPairs)
	}
	pairs := make([][2]int, n)
	for k := range pairs {
		pairs[k] = [2]int{chosen[k], rejected[k]}
	}
	return pairs
}
