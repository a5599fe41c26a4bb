package run

// Evaluation figures of preference games (tasks that are a
// task.Preference, e.g. duel), for every recipe on such a task: the
// policy's win rate against the frozen reference policy, its worst case
// over the game's pure strategies (the Minimax Winner maximises it; 0.5
// at a Nash equilibrium of a symmetric game), its win rate against each
// pure strategy (so the worst case of a mixture of evaluated policies,
// e.g. the average iterate, can be computed afterwards) and the share of
// each strategy in its samples.

import (
	"github.com/autodidact-rl/autodidact/task"
)

// preferenceFigures computes win_rate_ref (mean P(policy ≻ reference)
// over each problem's policy × reference samples, positions
// symmetrised), worst_win_rate (min over strategies s of the mean
// P(policy ≻ s)), vs_<class> (that mean for each strategy) and
// share_<class> (share_none: no strategy) from the
// evaluation's policy completions texts[i] of problem ps[i].
func (ru *runner) preferenceFigures(pref task.Preference, ps []task.Problem, texts [][]string) (map[string]float64, error) {
	c := ru.r.Eval
	out := map[string]float64{}
	if len(ps) == 0 {
		return out, nil
	}
	sym := func(p task.Problem, a, b string) float64 {
		return (pref.Prefer(p, a, b) + 1 - pref.Prefer(p, b, a)) / 2
	}
	if ru.ref != nil {
		refs, err := referenceSamples(ru, ps, c.Samples, c.Temperature, c.MaxNewTokens, 0x65766133)
		if err != nil {
			return nil, err
		}
		var win float64
		for i, p := range ps {
			var s, n float64
			for _, a := range texts[i] {
				for _, b := range refs[i] {
					s += sym(p, a, b)
					n++
				}
			}
			if n > 0 {
				win += s / n / float64(len(ps))
			}
		}
		out["win_rate_ref"] = win
	}
	strat := pref.Strategies(ps[0])
	worst := 2.0
	for k := range strat {
		var s float64
		for i, p := range ps {
			st := pref.Strategies(p)
			if k >= len(st) || len(texts[i]) == 0 {
				continue
			}
			var m float64
			for _, a := range texts[i] {
				m += sym(p, a, st[k])
			}
			s += m / float64(len(texts[i])) / float64(len(ps))
		}
		worst = min(worst, s)
		out["vs_"+pref.Class(strat[k])] = s
	}
	if len(strat) > 0 {
		out["worst_win_rate"] = worst
	}
	var total float64
	counts := map[string]float64{}
	for _, s := range strat {
		counts[pref.Class(s)] = 0
	}
	for i := range ps {
		for _, a := range texts[i] {
			counts[pref.Class(a)]++
			total++
		}
	}
	for k, v := range counts {
		if k == "" {
			k = "none"
		}
		out["share_"+k] = v / max(total, 1)
	}
	return out, nil
}
