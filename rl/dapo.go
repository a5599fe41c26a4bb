package rl

// DAPO (Decoupled clip and Dynamic sAmpling Policy Optimization) adds to
// GRPO: clip-higher (Clip.EpsHigh = 0.28 > EpsLow = 0.2), token-level
// aggregation (TokenMean), no KL term, and the two functions below.

// OverlongPenalty is DAPO's soft overlong punishment added to the reward
// of a response of L tokens:
//
//	R += min(0, -(L - (L_max - L_buf)) / L_buf * factor)
//
// (0 while L <= L_max - L_buf, falling linearly to -factor at L_max).
func OverlongPenalty(L, maxLen, bufLen int, factor float64) float64 {
	if bufLen <= 0 {
		return 0
	}
	return min(0, -float64(L-(maxLen-bufLen))/float64(bufLen)*factor)
}

// Informative reports whether a group's rewards are not all equal. DAPO's
// dynamic sampling drops groups whose samples are all right or all wrong
// (their group-relative advantage is zero) and keeps sampling until the
// batch is full, up to a cap on generation rounds.
func Informative(rewards []float64, group []int) bool {
	for _, i := range group[1:] {
		if rewards[i] != rewards[group[0]] {
			return true
		}
	}
	return false
}
