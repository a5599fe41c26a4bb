package rl

import (
	"fmt"
	"math"
)

// KL-regularised RL as Bayesian inference (Korbak, Perez and Buckley, "RL
// with KL penalties is better viewed as Bayesian inference", arXiv
// 2205.11275; card D6).
//
// KL-regularised RL maximises J(theta) = E_{pi_theta}[r(y)] - beta KL(pi_theta
// || pi_0), whose unique optimum is the reward-tilted prior
//
//	pi*(y) = pi_0(y) exp(r(y)/beta) / Z,   Z = sum_y pi_0(y) exp(r(y)/beta),
//
// and J(theta) = beta log Z - beta KL(pi_theta || pi*): maximising J is
// variational inference towards pi*. Plain RL (beta -> 0) is optimised by a
// point mass on argmax r (distribution collapse). With a binary verifier
// and p_0 = pi_0(right), Z = 1 + p_0 (e^{1/beta} - 1), the target accuracy
// is p* = p_0 e^{1/beta} / Z and within each reward level pi* keeps pi_0's
// shape. The KL to the target splits by the chain rule into
//
//	KL(pi || pi*) = KL_bin(p || p*) + p KL(pi(.|C) || pi_0(.|C)) + (1-p) KL(pi(.|W) || pi_0(.|W))
//
// (C, W: the right and the wrong answers): how much reward, and the
// collapse inside each level. A method that does not optimise J exactly
// reaches accuracy p, whose effective temperature is
// beta_eff = 1 / ln(p (1-p_0) / (p_0 (1-p))).
//
// This file has the algebra of the measurement (TargetKL over an
// enumerated answer set, its leftover mass one atom with reward 0, so the
// KLs are lower bounds of the true ones) and of two ways of approaching
// pi*: exact KL-RL (KLRLReward: REINFORCE on the sequence reward
// r - beta (log pi - log pi_0), an unbiased gradient of J with a
// leave-one-out baseline) and distribution matching (DPGWeights: the
// distributional policy gradient of Khalifa et al., minimising the forward
// KL(pi* || pi_theta) with self-normalised importance weights).

// BinaryTarget returns Z and p* for a binary reward with prior accuracy p0.
func BinaryTarget(p0, beta float64) (Z, pStar float64) {
	e := math.Exp(1 / beta)
	Z = 1 + p0*(e-1)
	return Z, p0 * e / Z
}

// EffectiveBeta is the beta whose target accuracy is p, from prior
// accuracy p0 (+Inf when p == p0, negative when p < p0).
func EffectiveBeta(p, p0 float64) float64 {
	return 1 / math.Log(p*(1-p0)/(p0*(1-p)))
}

// BinaryKL is KL(Bernoulli(p) || Bernoulli(q)).
func BinaryKL(p, q float64) float64 {
	return xlogy(p, q) + xlogy(1-p, 1-q)
}

// xlogy is x log(x/y), 0 at x = 0.
func xlogy(x, y float64) float64 {
	if x <= 0 {
		return 0
	}
	return x * math.Log(x/y)
}

// TargetReport is the policy against the tilted target over an enumerated
// answer set (plus the rest atom).
type TargetReport struct {
	P, P0, PStar float64 // accuracy of the policy, the prior and the target
	KL           float64 // KL(pi || pi*)
	KLPrior      float64 // KL(pi_0 || pi*): where the policy started
	KLBin        float64 // KL_bin(p || p*)
	KLRight      float64 // KL(pi(.|C) || pi_0(.|C))
	KLWrong      float64 // KL(pi(.|W) || pi_0(.|W)) (W includes the rest atom)
	HRight       float64 // entropy of pi(.|C)
	HRight0      float64 // entropy of pi_0(.|C)
	TopRight     float64 // largest pi(y|C)
	Rest         float64 // the policy's mass outside the set
	LogZ         float64 // log Z
	J            float64 // E_pi[r] - beta KL(pi || pi_0) = beta log Z - beta KL(pi || pi*)
	BetaEff      float64 // the beta whose target accuracy is P
}

