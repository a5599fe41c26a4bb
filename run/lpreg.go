package run

// Lp-Reg plug-in (card A4; algebra in rl/lpreg.go): beta * mean KL(proxy
// || pi_theta) at low-probability positions, the proxy being the sampling
// policy's min-p-filtered distribution, built before the step's updates.

import (
	"fmt"
	"math"

	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/tensor"
)

func init() {
	registerMethod("lp_reg", "Lp-Reg: protect low-probability tokens with a KL to a filtered proxy",
		rl.LpReg{Beta: 1, Kappa: 0.02, LowProbQuantile: 0.01, OnlyNegative: true},
		func(c *rl.LpReg, r *Recipe) (method, error) {
			if c.Beta != 0 && (c.Kappa <= 0 || c.Kappa >= 1 || c.LowProbQuantile < 0 || c.LowProbQuantile > 1) {
				return nil, fmt.Errorf("kappa in (0, 1), low_prob_quantile in [0, 1]")
			}
			return &lpReg{c: *c}, nil
		}, "lp_reg.low_prob_quantile=0.5")
}

type lpReg struct {
	c       rl.LpReg
	proxies map[[2]int][]float64 // (sample, token) -> proxy distribution, for the current step
	sum     float64
}

func (*lpReg) name() string { return "lp_reg" }

// beforeUpdate scores the batch with the sampling policy (before any
// update) and builds the proxy at each selected position: sampled token
// below the batch's low-probability quantile, surviving the filter, with
// negative advantage (when configured).
func (l *lpReg) beforeUpdate(ru *runner, xs []sample, a *advantage, mbSize int, m map[string]any) error {
	l.proxies = nil
	if l.c.Beta == 0 {
		return nil
	}
	var probs []float64
	for _, x := range xs {
		for _, lp := range x.oldLogp {
			probs = append(probs, math.Exp(float64(lp)))
		}
	}
	thr := l.c.Threshold(probs)
	out := map[[2]int][]float64{}
	for lo := 0; lo < len(xs); lo += mbSize {
		mb := xs[lo:min(lo+mbSize, len(xs))]
		b, starts := ru.trainBatch(mb)
		if _, err := ru.policy.Score(b); err != nil {
			return err
		}
		for i, x := range mb {
			for t := range x.gen {
				at := starts[i] + x.pos[t]
				if b.Mask[at] == 0 || math.Exp(float64(x.oldLogp[t])) > thr || (l.c.OnlyNegative && a.tok[lo+i][t] >= 0) {
					continue
				}
				p, _ := tensor.Softmax64(ru.policy.Logits(at))
				proxy := l.c.Proxy(p)
				if proxy[x.gen[t]] > 0 {
					out[[2]int{lo + i, t}] = proxy
				}
			}
		}
	}
	l.proxies = out
	m["lp_reg_positions"] = len(out)
	return nil
}

// miniBatchTerm adds beta * mean KL(proxy || pi_theta) over the
// mini-batch's selected positions to the logit gradients.
func (l *lpReg) miniBatchTerm(ru *runner, mb *miniBatch) error {
	if len(l.proxies) == 0 {
		return nil
	}
	type sel struct {
		at    int
		proxy []float64
	}
	var sels []sel
	for i, x := range mb.xs {
		for t := range x.gen {
			if p, ok := l.proxies[[2]int{mb.lo + i, t}]; ok {
				sels = append(sels, sel{mb.starts[i] + x.pos[t], p})
			}
		}
	}
	if len(sels) == 0 {
		return nil
	}
	var klSum float64
	for _, s := range sels {
		z := ru.policy.Logits(s.at)
		g := make([]float64, len(z))
		klSum += l.c.KL(s.proxy, z, g)
		lg := ru.policy.LogitGrad(s.at)
		for v := range g {
			lg[v] += float32(l.c.Beta * g[v] / float64(len(sels)))
		}
	}
	l.sum += klSum / float64(len(sels))
	return nil
}

func (l *lpReg) reportUpdate(m map[string]any, updates int) {
	if l.c.Beta != 0 {
		m["lp_reg_kl"] = l.sum / float64(updates)
	}
	l.sum = 0
}
