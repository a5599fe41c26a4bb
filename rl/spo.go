package rl

// SPO — Self-Play Preference Optimization ("A Minimaximalist Approach to
// Reinforcement Learning from Human Feedback", Swamy et al., ICML 2024;
// card B13). No reward model and no adversary: each of the N samples
// y_1..y_N of a prompt x, drawn from the current policy, is rewarded by
// its win rate against the other samples of its group under a
// preference function P(y_i ≻ y_j | x) in [0, 1] (ties 0.5):
//
//	R_i = 1/(N-1) · Σ_{j≠i} P_ij
//
// and any policy-gradient method optimises R (here the loop's outcome
// estimator, GRPO by default). The fixed point of this self-play is the
// Minimax Winner of P (the symmetric Nash equilibrium of the preference
// game), which exists and is robust when P is non-transitive and has no
// Condorcet winner, where a Bradley-Terry reward model has no consistent
// fit. A position-biased judge J(a, b) is symmetrised (CHOICE, knob
// symmetrize_positions) as
//
//	P_ij = (J(i, j) + 1 - J(j, i)) / 2.
//
// Including the self-comparison P_ii = 1/2 (knob include_self) gives
// R_i = (Σ_{j≠i} P_ij + 1/2) / N, an affine map of the same ranking that
// the group baseline cancels up to scale. A perfectly intransitive triple
// (1 ≻ 2 ≻ 3 ≻ 1) gets R = (1/2, 1/2, 1/2): no update.

// SymmetrizePreference returns P_ij = (J[i][j] + 1 - J[j][i]) / 2 for a
// judge matrix J (J[i][j]: the judge's P(i ≻ j) with i in the first
// position); the diagonal is 1/2.
func SymmetrizePreference(J [][]float64) [][]float64 {
	n := len(J)
	P := make([][]float64, n)
	for i := range P {
		P[i] = make([]float64, n)
		for j := range P[i] {
			if i == j {
				P[i][j] = 0.5
				continue
			}
			P[i][j] = (J[i][j] + 1 - J[j][i]) / 2
		}
	}
	return P
}

// SPORewards returns each sample's win rate against the others of its
// group, R_i = mean_{j≠i} P[i][j], or with includeSelf the mean over all
// j with P_ii = 1/2. A group of one gets 1/2.
func SPORewards(P [][]float64, includeSelf bool) []float64 {
	n := len(P)
	R := make([]float64, n)
	for i := range P {
		var s float64
		for j := range P[i] {
			if j != i {
				s += P[i][j]
			}
		}
		switch {
		case includeSelf:
			R[i] = (s + 0.5) / float64(n)
		case n > 1:
			R[i] = s / float64(n-1)
		default:
			R[i] = 0.5
		}
	}
	return R
}

// WinRate is the mean of P over its entries: P(rows ≻ columns) when the
// rows are one policy's samples and the columns another's.
func WinRate(P [][]float64) float64 {
	var s, n float64
	for _, row := range P {
		for _, v := range row {
			s += v
			n++
		}
	}
	if n == 0 {
		return 0.5
	}
	return s / n
}
