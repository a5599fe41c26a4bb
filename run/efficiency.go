package run

// Self-Rewarded Efficiency RL plug-in (card B9, part B; algebra and
// CHOICEs in rl/efficiency.go): a reward hook that adds to each correct
// sample w_g * (L_max - L_i) / (L_max - L_min), its length's position
// among the group's correct samples (the shortest gets w_g, the longest
// nothing), with w_g = w0 * acc_g so length pressure fades on hard
// prompts. Metrics: efficiency_bonus (mean bonus over the step's correct
// samples), efficiency_w (mean w_g over groups), efficiency_len_correct
// (mean length of the correct samples, in len_unit).

import (
	"unicode/utf8"

	"github.com/autodidact-rl/autodidact/rl"
)

func init() {
	registerMethod("efficiency", "Self-rewarded efficiency: a bonus for correct samples shorter than the group's longest correct one, scaled by group accuracy",
		rl.Efficiency{W0: 0.5, ScaleByAcc: true, LenUnit: "tokens"},
		func(c *rl.Efficiency, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return &efficiency{*c}, nil
		})
}

type efficiency struct{ c rl.Efficiency }

func (*efficiency) name() string { return "efficiency" }

func (e *efficiency) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	if len(xs) == 0 {
		return nil
	}
	correct := make([]bool, len(xs))
	lengths := make([]int, len(xs))
	for i, x := range xs {
		correct[i], lengths[i] = x.correct, len(x.gen)
		if e.c.LenUnit == "chars" {
			lengths[i] = utf8.RuneCountInString(ru.completionText(x.gen))
		}
	}
	groups := rl.Groups(len(xs), ru.r.RL.GroupSize)
	bonus, w := e.c.Bonuses(correct, lengths, groups)
	var sum, length float64
	n := 0
	for i := range xs {
		if correct[i] {
			xs[i].reward += bonus[i]
			sum += bonus[i]
			length += float64(lengths[i])
			n++
		}
	}
	var ws float64
	for _, v := range w {
		ws += v
	}
	m["efficiency_bonus"] = efficiencyMean(sum, n)
	m["efficiency_len_correct"] = efficiencyMean(length, n)
	m["efficiency_w"] = efficiencyMean(ws, len(w))
	return nil
}

// efficiencyMean is a/n, 0 when n is 0.
func efficiencyMean(a float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return a / float64(n)
}
