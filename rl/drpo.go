package rl

import "math"

// DRPO — Decoupled Reward Policy Optimization (card 14). Length
// preferences inside GRPO can give correct-but-long answers negative
// advantage; DRPO keeps a discriminative objective (positives up,
// negatives down) and moves the length preference into a reweighting of
// the positives only: the positive distribution is the KL-regularised
// maximiser of a length reward, P+(o) ∝ pi_old(o | x, correct) *
// exp(r_len(o)/lambda), whose importance weights have closed form.
//
// Per sample, the score s_i is the masked mean token log-prob of the
// response under the current policy and len_ratio_i = |o_i| / L_max. Per
// question with at least one positive and one negative:
//
//	J_q = sum_{i in pos} w~_i s_i - tau * log( mean_{j in neg} exp(s_j / tau) )
//	w_i = exp((1 - len_ratio_i) / lambda),   w~ = w / sum_pos w
//
// Questions with only positives or only negatives contribute 0 but still
// count in Q. The loss is
//
//	-(1/Q) sum_q J_q + max(0, beta * (KL - delta)) * KL     (the factor is held constant)
//
// with KL the token-masked mean of logp_old - logp (k1): a penalty that
// acts only when a step drifts more than delta from the sampling policy.
// No ratio clipping, no reference model. Defaults tau 10, lambda 0.1,
// beta 1e3, delta 1e-4.
type DRPO struct {
	Tau    float64 `json:"tau" yaml:"tau"`
	Lambda float64 `json:"lambda" yaml:"lambda"`
	Beta   float64 `json:"beta" yaml:"beta"`
	Delta  float64 `json:"delta" yaml:"delta"`
}

// Question returns J_q and dJ_q/ds_i for one question's samples (scores,
// correctness, length ratios); ok is false when the question has no
// positive or no negative (J = 0, zero gradient).
func (d DRPO) Question(s []float64, correct []bool, lenRatio []float64) (J float64, dJ []float64, ok bool) {
	dJ = make([]float64, len(s))
	var wsum, negMax float64 = 0, math.Inf(-1)
	nPos, nNeg := 0, 0
	for i := range s {
		if correct[i] {
			nPos++
			wsum += math.Exp((1 - lenRatio[i]) / d.Lambda)
		} else {
			nNeg++
			negMax = math.Max(negMax, s[i]/d.Tau)
		}
	}
	if nPos == 0 || nNeg == 0 {
		return 0, dJ, false
	}
	var sumExp float64
	for i := range s {
		if correct[i] {
			w := math.Exp((1-lenRatio[i])/d.Lambda) / wsum
			J += w * s[i]
			dJ[i] = w
		} else {
			sumExp += math.Exp(s[i]/d.Tau - negMax)
		}
	}
	J -= d.Tau * (negMax + math.Log(sumExp/float64(nNeg)))
	for i := range s {
		if !correct[i] {
			dJ[i] = -math.Exp(s[i]/d.Tau-negMax) / sumExp // softmax of s_neg / tau
		}
	}
	return J, dJ, true
}

// KLPenaltyCoef is the constant factor max(0, beta*(KL - delta)) that
// multiplies KL in the loss.
func (d DRPO) KLPenaltyCoef(kl float64) float64 { return math.Max(0, d.Beta*(kl-d.Delta)) }
