package rl

import (
	"fmt"
	"math"
)

// NFT — Negative-aware Fine-Tuning (Chen et al., "Bridging Supervised
// Learning and Reinforcement Learning in Math Reasoning", arXiv 2505.18116;
// card D5; the token-ratio loss of NVlabs/NFT dp_actor.py).
//
// For a question with K samples from pi_old, r = the fraction judged
// correct, clipped to [RateLo, RateHi]. NFT reads pi_old as a mixture of
// the policies of correct and of wrong answers,
//
//	pi_old = r pi+ + (1 - r) pi-,
//
// trains the model itself as pi+ by maximum likelihood on the correct
// answers, and fits the implied negative policy
//
//	pi-_theta = (pi_old - r pi+_theta) / (1 - r)
//
// to the wrong answers by maximum likelihood. Per trained token, with the
// ratio R = exp(min(log pi_theta - log pi_old, RatioLogMax)):
//
//	correct:  l+ = -log R
//	wrong:    l- = -log c(proxy),  proxy = (1 - r R) / (1 - r),
//	          c(z) = z + stopgrad(max(z, ClampNegative) - z)
//
// (the value is floored at ClampNegative, the gradient passes straight
// through; ClampPositive > 0 floors log R of correct tokens the same way).
// Each token loss is weighted by (1 - r) (Normalize 1), sqrt((1-r)/r)
// (Normalize 2) or 1 (Normalize 0), then by NegWeight for wrong answers
// (1 is NFT, 0 is RFT: rejection-sampling fine-tuning on the correct
// answers only). The loop then aggregates tokens with the recipe's
// loss_agg_mode (the code's sum / 1000 is seq-mean-token-sum-norm with a
// constant length: a CHOICE left to the recipe).
//
// On policy (R = 1) the gradients d l / d log pi are -(1-r) for correct and
// +r for wrong tokens with Normalize 1: the policy gradient with advantages
// 1-r and -r, i.e. Dr.GRPO on 0/1 rewards; with Normalize 2 they are
// -sqrt((1-r)/r) and +sqrt(r/(1-r)), GRPO with the population standard
// deviation. Off policy (several updates per batch) they differ: that is
// the paper's claim (ii) NFT >= clipped GRPO/DAPO.
//
// RatioType "sequence" uses one ratio per answer, R = exp(sum_t (log pi_theta
// - log pi_old)), with the same formulas; its gradient reaches every token
// of the answer equally.
type NFT struct {
	NegWeight     float64 `json:"neg_weight" yaml:"neg_weight"`         // weight of the negative loss (1 NFT, 0 RFT)
	RatioType     string  `json:"ratio_type" yaml:"ratio_type"`         // token or sequence
	Normalize     int     `json:"normalize" yaml:"normalize"`           // 0 none, 1 (1-r), 2 sqrt((1-r)/r)
	ClampNegative float64 `json:"clamp_negative" yaml:"clamp_negative"` // floor of the negative proxy's value
	ClampPositive float64 `json:"clamp_positive" yaml:"clamp_positive"` // floor of R's value for correct tokens (0: none)
	RateLo        float64 `json:"rate_lo" yaml:"rate_lo"`               // r is clipped to [rate_lo, rate_hi]
	RateHi        float64 `json:"rate_hi" yaml:"rate_hi"`
	RatioLogMax   float64 `json:"ratio_log_max" yaml:"ratio_log_max"` // log R is capped here
}

// DefaultNFT is the card's configuration (NFT, token ratios, Normalize 1).
func DefaultNFT() NFT {
	return NFT{NegWeight: 1, RatioType: "token", Normalize: 1, ClampNegative: 1, RateLo: 0.02, RateHi: 0.98, RatioLogMax: 10}
}

// Validate reports a configuration NFT cannot use.
func (n NFT) Validate() error {
	switch {
	case n.RatioType != "token" && n.RatioType != "sequence":
		return fmt.Errorf("ratio_type %q: want token or sequence", n.RatioType)
	case n.Normalize < 0 || n.Normalize > 2:
		return fmt.Errorf("normalize %d: want 0, 1 or 2", n.Normalize)
	case !(n.RateLo > 0 && n.RateLo <= n.RateHi && n.RateHi < 1):
		return fmt.Errorf("rate_lo, rate_hi = %v, %v: want 0 < rate_lo <= rate_hi < 1", n.RateLo, n.RateHi)
	case n.NegWeight < 0:
		return fmt.Errorf("neg_weight %v: want >= 0 (1 NFT, 0 RFT)", n.NegWeight)
	case n.ClampNegative < 0 || n.ClampPositive < 0:
		return fmt.Errorf("clamp_negative and clamp_positive must be >= 0")
	case n.RatioLogMax <= 0:
		return fmt.Errorf("ratio_log_max %v: want > 0", n.RatioLogMax)
	}
	return nil
}

// Rate clips a question's fraction of correct answers to [RateLo, RateHi].
func (n NFT) Rate(correctFrac float64) float64 {
	return math.Min(n.RateHi, math.Max(n.RateLo, correctFrac))
}

// weight is the token weight of Normalize at rate r.
func (n NFT) weight(r float64) float64 {
	switch n.Normalize {
	case 1:
		return 1 - r
	case 2:
		return math.Sqrt((1 - r) / r)
	}
	return 1
}

// Loss returns the weighted loss of one ratio (a token's, or an answer's
// for RatioType sequence) and its derivative with respect to the log-ratio
// delta = log pi_theta - log pi_old, for a question with clipped rate r.
func (n NFT) Loss(delta, r float64, correct bool) (loss, dDelta float64) {
	w := n.weight(r)
	capped := delta >= n.RatioLogMax
	ld := math.Min(delta, n.RatioLogMax)
	R := math.Exp(ld)
	if correct {
		// -log c(R) with c flooring the value at ClampPositive.
		loss = -math.Log(math.Max(R, n.ClampPositive))
		if !capped {
			// d(-log c(R))/d delta = -(1/max(R, m)) * R.
			dDelta = -R / math.Max(R, n.ClampPositive)
		}
		return w * loss, w * dDelta
	}
	proxy := (1 - r*R) / (1 - r)
	v := math.Max(proxy, n.ClampNegative)
	if v <= 0 {
		v = math.SmallestNonzeroFloat64 // proxy <= 0 with no floor: the loss is +inf; keep it finite
	}
	loss = -math.Log(v)
	if !capped {
		// d(-log c(proxy))/d delta = -(1/v) * d proxy/d delta = r R / ((1-r) v).
		dDelta = r * R / ((1 - r) * v)
	}
	return n.NegWeight * w * loss, n.NegWeight * w * dDelta
}
