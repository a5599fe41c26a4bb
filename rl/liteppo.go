package rl

import (
	"fmt"
	"math"
)

// Lite PPO ("Tricks or Traps? A Deep Dive into RL for LLM Reasoning",
// card A2): critic-free PPO with exactly two tricks, advantage
// normalisation with the group's mean and the batch's std,
//
//	A_i = (R_i - mean_{group(i)} R) / (std_batch R + eps)
//
// (unbiased n-1 std over every reward of the training batch, eps 1e-6:
// CHOICE), and token-level loss aggregation (TokenMean). The paper's other
// normalisations are kept as switches for its ablation: "group" (GRPO) and
// "batch" (A = (R - mean_batch) / std_batch).
type AdvNorm string

// Advantage normalisations.
const (
	NormGroup             AdvNorm = "group"
	NormBatch             AdvNorm = "batch"
	NormGroupMeanBatchStd AdvNorm = "group_mean_batch_std"
)

// ParseAdvNorm validates a name.
func ParseAdvNorm(s string) (AdvNorm, error) {
	switch n := AdvNorm(s); n {
	case NormGroup, NormBatch, NormGroupMeanBatchStd:
		return n, nil
	}
	return "", fmt.Errorf("adv_norm %q: want group, batch or group_mean_batch_std", s)
}

// NormalizedAdvantages computes advantages under a normalisation.
func NormalizedAdvantages(rewards []float64, groups [][]int, norm AdvNorm) []float64 {
	if norm == NormGroup {
		return GRPOAdvantages(rewards, groups, true)
	}
	all := make([]int, len(rewards))
	for i := range all {
		all[i] = i
	}
	bmean, bstd := groupStats(rewards, all)
	adv := make([]float64, len(rewards))
	if norm == NormBatch {
		for i, r := range rewards {
			adv[i] = (r - bmean) / (bstd + 1e-6)
		}
		return adv
	}
	for _, g := range groups {
		var mean float64
		for _, i := range g {
			mean += rewards[i]
		}
		mean /= float64(len(g))
		for _, i := range g {
			adv[i] = (rewards[i] - mean) / (bstd + 1e-6)
		}
	}
	if math.IsNaN(bstd) {
		clear(adv)
	}
	return adv
}
