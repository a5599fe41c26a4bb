package rl

import (
	"math/rand/v2"
	"sort"
)

// DeepSeek-GRM / SPCT (card B15): a pointwise generative reward model
// writes principles, a critique of each of n responses, and an integer
// score S_i in 1..10 per response. Training: (1) rejective fine-tuning
// (RFT) — sample N judgements per labelled item, keep those whose scores
// are "correct" (the labelled best response strictly above every other),
// drop items whose samples are all correct (too easy), and fine-tune on
// the kept ones by likelihood; (2) rule-based online RL — GRPO with
// reward +1 for a correct judgement and -1 otherwise (unparseable
// included), no format reward. Inference-time scaling: sample k
// judgements and vote, S_i* = sum_j S_{i,j}, best = argmax_i S_i*;
// guided by a meta reward model, only the k_meta judgements it scores
// highest vote.
//
// CHOICEs (knobs): ties in the vote get fractional credit (1/|tied| when
// the right response is among them); a judgement that does not parse
// does not vote, and a vote with no valid judgement is wrong.

// RFTKeep says which of an item's N sampled judgements rejective
// fine-tuning keeps: the correct ones, unless every one is correct (the
// item is too easy) — then none.
func RFTKeep(correct []bool) []bool {
	keep := make([]bool, len(correct))
	all := len(correct) > 0
	for _, c := range correct {
		all = all && c
	}
	if all {
		return keep
	}
	copy(keep, correct)
	return keep
}

// GRMReward is the rule-based reward: +1 for a correct judgement, wrong
// (card: -1) otherwise.
func GRMReward(correct bool, wrong float64) float64 {
	if correct {
		return 1
	}
	return wrong
}

// Vote sums the scores of the judgements that vote (scores[j] nil: the
// judgement did not parse; all others have one score per response). With
// meta non-nil and kMeta > 0 only the kMeta valid judgements with the
// highest meta score vote (ties in meta score: sampling order). It
// returns the summed scores and the responses with the top sum (empty
// when no judgement voted).
func Vote(scores [][]int, meta []float64, kMeta int) (sums []int, top []int) {
	var valid []int
	for j, s := range scores {
		if s != nil {
			valid = append(valid, j)
		}
	}
	if meta != nil && kMeta > 0 && kMeta < len(valid) {
		sort.SliceStable(valid, func(a, b int) bool { return meta[valid[a]] > meta[valid[b]] })
		valid = valid[:kMeta]
	}
	for _, j := range valid {
		if sums == nil {
			sums = make([]int, len(scores[j]))
		}
		for i, v := range scores[j] {
			if i < len(sums) {
				sums[i] += v
			}
		}
	}
	best := -1
	for i, v := range sums {
		switch {
		case best < 0 || v > sums[best]:
			best, top = i, []int{i}
		case v == sums[best]:
			top = append(top, i)
		}
	}
	return sums, top
}

// VoteCredit is a vote's credit for the right response: 1/|top| when it
// is among the top-summed responses, else 0.
func VoteCredit(top []int, right int) float64 {
	for _, i := range top {
		if i == right {
			return 1 / float64(len(top))
		}
	}
	return 0
}

// VoteAtK is the expected credit of voting with k of an item's n sampled
// judgements, averaged over every subset of size k (or, when there are
// more than maxSubsets, over maxSubsets random ones drawn from seed).
// meta and kMetaFrac (k_meta = max(1, round(k * kMetaFrac))) guide the
// vote when meta is non-nil.
func VoteAtK(scores [][]int, meta []float64, kMetaFrac float64, right, k, maxSubsets int, seed uint64) float64 {
	n := len(scores)
	if k < 1 || k > n {
		return 0
	}
	kMeta := 0
	if meta != nil {
		kMeta = max(1, int(float64(k)*kMetaFrac+0.5))
	}
	credit := func(idx []int) float64 {
		sub := make([][]int, len(idx))
		var m []float64
		if meta != nil {
			m = make([]float64, len(idx))
		}
		for a, j := range idx {
			sub[a] = scores[j]
			if meta != nil {
				m[a] = meta[j]
			}
		}
		_, top := Vote(sub, m, kMeta)
		return VoteCredit(top, right)
	}
	if binom(n, k) <= float64(maxSubsets) {
		var sum float64
		count := 0
		idx := make([]int, k)
		var rec func(start, depth int)
		rec = func(start, depth int) {
			if depth == k {
				sum += credit(idx)
				count++
				return
			}
			for j := start; j <= n-(k-depth); j++ {
				idx[depth] = j
				rec(j+1, depth+1)
			}
		}
		rec(0, 0)
		return sum / float64(count)
	}
	r := rand.New(rand.NewPCG(seed, 0x677276))
	var sum float64
	for range maxSubsets {
		sum += credit(r.Perm(n)[:k])
	}
	return sum / float64(maxSubsets)
}

func binom(n, k int) float64 {
	v := 1.0
	for i := 1; i <= k; i++ {
		v = v * float64(n-k+i) / float64(i)
	}
	return v
}
