package run

// SIREN plug-in (card A3; algebra in rl/siren.go): selective entropy
// regularisation — the nucleus (top-p) entropy at the peak_ratio
// highest-entropy positions of each mini-batch, held near an anchor with
// coef * (H - H_anchor)^2; the anchor is the first mini-batch's value
// (initial) or anchor_value (fixed).

import (
	"encoding/json"
	"fmt"

	"github.com/autodidact-rl/autodidact/rl"
)

func init() {
	registerMethod("siren", "SIREN: anchored nucleus entropy at peak-entropy positions",
		rl.SIREN{Coef: 0.01, TopP: 0.95, PeakRatio: 0.2, Anchor: "initial"},
		func(c *rl.SIREN, r *Recipe) (method, error) {
			if c.Coef != 0 && (c.TopP <= 0 || c.TopP > 1 || c.PeakRatio <= 0 || c.PeakRatio > 1 || (c.Anchor != "initial" && c.Anchor != "fixed")) {
				return nil, fmt.Errorf("top_p and peak_ratio in (0, 1], anchor initial or fixed")
			}
			return &siren{c: *c}, nil
		})
}

type siren struct {
	c      rl.SIREN
	anchor *float64
	sum    float64 // masked mean nucleus entropy summed over a step's updates
}

func (*siren) name() string { return "siren" }

func (s *siren) state() any { return s.anchor }

func (s *siren) restore(data json.RawMessage) error { return json.Unmarshal(data, &s.anchor) }

// miniBatchTerm adds SIREN's anchored nucleus-entropy gradient for one
// scored mini-batch to the model's logit gradients.
func (s *siren) miniBatchTerm(ru *runner, mb *miniBatch) error {
	if s.c.Coef == 0 {
		return nil
	}
	var pos []int
	var H []float64
	var grads [][]float64
	for i, x := range mb.xs {
		for t := range x.gen {
			at := mb.starts[i] + x.pos[t]
			if mb.b.Mask[at] == 0 {
				continue
			}
			z := ru.policy.Logits(at)
			g := make([]float64, len(z))
			H = append(H, s.c.NucleusEntropy(z, g))
			grads = append(grads, g)
			pos = append(pos, at)
		}
	}
	mask := rl.PeakMask(H, s.c.PeakRatio)
	var mean float64
	n := 0
	for j, on := range mask {
		if on {
			mean += H[j]
			n++
		}
	}
	if n == 0 {
		return nil
	}
	mean /= float64(n)
	if s.anchor == nil {
		anchor := s.c.AnchorVal
		if s.c.Anchor == "initial" {
			anchor = mean // the first mini-batch of RL fixes the anchor
		}
		s.anchor = &anchor
	}
	_, dH := s.c.AnchoredLoss(mean, *s.anchor, n)
	for j, on := range mask {
		if !on {
			continue
		}
		lg := ru.policy.LogitGrad(pos[j])
		for v, g := range grads[j] {
			lg[v] += float32(dH * g)
		}
	}
	s.sum += mean
	return nil
}

func (s *siren) reportUpdate(m map[string]any, updates int) {
	if s.c.Coef != 0 {
		m["siren_entropy"] = s.sum / float64(updates)
	}
	s.sum = 0
}
