package rl

import (
	"fmt"
	"math"
)

// KLEstimator names an estimator of KL(pi_theta || pi_ref) from samples of
// pi_theta, with u = logp_ref - logp:
//
//	k1 = -u                 (unbiased, high variance, can be negative)
//	k2 = u^2 / 2            (its gradient is the reverse-KL gradient)
//	k3 = exp(u) - 1 - u     (unbiased, >= 0; clamped to [-10, 10] like verl's low_var_kl)
//	k3+                     value of k3 with the gradient of k2 (straight-through)
type KLEstimator string

// The estimators.
const (
	K1     KLEstimator = "k1"
	K2     KLEstimator = "k2"
	K3     KLEstimator = "k3"
	K3Plus KLEstimator = "k3+"
)

// ParseKLEstimator validates a name.
func ParseKLEstimator(s string) (KLEstimator, error) {
	switch e := KLEstimator(s); e {
	case K1, K2, K3, K3Plus:
		return e, nil
	}
	return "", fmt.Errorf("kl_estimator %q: want k1, k2, k3 or k3+", s)
}

// Token returns the estimator's value for one token and its derivative
// with respect to logp.
func (e KLEstimator) Token(logp, logpRef float64) (value, dLogp float64) {
	u := logpRef - logp
	switch e {
	case K1:
		return -u, 1
	case K2:
		return u * u / 2, -u
	case K3Plus:
		return math.Min(math.Max(math.Exp(u)-1-u, -10), 10), -u
	}
	v := math.Exp(u) - 1 - u
	if v > 10 {
		return 10, 0
	}
	return v, 1 - math.Exp(u) // d/dlogp of exp(u) - 1 - u, du/dlogp = -1
}
