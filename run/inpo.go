package run

// INPO plug-in (card B1; algebra in rl/inpo.go): one RL step is one INPO
// iteration. The step's samples come from π_t, the policy at the start of
// the step, whose sequence log-probs are those recorded while sampling;
// each group's preference matrix under the task's preference function
// (task.Preference) gives one pair (y_w ≻ y_l), and the mini-batch
// updates of the step minimise INPO's squared loss
// (h − 1/(2η))² in place of the clipped surrogate (lossReplacer), with
// the frozen reference's log-probs scored once per step (updateHook).
// The card's T iterations of one epoch each become rl.steps with the
// recipe's rl.epochs. Rewards are set to the SPO win rates for the log.
// Mini-batches must hold whole groups. Metrics: inpo_pairs (share of
// groups that gave a pair), inpo_margin (mean h over the updates' pairs),
// inpo_loss.

import (
	"fmt"

	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

func init() {
	registerMethod("inpo", "INPO: iterative Nash policy optimisation, a no-regret mirror-descent squared loss on preference pairs",
		rl.INPO{Eta: 0.0075, TauOverEta: 1.0 / 3, PairSelection: "copeland", LogpReduction: "sum"},
		func(c *rl.INPO, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if r.RL.GroupSize < 2 {
				return nil, fmt.Errorf("needs rl.group_size >= 2")
			}
			if _, dyn := r.Methods["dapo"]; dyn || (r.RL.MiniBatches > 0 && r.RL.PromptsPerStep%r.RL.MiniBatches != 0) {
				return nil, fmt.Errorf("needs whole groups in each mini-batch (rl.prompts_per_step divisible by rl.mini_batches, no dynamic sampling)")
			}
			return &inpo{c: *c}, nil
		})
}

type inpoPair struct {
	w, l      int        // indices into the step's kept samples
	ref, prev [2]float64 // sequence log-probs (winner, loser) under π_ref and π_t
}

type inpo struct {
	c      rl.INPO
	pref   task.Preference
	pairs  []inpoPair
	groups int
	loss   float64 // summed over a step's updates
	margin float64
	nPairs float64
}

func (*inpo) name() string { return "inpo" }

func (n *inpo) setup(ru *runner) error {
	p, err := taskPreference(ru)
	n.pref = p
	return err
}

// seqLogp reduces a sample's token log-probs by the recipe's rule.
func (n *inpo) seqLogp(vals []float64) float64 {
	var s float64
	for _, v := range vals {
		s += v
	}
	if n.c.LogpReduction == "mean" && len(vals) > 0 {
		s /= float64(len(vals))
	}
	return s
}

// beforeAdvantages sets win-rate rewards and picks each group's pair.
func (n *inpo) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	n.pairs = n.pairs[:0]
	groups := rl.Groups(len(xs), ru.r.RL.GroupSize)
	n.groups = len(groups)
	for _, g := range groups {
		P := groupPreference(n.pref, xs, g, true)
		R := rl.SPORewards(P, false)
		for a, i := range g {
			xs[i].reward = R[a]
			xs[i].ep.Reward = R[a]
		}
		w, l, ok := n.c.Pair(P, R)
		if !ok {
			continue
		}
		p := inpoPair{w: g[w], l: g[l]}
		for k, i := range []int{p.w, p.l} {
			old := make([]float64, len(xs[i].oldLogp))
			for t, v := range xs[i].oldLogp {
				old[t] = float64(v)
			}
			p.prev[k] = n.seqLogp(old)
		}
		n.pairs = append(n.pairs, p)
	}
	if n.groups > 0 {
		m["inpo_pairs"] = float64(len(n.pairs)) / float64(n.groups)
	}
	return nil
}

// beforeUpdate scores the pairs under the frozen reference.
func (n *inpo) beforeUpdate(ru *runner, xs []sample, _ *advantage, _ int, _ map[string]any) error {
	if len(n.pairs) == 0 {
		return nil
	}
	b, starts := ru.trainBatch(xs)
	sc, err := ru.ref.Score(b)
	if err != nil {
		return fmt.Errorf("inpo reference log-probs: %w", err)
	}
	for k := range n.pairs {
		for j, i := range []int{n.pairs[k].w, n.pairs[k].l} {
			vals := make([]float64, len(xs[i].pos))
			for t, p := range xs[i].pos {
				vals[t] = float64(sc.LogProbs[starts[i]+p])
			}
			n.pairs[k].ref[j] = n.seqLogp(vals)
		}
	}
	return nil
}

// miniBatchLoss adds the INPO loss of the pairs whose samples are in the
// mini-batch (whole groups) to mb.dlp and returns it.
func (n *inpo) miniBatchLoss(_ *runner, mb *miniBatch) float64 {
	hi := mb.lo + len(mb.xs)
	var in []inpoPair
	for _, p := range n.pairs {
		if p.w >= mb.lo && p.w < hi && p.l >= mb.lo && p.l < hi {
			in = append(in, p)
		}
	}
	if len(in) == 0 {
		return 0
	}
	// pol is a sample's sequence log-prob under the policy being trained;
	// spread adds g (d loss / d sequence log-prob) to its tokens.
	pol := func(i int) float64 {
		x := mb.xs[i-mb.lo]
		vals := make([]float64, 0, len(x.pos))
		for _, p := range x.pos {
			if at := mb.starts[i-mb.lo] + p; mb.b.Mask[at] != 0 {
				vals = append(vals, float64(mb.sc.LogProbs[at]))
			}
		}
		return n.seqLogp(vals)
	}
	spread := func(i int, g float64) {
		x := mb.xs[i-mb.lo]
		if n.c.LogpReduction == "mean" && mb.lengths[i-mb.lo] > 0 {
			g /= float64(mb.lengths[i-mb.lo])
		}
		for _, p := range x.pos {
			if at := mb.starts[i-mb.lo] + p; mb.b.Mask[at] != 0 {
				mb.dlp[at] += float32(g)
			}
		}
	}
	var loss float64
	np := float64(len(in))
	r := n.c.TauOverEta
	for _, p := range in {
		lw, ll := pol(p.w), pol(p.l)
		l, d := n.c.PairLoss([2]float64{lw, ll}, p.ref, p.prev)
		loss += l / np
		spread(p.w, d/np)
		spread(p.l, -d/np)
		n.margin += (lw - ll) - r*(p.ref[0]-p.ref[1]) - (1-r)*(p.prev[0]-p.prev[1])
		n.nPairs++
	}
	n.loss += loss
	return loss
}

func (n *inpo) reportUpdate(m map[string]any, updates int) {
	m["inpo_loss"] = n.loss / float64(max(updates, 1))
	if n.nPairs > 0 {
		m["inpo_margin"] = n.margin / n.nPairs
	}
	n.loss, n.margin, n.nPairs = 0, 0, 0
}
