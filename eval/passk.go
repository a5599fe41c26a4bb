// Package eval measures policies: the unbiased pass@k estimator and its
// curve over k (the reasoning-boundary view), majority voting (maj@k), and
// mean response length, over held-out problems.
package eval

import (
	"math"
	"math/rand/v2"
)

// PassAtK is the unbiased estimator of the probability that at least one
// of k samples is correct, given n >= k samples of which c are correct
// (Chen et al., 2021):
//
//	pass@k = 1 - C(n-c, k) / C(n, k) = 1 - prod_{i=n-c+1}^{n} (1 - k/i)
//
// computed in the stable product form; 1 when n - c < k.
func PassAtK(n, c, k int) float64 {
	if k <= 0 || n < k {
		return math.NaN()
	}
	if n-c < k {
		return 1
	}
	p := 1.0
	for i := n - c + 1; i <= n; i++ {
		p *= 1 - float64(k)/float64(i)
	}
	return 1 - p
}

// TieRule decides maj@k when several answers share the most votes.
type TieRule string

// Tie rules: fractional credit (#correct among tied / #tied, the CHOICE
// default) or the first-seen answer wins.
const (
	TieFractional TieRule = "fractional"
	TieFirstSeen  TieRule = "first_seen"
)

// Vote is one sample's normalised final answer ("" for none: it does not
// vote) and whether it is correct.
type Vote struct {
	Answer  string
	Correct bool
}

// Majority scores a plurality vote over votes: 1 if the most frequent
// answer is correct, with ties resolved by rule; 0 if nobody voted.
func Majority(votes []Vote, rule TieRule) float64 {
	count := map[string]int{}
	correct := map[string]bool{}
	var order []string
	best := 0
	for _, v := range votes {
		if v.Answer == "" {
			continue
		}
		if count[v.Answer] == 0 {
			order = append(order, v.Answer)
		}
		count[v.Answer]++
		correct[v.Answer] = correct[v.Answer] || v.Correct
		best = max(best, count[v.Answer])
	}
	var tied []string
	for _, a := range order {
		if count[a] == best {
			tied = append(tied, a)
		}
	}
	if len(tied) == 0 {
		return 0
	}
	if rule == TieFirstSeen {
		if correct[tied[0]] {
			return 1
		}
		return 0
	}
	n := 0
	for _, a := range tied {
		if correct[a] {
			n++
		}
	}
	return float64(n) / float64(len(tied))
}

// MajAtK estimates maj@k from n >= k votes by averaging Majority over m
// random k-subsets (drawn from a fixed seed), or over all subsets when
// there are at most m.
func MajAtK(votes []Vote, k, m int, rule TieRule, seed uint64) float64 {
	n := len(votes)
	if k <= 0 || n < k {
		return math.NaN()
	}
	if k == n {
		return Majority(votes, rule)
	}
	if binom(n, k) <= float64(m) {
		var sum float64
		var cnt int
		idx := make([]int, k)
		var rec func(start, depth int)
		rec = func(start, depth int) {
			if depth == k {
				sub := make([]Vote, k)
				for i, j := range idx {
					sub[i] = votes[j]
				}
				sum += Majority(sub, rule)
				cnt++
				return
			}
			for j := start; j <= n-(k-depth); j++ {
				idx[depth] = j
				rec(j+1, depth+1)
			}
		}
		rec(0, 0)
		return sum / float64(cnt)
	}
	r := rand.New(rand.NewPCG(seed, uint64(k)))
	var sum float64
	sub := make([]Vote, k)
	for s := 0; s < m; s++ {
		perm := r.Perm(n)
		for i := 0; i < k; i++ {
			sub[i] = votes[perm[i]]
		}
		sum += Majority(sub, rule)
	}
	return sum / float64(m)
}

func binom(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}
