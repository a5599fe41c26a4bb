package rl

import "math"

// SAR — self-aligned reward (card A5): the relative perplexity gap between
// the answer scored alone (after BOS) and the answer given the query,
//
//	SAR(x, a) = (PPL(a) - PPL(a | x)) / PPL(a),
//	PPL(a | x) = exp(-mean_t logp(a_t | x, a_<t)),  PPL(a) = exp(-mean_t logp(a_t | a_<t)),
//
// clipped to [-1, 1], added to the verifiable reward: R = R_verify + alpha
// * SAR (alpha 0.2: CHOICE). Scored with the current policy without
// gradient (CHOICE; the frozen reference is a switch). It favours concise,
// query-specific answers.
func SAR(logpGivenQuery, logpAlone []float64, clip float64) float64 {
	if len(logpGivenQuery) == 0 || len(logpAlone) == 0 {
		return 0
	}
	mean := func(x []float64) float64 {
		var s float64
		for _, v := range x {
			s += v
		}
		return s / float64(len(x))
	}
	pplQ := math.Exp(-mean(logpGivenQuery))
	pplA := math.Exp(-mean(logpAlone))
	sar := (pplA - pplQ) / pplA
	if clip > 0 {
		sar = math.Max(-clip, math.Min(clip, sar))
	}
	return sar
}
