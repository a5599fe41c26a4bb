package rl

// LaSeR — last-token self-rewarding (card A6). One extra next-token
// distribution at the end of the solution gives a self-reward score
//
//	s(x, y) = beta_v * (logp_theta(z | x, y) - c)
//
// with z a fixed reserved token and c the mean of logp_ref(z | x, y) over a
// calibration batch (beta_v 0.1, the derivation's KL coefficient: CHOICE
// for our scale). Training adds alpha * mean_i (s(x, y_i) - r_v(x, y_i))^2
// to the RL loss (r_v in {0, 1}, alpha 0.1: CHOICE); at test time s reranks
// n samples (best-of-n).
type LaSeR struct {
	Alpha float64 `json:"alpha" yaml:"alpha"`
	BetaV float64 `json:"beta_v" yaml:"beta_v"`
	Token string  `json:"token" yaml:"token"`
}

// Score is s = beta_v * (logp(z) - c).
func (l LaSeR) Score(logpZ, c float64) float64 { return l.BetaV * (logpZ - c) }

// Term returns alpha * (s - r)^2 for one sample and its derivative with
// respect to logp(z): 2 * alpha * (s - r) * beta_v (the caller divides by
// the number of samples for the mean).
func (l LaSeR) Term(logpZ, c, r float64) (value, dLogpZ float64) {
	s := l.Score(logpZ, c)
	return l.Alpha * (s - r) * (s - r), 2 * l.Alpha * (s - r) * l.BetaV
}
