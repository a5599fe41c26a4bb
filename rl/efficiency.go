package rl

import (
	"fmt"
	"math"
)

// Self-Rewarded Efficiency RL (card B9, "Efficiency Steering" arXiv
// 2506.15647, part B; paper/secondary, no code seen: the formulas are the
// card's reconstruction, CHOICE throughout). GRPO whose length reference is
// the model's own group: for a correct response i of a group whose correct
// responses have lengths L_min..L_max,
//
//	R_i = r_i + w_g * (L_max - L_i) / (L_max - L_min)
//	w_g = w0 * acc_g                      (scale_by_acc; w0 otherwise)
//
// with acc_g the group's share of correct responses and r_i the verifier's
// reward (1 on a correct answer, so R_i = 1 + bonus as the card writes it;
// adding to r_i rather than replacing it by 1 is a CHOICE that keeps other
// reward shaping). The bonus is 0 when the group has fewer than two correct
// responses or L_max = L_min; incorrect responses keep r_i (0 on the card).
// The shortest correct response gets the whole w_g, the longest none, so
// length pressure fades on hard prompts (small acc_g). CHOICEs kept as
// knobs: w0 = 0.5, scale_by_acc, len_unit (tokens: the policy's generated
// tokens, EOS included; chars: the decoded completion's characters).
type Efficiency struct {
	W0         float64 `yaml:"w0"`
	ScaleByAcc bool    `yaml:"scale_by_acc"`
	LenUnit    string  `yaml:"len_unit"`
}

// Validate checks the knobs.
func (c Efficiency) Validate() error {
	if c.W0 < 0 || math.IsNaN(c.W0) || math.IsInf(c.W0, 0) {
		return fmt.Errorf("w0 %v must be finite and >= 0", c.W0)
	}
	if c.LenUnit != "tokens" && c.LenUnit != "chars" {
		return fmt.Errorf("len_unit %q must be tokens or chars", c.LenUnit)
	}
	return nil
}

// Bonuses returns each sample's efficiency bonus w_g * (L_max - L_i) /
// (L_max - L_min) (0 on incorrect samples) and each group's weight w_g.
func (c Efficiency) Bonuses(correct []bool, lengths []int, groups [][]int) (bonus, w []float64) {
	bonus = make([]float64, len(correct))
	w = make([]float64, len(groups))
	for k, g := range groups {
		n, lo, hi := 0, math.MaxInt, math.MinInt
		for _, i := range g {
			if correct[i] {
				n++
				lo, hi = min(lo, lengths[i]), max(hi, lengths[i])
			}
		}
		if len(g) == 0 {
			continue
		}
		w[k] = c.W0
		if c.ScaleByAcc {
			w[k] *= float64(n) / float64(len(g))
		}
		if n < 2 || hi == lo {
			continue
		}
		for _, i := range g {
			if correct[i] {
				bonus[i] = w[k] * float64(hi-lengths[i]) / float64(hi-lo)
			}
		}
	}
	return bonus, w
}
