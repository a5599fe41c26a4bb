package run

// DRPO plug-in (card 14; algebra in rl/drpo.go): replaces the clipped
// token surrogate by DRPO's discriminative objective over each question's
// samples, with a drift penalty against the sampling policy. Each sample's
// score is its masked mean token log-prob, so dLoss/dlogp_t =
// dLoss/ds_i / L_i, plus the drift penalty max(0, beta(KL-delta)) * KL with
// KL = mean over tokens of logp_old - logp. Mini-batches must hold whole
// groups.

import (
	"fmt"

	"github.com/autodidact-rl/autodidact/rl"
)

func init() {
	registerMethod("drpo", "DRPO: discriminative objective with length-aware positive weights and a drift penalty",
		rl.DRPO{Tau: 10, Lambda: 0.1, Beta: 1000, Delta: 0.0001},
		func(c *rl.DRPO, r *Recipe) (method, error) {
			if c.Tau <= 0 || c.Lambda <= 0 {
				return nil, fmt.Errorf("tau and lambda must be positive")
			}
			_, dyn := r.Methods["dapo"]
			if dyn {
				dyn = r.Methods["dapo"].(*DAPOConfig).DynamicSampling
			}
			if r.RL.MiniBatches > 0 && (r.RL.PromptsPerStep%r.RL.MiniBatches != 0 || dyn) {
				return nil, fmt.Errorf("needs whole groups in each mini-batch (rl.prompts_per_step divisible by rl.mini_batches, no dynamic sampling)")
			}
			return &drpo{c: *c}, nil
		})
}

type drpo struct {
	c     rl.DRPO
	drift float64 // summed over a step's updates
}

func (*drpo) name() string { return "drpo" }

// miniBatchLoss adds DRPO's gradient for a mini-batch of whole groups to
// mb.dlp and returns the loss.
func (d *drpo) miniBatchLoss(ru *runner, mb *miniBatch) float64 {
	c := ru.r.RL
	b, starts, logp, dlp := mb.b, mb.starts, mb.sc.LogProbs, mb.dlp
	var kl, loss, ntok float64
	for i, x := range mb.xs {
		for t := range x.gen {
			if at := starts[i] + x.pos[t]; b.Mask[at] != 0 {
				kl += float64(x.oldLogp[t]) - float64(logp[at])
				ntok++
			}
		}
	}
	if ntok == 0 {
		return 0
	}
	kl /= ntok
	d.drift += kl
	coef := d.c.KLPenaltyCoef(kl)
	groups := rl.Groups(len(mb.xs), c.GroupSize)
	Q := float64(len(groups))
	for _, g := range groups {
		s := make([]float64, len(g))
		corr := make([]bool, len(g))
		ratio := make([]float64, len(g))
		for j, i := range g {
			for t := range mb.xs[i].gen {
				if at := starts[i] + mb.xs[i].pos[t]; b.Mask[at] != 0 {
					s[j] += float64(logp[at])
				}
			}
			if mb.lengths[i] > 0 {
				s[j] /= float64(mb.lengths[i])
			}
			corr[j] = mb.xs[i].correct
			ratio[j] = float64(len(mb.xs[i].gen)) / float64(c.MaxNewTokens)
		}
		J, dJ, ok := d.c.Question(s, corr, ratio)
		loss -= J / Q
		if !ok {
			continue
		}
		for j, i := range g {
			if mb.lengths[i] == 0 {
				continue
			}
			for t := range mb.xs[i].gen {
				if at := starts[i] + mb.xs[i].pos[t]; b.Mask[at] != 0 {
					dlp[at] += float32(-dJ[j] / Q / float64(mb.lengths[i]))
				}
			}
		}
	}
	if coef > 0 {
		for i, x := range mb.xs {
			for t := range x.gen {
				if at := starts[i] + x.pos[t]; b.Mask[at] != 0 {
					dlp[at] += float32(-coef / ntok)
				}
			}
		}
		loss += coef * kl
	}
	return loss
}

func (d *drpo) reportUpdate(m map[string]any, updates int) {
	m["drift_kl"] = d.drift / float64(updates)
	d.drift = 0
}
