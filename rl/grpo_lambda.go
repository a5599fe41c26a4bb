package rl

import (
	"math"
	"sort"
)

// GRPO-λ ("Stable RL for Efficient Reasoning", card 16): a length penalty
// destabilises GRPO on hard prompts, so it is switched on only for the
// most-solved groups of a batch. Groups are ranked by correctness ratio
// acc_g; the first ceil(lambda * B) groups (all groups tied with the
// boundary value included, CHOICE; never a group with acc_g = 0, CHOICE)
// get the Kimi-1.5 length-penalised reward (CHOICE)
//
//	l_i = 0.5 - (L_i - L_min) / (L_max - L_min)   (0 when L_max = L_min)
//	R_i = 1 + l_i if correct,   R_i = min(0, l_i) if wrong
//
// with L_min, L_max the group's shortest and longest responses; the other
// groups keep R_i = 1[correct]. The GRPO advantage follows on whichever
// reward each group got.
func GRPOLambdaRewards(correct []bool, lengths []int, groups [][]int, topFrac float64) (rewards []float64, penalised []bool) {
	rewards = make([]float64, len(correct))
	for i, c := range correct {
		if c {
			rewards[i] = 1
		}
	}
	acc := make([]float64, len(groups))
	order := make([]int, len(groups))
	for k, g := range groups {
		for _, i := range g {
			if correct[i] {
				acc[k]++
			}
		}
		acc[k] /= float64(len(g))
		order[k] = k
	}
	sort.SliceStable(order, func(a, b int) bool { return acc[order[a]] > acc[order[b]] })
	cut := int(math.Ceil(topFrac * float64(len(groups))))
	penalised = make([]bool, len(groups))
	for rank, k := range order {
		if acc[k] == 0 {
			break
		}
		if rank >= cut && (cut == 0 || acc[k] != acc[order[cut-1]]) {
			break
		}
		penalised[k] = true
		lo, hi := math.MaxInt, math.MinInt
		for _, i := range groups[k] {
			lo, hi = min(lo, lengths[i]), max(hi, lengths[i])
		}
		for _, i := range groups[k] {
			l := 0.0
			if hi > lo {
				l = 0.5 - float64(lengths[i]-lo)/float64(hi-lo)
			}
			if correct[i] {
				rewards[i] = 1 + l
			} else {
				rewards[i] = math.Min(0, l)
			}
		}
	}
	return rewards, penalised
}
