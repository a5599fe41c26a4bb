package rl

import (
	"math"
	"sort"

	"github.com/autodidact-rl/autodidact/tensor"
)

// Lp-Reg — protecting low-probability "reasoning sparks" ("Low-probability
// tokens sustain exploration", card A4). RLVR over-penalises useful
// low-probability tokens; Lp-Reg regularises the policy towards a proxy that
// drops presumed noise and renormalises:
//
//  1. proxy(v) ∝ pi_old(v) * 1[pi_old(v) >= kappa * max_u pi_old(u)]
//     (a min-p filter from the sampling policy, no gradient; kappa 0.02: CHOICE)
//  2. applied only at positions whose sampled token has low probability
//     (below the q-quantile of sampled-token probabilities in the batch,
//     q 0.01: CHOICE), survived the filter, and has negative advantage;
//  3. L = L_PG + beta * mean_selected KL(proxy || pi_theta), beta 1.0 (CHOICE).
//
// d KL(proxy || softmax(z)) / d z_v = pi_v - proxy_v.
type LpReg struct {
	Kappa           float64 `json:"kappa" yaml:"kappa"`
	LowProbQuantile float64 `json:"low_prob_quantile" yaml:"low_prob_quantile"`
	Beta            float64 `json:"beta" yaml:"beta"`
	OnlyNegative    bool    `json:"only_negative_advantage" yaml:"only_negative_advantage"`
}

// Proxy returns the filtered, renormalised distribution of pOld.
func (l LpReg) Proxy(pOld []float64) []float64 {
	mx := 0.0
	for _, p := range pOld {
		mx = math.Max(mx, p)
	}
	out := make([]float64, len(pOld))
	var sum float64
	for i, p := range pOld {
		if p >= l.Kappa*mx {
			out[i] = p
			sum += p
		}
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// KL returns KL(proxy || softmax(z)) and writes its gradient with respect
// to z into grad.
func (l LpReg) KL(proxy []float64, z []float32, grad []float64) float64 {
	p, lse := tensor.Softmax64(z)
	var kl float64
	for i, v := range z {
		if proxy[i] > 0 {
			kl += proxy[i] * (math.Log(proxy[i]) - (float64(v) - lse))
		}
		grad[i] = p[i] - proxy[i]
	}
	return kl
}

// Threshold is the q-quantile of the sampled tokens' probabilities.
func (l LpReg) Threshold(sampledProbs []float64) float64 {
	if len(sampledProbs) == 0 {
		return 0
	}
	s := append([]float64(nil), sampledProbs...)
	sort.Float64s(s)
	i := int(math.Floor(l.LowProbQuantile * float64(len(s)-1)))
	return s[i]
}
