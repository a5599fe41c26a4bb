package rl

import (
	"fmt"
	"math"
)

// ORPO — occupancy-regularised policy optimisation (Laidlaw, Singhal and
// Dragan, "Correlated Proxies: A New Definition and Improved Mitigation for
// Reward Hacking", arXiv 2403.03185; card D7; the LM form of
// cassidylaidlaw/llm_optimization modeling.py).
//
// A proxy reward R~ is good relative to a base policy when it correlates
// with the true reward R on the base policy's occupancy measure; optimising
// R~ hacks it when the policy moves to where the correlation breaks. The
// paper bounds the true improvement below by a multiple of the proxy
// improvement minus a multiple of sqrt(chi2(mu_pi || mu_base)), so it
// regularises J_proxy(pi) - lambda sqrt(chi2) instead of an action KL.
//
// For LM responses the occupancy ratio is the sequence likelihood ratio.
// Per sampled response i, with the sequence log-ratio
//
//	L_i = sum_t m_t (log pi_theta(y_t) - log pi_ref(y_t))     (pi_ref = base)
//
// and a clip c (LogRatioClip) that keeps the exponentials finite,
//
//	a(L) = e^L - 1                  (L >= c: e^c (1 + L - c) - 1)
//	b(L) = e^-L - 1                 (L <= -c: e^c (1 - L - c) - 1)
//
// the batch estimates are
//
//	chi2^ = mean_i [a(L_i) + b(L_i)]   (E_pi[pi/pi_ref] - 1; b is a zero-mean control variate)
//	KL^   = mean_i [L_i + b(L_i)]      (the sequence-level k3)
//
// and the regulariser added to the policy loss is lambda * sqrt(max(chi2^,
// Chi2Floor)) (RegType sqrt_chi2), lambda * chi2^ (chi2) or lambda * KL^
// (kl: the action-KL baseline). Gradients flow through L only. The code
// also keeps the usual per-token KL reward penalty with the same lambda:
// here that is the loop's rl.kl_coef with rl.kl_in_reward (off unless set:
// a CHOICE, so the comparison isolates the regulariser).
type ORPO struct {
	RegType      string  `json:"reg_type" yaml:"reg_type"`             // none, kl, chi2, sqrt_chi2
	Coef         float64 `json:"coef" yaml:"coef"`                     // lambda
	LogRatioClip float64 `json:"log_ratio_clip" yaml:"log_ratio_clip"` // c
	Chi2Floor    float64 `json:"chi2_floor" yaml:"chi2_floor"`         // sqrt's argument is floored here (no gradient below)
}

// Validate reports a configuration ORPO cannot use.
func (o ORPO) Validate() error {
	switch o.RegType {
	case "none", "kl", "chi2", "sqrt_chi2":
	default:
		return fmt.Errorf("reg_type %q: want none, kl, chi2 or sqrt_chi2", o.RegType)
	}
	if o.Coef < 0 || o.LogRatioClip <= 0 || o.Chi2Floor <= 0 {
		return fmt.Errorf("coef >= 0, log_ratio_clip > 0 and chi2_floor > 0 (got %v, %v, %v)", o.Coef, o.LogRatioClip, o.Chi2Floor)
	}
	return nil
}

// ratioTerms returns a(L) + b(L) and L + b(L) with their derivatives.
func (o ORPO) ratioTerms(L float64) (chi, dchi, kl, dkl float64) {
	c := o.LogRatioClip
	var a, da, b, db float64
	if L >= c {
		a, da = math.Exp(c)*(1+L-c)-1, math.Exp(c)
	} else {
		a, da = math.Exp(L)-1, math.Exp(L)
	}
	if L <= -c {
		b, db = math.Exp(c)*(1-L-c)-1, -math.Exp(c)
	} else {
		b, db = math.Exp(-L)-1, -math.Exp(-L)
	}
	return a + b, da + db, L + b, 1 + db
}

// Estimates returns chi2^ and KL^ over a batch of sequence log-ratios.
func (o ORPO) Estimates(L []float64) (chi2, kl float64) {
	for _, l := range L {
		c, _, k, _ := o.ratioTerms(l)
		chi2 += c
		kl += k
	}
	n := float64(max(len(L), 1))
	return chi2 / n, kl / n
}

// Regularizer returns the regulariser's value over a batch of sequence
// log-ratios and its derivative with respect to each L_i.
func (o ORPO) Regularizer(L []float64) (value float64, dL []float64) {
	dL = make([]float64, len(L))
	if o.RegType == "none" || len(L) == 0 {
		return 0, dL
	}
	chi2, kl := o.Estimates(L)
	n := float64(len(L))
	for i, l := range L {
		_, dc, _, dk := o.ratioTerms(l)
		switch o.RegType {
		case "kl":
			dL[i] = o.Coef * dk / n
		case "chi2":
			dL[i] = o.Coef * dc / n
		case "sqrt_chi2":
			if chi2 > o.Chi2Floor {
				dL[i] = o.Coef * dc / (2 * math.Sqrt(chi2)) / n
			}
		}
	}
	switch o.RegType {
	case "kl":
		return o.Coef * kl, dL
	case "chi2":
		return o.Coef * chi2, dL
	}
	return o.Coef * math.Sqrt(math.Max(chi2, o.Chi2Floor)), dL
}
