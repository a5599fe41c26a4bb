package rl

import "math"

// GRPOAdvantages computes Group Relative Policy Optimization advantages,
// one per sample, broadcast later to every token of the sample:
//
//	A_i = (R_i - mean_g R) / (std_g R + eps)
//
// with the unbiased (n-1) standard deviation over the group and eps = 1e-6.
// A singleton group has mean 0 and std 1 (A_i = R_i). With normByStd false
// the division is skipped (that is Dr.GRPO, see DrGRPOAdvantages).
// groups[k] lists the sample indices of group k.
func GRPOAdvantages(rewards []float64, groups [][]int, normByStd bool) []float64 {
	adv := make([]float64, len(rewards))
	for _, g := range groups {
		mean, std := groupStats(rewards, g)
		for _, i := range g {
			a := rewards[i] - mean
			if normByStd {
				a /= std + 1e-6
			}
			adv[i] = a
		}
	}
	return adv
}

// groupStats returns the mean and unbiased standard deviation of the
// rewards of one group (0 and 1 for a singleton group).
func groupStats(r []float64, g []int) (mean, std float64) {
	if len(g) == 1 {
		return 0, 1
	}
	for _, i := range g {
		mean += r[i]
	}
	mean /= float64(len(g))
	var ss float64
	for _, i := range g {
		ss += (r[i] - mean) * (r[i] - mean)
	}
	return mean, math.Sqrt(ss / float64(len(g)-1))
}

// Groups splits n samples laid out prompt by prompt (G consecutive samples
// per prompt) into index groups.
func Groups(n, G int) [][]int {
	var gs [][]int
	for s := 0; s < n; s += G {
		g := make([]int, 0, G)
		for i := s; i < min(s+G, n); i++ {
			g = append(g, i)
		}
		gs = append(gs, g)
	}
	return gs
}
