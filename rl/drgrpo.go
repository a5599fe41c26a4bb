package rl

// DrGRPOAdvantages computes Dr.GRPO ("GRPO done right") advantages: the
// group mean is subtracted but the rewards are not divided by the group's
// standard deviation, which removes GRPO's difficulty bias:
//
//	A_i = R_i - mean_g R
//
// Pair it with the constant-normaliser aggregation AggSeqMeanTokenSumNorm,
// which removes the length bias of per-sequence token means.
func DrGRPOAdvantages(rewards []float64, groups [][]int) []float64 {
	return GRPOAdvantages(rewards, groups, false)
}
