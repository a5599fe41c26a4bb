package rl

// SELF — curation towards low-likelihood problems ("The Reasoning Boundary
// Paradox", card A7). RLVR reinforces what the base model already solves
// and interferes elsewhere; SELF estimates each training problem's success
// rate p_hat with n samples before (and every K steps during) RL and
// trains only on problems with 0 < p_hat <= tau (filter mode; tau 0.5,
// n 8, K 50: CHOICE), or samples problems with weight proportional to
// 1 - p_hat (weight mode).

// SELFFilter returns the indices of problems with 0 < p_hat <= tau.
func SELFFilter(pHat []float64, tau float64) []int {
	var keep []int
	for i, p := range pHat {
		if p > 0 && p <= tau {
			keep = append(keep, i)
		}
	}
	return keep
}

// SELFWeights returns sampling weights proportional to 1 - p_hat,
// normalised to sum 1 (uniform if every p_hat is 1).
func SELFWeights(pHat []float64) []float64 {
	w := make([]float64, len(pHat))
	var sum float64
	for i, p := range pHat {
		w[i] = 1 - p
		sum += w[i]
	}
	for i := range w {
		if sum > 0 {
			w[i] /= sum
		} else {
			w[i] = 1 / float64(len(w))
		}
	}
	return w
}
