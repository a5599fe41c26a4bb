package rl

// RLOOAdvantages computes REINFORCE Leave-One-Out advantages: each sample's
// baseline is the mean reward of the other samples of its group,
//
//	A_i = R_i - 1/(G-1) * sum_{j != i} R_j  =  G/(G-1) * (R_i - mean_g R).
//
// A singleton group has no other samples; its advantage is R_i.
func RLOOAdvantages(rewards []float64, groups [][]int) []float64 {
	adv := make([]float64, len(rewards))
	for _, g := range groups {
		if len(g) == 1 {
			adv[g[0]] = rewards[g[0]]
			continue
		}
		var sum float64
		for _, i := range g {
			sum += rewards[i]
		}
		for _, i := range g {
			adv[i] = rewards[i] - (sum-rewards[i])/float64(len(g)-1)
		}
	}
	return adv
}
