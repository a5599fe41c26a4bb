package run

// ORPO plug-in (card D7; algebra in rl/orpo.go): adds lambda *
// sqrt(chi2^) (or chi2^, or the sequence k3 KL^) of the policy's sequence
// likelihood ratios against the reference (the base policy) to the policy
// loss of every mini-batch (miniBatchTerm). It makes the loop score the
// reference when its own KL does not (advantageHook). Whatever reg_type,
// it logs the estimates orpo_chi2 and orpo_kl (means over the step's
// mini-batches), so an unregularised run (reg_type none) shows how far the
// policy's occupancy moved. Pair it with proxy_reward to study reward
// hacking (recipes/orpo.yaml).

import (
	"github.com/autodidact-rl/autodidact/rl"
)

func init() {
	registerMethod("orpo", "ORPO: sqrt(chi2) occupancy regularisation against reward hacking of a proxy",
		rl.ORPO{RegType: "sqrt_chi2", Coef: 0.1, LogRatioClip: 10, Chi2Floor: 1e-4},
		func(c *rl.ORPO, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return &orpo{c: *c}, nil
		})
}

type orpo struct {
	c           rl.ORPO
	chi2, kl, n float64 // estimates summed over a step's mini-batches
}

func (*orpo) name() string { return "orpo" }

func (o *orpo) afterAdvantages(ru *runner, xs []sample, a *advantage, m map[string]any) error {
	if a.refLogp != nil {
		return nil
	}
	var err error
	a.refLogp, err = ru.refLogProbs(xs, nil, nil)
	return err
}

func (o *orpo) miniBatchTerm(ru *runner, mb *miniBatch) error {
	var L []float64
	var idx []int
	for i, x := range mb.xs {
		if mb.lengths[i] == 0 {
			continue
		}
		var l float64
		for t, p := range x.pos {
			if at := mb.starts[i] + p; mb.b.Mask[at] != 0 {
				l += float64(mb.sc.LogProbs[at]) - mb.adv.refLogp[mb.lo+i][t]
			}
		}
		L = append(L, l)
		idx = append(idx, i)
	}
	chi2, kl := o.c.Estimates(L)
	o.chi2, o.kl, o.n = o.chi2+chi2, o.kl+kl, o.n+1
	_, dL := o.c.Regularizer(L)
	for k, i := range idx {
		for _, p := range mb.xs[i].pos {
			if at := mb.starts[i] + p; mb.b.Mask[at] != 0 {
				mb.dlp[at] += float32(dL[k])
			}
		}
	}
	return nil
}

func (o *orpo) reportUpdate(m map[string]any, updates int) {
	if o.n > 0 {
		m["orpo_chi2"], m["orpo_kl"] = o.chi2/o.n, o.kl/o.n
	}
	o.chi2, o.kl, o.n = 0, 0, 0
}