// TargetKL compares a policy pi with the target pi* built from the prior
// pi0 and binary rewards r over an enumerated set. pi and pi0 hold the
// probabilities of the set's answers (their sums at most 1: the remainder
// is the rest atom, reward 0).
func TargetKL(pi, pi0, r []float64, beta float64) (TargetReport, error) {
	if len(pi) != len(pi0) || len(pi) != len(r) || beta <= 0 {
		return TargetReport{}, fmt.Errorf("kl target: %d, %d, %d values, beta %v", len(pi), len(pi0), len(r), beta)
	}
	var rep TargetReport
	var s, s0 float64
	for i := range pi {
		s, s0 = s+pi[i], s0+pi0[i]
		if r[i] > 0 {
			rep.P, rep.P0 = rep.P+pi[i], rep.P0+pi0[i]
		}
	}
	rest, rest0 := math.Max(0, 1-s), math.Max(0, 1-s0)
	rep.Rest = rest
	e := math.Exp(1 / beta)
	Z := rest0
	for i := range pi0 {
		Z += pi0[i] * math.Exp(r[i]/beta)
	}
	rep.LogZ = math.Log(Z)
	rep.PStar = rep.P0 * e / Z
	star := func(i int) float64 { return pi0[i] * math.Exp(r[i]/beta) / Z }
	var klPrior0 float64 // KL(pi || pi_0)
	for i := range pi {
		rep.KL += xlogy(pi[i], star(i))
		rep.KLPrior += xlogy(pi0[i], star(i))
		klPrior0 += xlogy(pi[i], pi0[i])
		if r[i] > 0 && rep.P > 0 {
			c, c0 := pi[i]/rep.P, pi0[i]/rep.P0
			rep.KLRight += xlogy(c, c0)
			rep.HRight -= xlogy(c, 1)
			rep.HRight0 -= xlogy(c0, 1)
			rep.TopRight = math.Max(rep.TopRight, c)
		} else if r[i] <= 0 && rep.P < 1 {
			rep.KLWrong += xlogy(pi[i]/(1-rep.P), pi0[i]/(1-rep.P0))
		}
	}
	rep.KL += xlogy(rest, rest0/Z)
	rep.KLPrior += xlogy(rest0, rest0/Z)
	klPrior0 += xlogy(rest, rest0)
	if rep.P < 1 {
		rep.KLWrong += xlogy(rest/(1-rep.P), rest0/(1-rep.P0))
	}
	// The conditionals of a level the policy never reaches are undefined;
	// their terms weigh 0 in the chain rule and are reported as 0.
	rep.KLBin = BinaryKL(rep.P, rep.PStar)
	rep.J = rep.P - beta*klPrior0
	rep.BetaEff = EffectiveBeta(rep.P, rep.P0)
	return rep, nil
}

// KLRLReward is exact KL-RL's sequence reward r - beta (log pi_old(y) -
// log pi_0(y)) (k1 summed over the response: its expectation is the KL).
func KLRLReward(r, seqLogp, seqLogp0, beta float64) float64 {
	return r - beta*(seqLogp-seqLogp0)
}

// DPGWeights are the self-normalised importance weights of the target
// over a group of samples from pi_old, w_i ∝ pi_0(y_i) e^{r_i/beta} /
// pi_old(y_i), summing to 1. The distributional policy gradient of the
// forward KL(pi* || pi_theta) is -sum_i w_i grad log pi_theta(y_i); with
// advantages A_i = n w_i - 1 (a zero-mean baseline) the loop's policy
// gradient is that step, scaled by n.
func DPGWeights(r, seqLogpOld, seqLogp0 []float64, beta float64) []float64 {
	w := make([]float64, len(r))
	m := math.Inf(-1)
	for i := range r {
		w[i] = seqLogp0[i] + r[i]/beta - seqLogpOld[i]
		m = math.Max(m, w[i])
	}
	var s float64
	for i := range w {
		w[i] = math.Exp(w[i] - m)
		s += w[i]
	}
	for i := range w {
		w[i] /= s
	}
	return w
}
