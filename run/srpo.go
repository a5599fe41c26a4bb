package run

// SRPO plug-in (card B4; algebra in rl/srpo.go): a reward hook that gives
// each failed sample a progress reward from how close its embedding is to
// the successful samples of its group (group_key problem: the prompt's
// group; batch: the whole step), successes keeping 1. The embedding
// (CHOICE, the card's "frozen trajectory encoder"): the mean over the
// policy's tokens of the frozen reference model's last residual stream
// (lm.Model.Residual). Metrics: srpo_fail_reward (mean over the step's
// failures), srpo_mixed_groups (share of groups with both outcomes).

import (
	"github.com/autodidact-rl/autodidact/rl"
)

func init() {
	registerMethod("srpo", "SRPO: failed samples rewarded by their embedding's closeness to the group's own successes",
		rl.SRPO{Eps: 0.5, MinSamples: 2, Steepness: 10, Offset: 0.5, FailScale: 0.6, GroupKey: "problem"},
		func(c *rl.SRPO, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return &srpo{*c}, nil
		}, "sft.steps=4")
}

type srpo struct{ c rl.SRPO }

func (*srpo) name() string { return "srpo" }

// embed returns each sample's mean last-layer residual under the frozen
// reference model.
func (s *srpo) embed(ru *runner, xs []sample) ([][]float64, error) {
	b, starts := ru.trainBatch(xs)
	if _, err := ru.ref.Score(b); err != nil {
		return nil, err
	}
	h, err := ru.ref.Residual(len(ru.ref.Layers) - 1)
	if err != nil {
		return nil, err
	}
	d := ru.ref.Cfg.HiddenSize
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = make([]float64, d)
		for _, p := range x.pos {
			row := h[(starts[i]+p)*d : (starts[i]+p+1)*d]
			for j, v := range row {
				out[i][j] += float64(v) / float64(len(x.pos))
			}
		}
	}
	return out, nil
}

func (s *srpo) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	if len(xs) == 0 {
		return nil
	}
	groups := rl.Groups(len(xs), ru.r.RL.GroupSize)
	if s.c.GroupKey == "batch" {
		all := make([]int, len(xs))
		for i := range all {
			all[i] = i
		}
		groups = [][]int{all}
	}
	mixed := 0
	for _, g := range groups {
		var ok, bad bool
		for _, i := range g {
			ok, bad = ok || xs[i].correct, bad || !xs[i].correct
		}
		if ok && bad {
			mixed++
		}
	}
	m["srpo_mixed_groups"] = float64(mixed) / float64(len(groups))
	m["srpo_fail_reward"] = 0.0
	if mixed == 0 { // successes keep 1 and failures 0: nothing to embed
		return nil
	}
	emb, err := s.embed(ru, xs)
	if err != nil {
		return err
	}
	var fail float64
	nf := 0
	for _, g := range groups {
		succ := make([]bool, len(g))
		ge := make([][]float64, len(g))
		for k, i := range g {
			succ[k], ge[k] = xs[i].correct, emb[i]
		}
		for k, r := range s.c.Rewards(succ, ge) {
			xs[g[k]].reward = r
			if !succ[k] {
				fail += r
				nf++
			}
		}
	}
	if nf > 0 {
		m["srpo_fail_reward"] = fail / float64(nf)
	}
	return nil
}
