package run

// DeepSeek-GRM / SPCT plug-in (card B15; algebra in rl/grm.go): the
// policy is a pointwise generative judge (task grm_pair: a principle, a
// critique per response, a score per response). The first rft_steps RL
// steps are rejective fine-tuning: of each item's rl.group_size sampled
// judgements the correct ones are kept (none when all are correct) and
// trained by likelihood (token mean over the kept judgements), replacing
// the clipped surrogate. Then rule-based online RL: the reward is +1 for
// a correct judgement and reward_wrong (-1) otherwise, trained with the
// recipe's estimator and the clipped surrogate (with rl.kl_coef's KL, the
// card's "relatively large KL").
//
// Inference-time scaling is measured at every evaluation: for each k in
// eval.k_list, the expected accuracy of voting with k of each held-out
// item's eval.samples judgements (summed scores, argmax; ties fractional;
// unparsed judgements do not vote), grm_vote@k, and the same with a
// guided vote, grm_guided_vote@k, where the k*meta_frac judgements with
// the highest mean token log-prob vote. That stand-in for the card's
// meta reward model is a CHOICE (no meta RM is trained here). Not done:
// the RFT's hinted retry, general instruction data mixed into RFT.

import (
	"fmt"
	"math"
	"strconv"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// GRMConfig is the recipe's grm section.
type GRMConfig struct {
	RFTSteps    int     `yaml:"rft_steps"`
	RewardWrong float64 `yaml:"reward_wrong"`
	MetaFrac    float64 `yaml:"meta_frac"`
	MaxSubsets  int     `yaml:"max_subsets"`
}

func init() {
	registerMethod("grm", "DeepSeek-GRM (SPCT): rejective fine-tuning, then rule-based RL of a generative judge; voting over k judgements",
		GRMConfig{RFTSteps: 10, RewardWrong: -1, MetaFrac: 0.5, MaxSubsets: 500},
		func(c *GRMConfig, r *Recipe) (method, error) {
			switch {
			case c.RFTSteps < 0:
				return nil, fmt.Errorf("rft_steps %d must be >= 0", c.RFTSteps)
			case c.RewardWrong >= 1:
				return nil, fmt.Errorf("reward_wrong %v must be below the reward of a correct judgement (1)", c.RewardWrong)
			case c.MetaFrac <= 0 || c.MetaFrac > 1:
				return nil, fmt.Errorf("meta_frac %v must be in (0, 1]", c.MetaFrac)
			case c.MaxSubsets < 1:
				return nil, fmt.Errorf("max_subsets %d must be >= 1", c.MaxSubsets)
			}
			return &grm{c: *c}, nil
		}, "grm.rft_steps=3")
}

type grm struct {
	c       GRMConfig
	rft     bool   // this step is rejective fine-tuning
	keep    []bool // per kept sample, during RFT
	kept    float64
	clipped float64
	tokens  float64
}

func (*grm) name() string { return "grm" }

func (g *grm) setup(ru *runner) error {
	if _, ok := ru.task.(*task.GRMPair); !ok {
		return fmt.Errorf("grm: needs the grm_pair task, not %s", ru.task.Name())
	}
	return nil
}

// beforeAdvantages sets the rule-based rewards and, during RFT, which
// judgements are kept.
func (g *grm) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	step := ru.prog.GStep - ru.sftEnd()
	g.rft = step < g.c.RFTSteps
	for i := range xs {
		xs[i].reward = rl.GRMReward(xs[i].correct, g.c.RewardWrong)
	}
	m["grm_stage"] = 2
	if !g.rft {
		return nil
	}
	m["grm_stage"] = 1
	g.keep = make([]bool, len(xs))
	kept := 0
	for _, grp := range rl.Groups(len(xs), ru.r.RL.GroupSize) {
		correct := make([]bool, len(grp))
		for j, i := range grp {
			correct[j] = xs[i].correct
		}
		for j, k := range rl.RFTKeep(correct) {
			g.keep[grp[j]] = k
			if k {
				kept++
			}
		}
	}
	m["grm_rft_kept"] = float64(kept) / float64(len(xs))
	return nil
}

// miniBatchLoss is the RFT likelihood on the kept judgements, or, after
// RFT, the recipe's clipped surrogate.
func (g *grm) miniBatchLoss(ru *runner, mb *miniBatch) float64 {
	c := ru.r.RL
	var loss float64
	if g.rft {
		var n float64
		for i := range mb.xs {
			if g.keep[mb.lo+i] {
				n += float64(mb.lengths[i])
			}
		}
		if n == 0 {
			return 0
		}
		for i, x := range mb.xs {
			if !g.keep[mb.lo+i] {
				continue
			}
			for _, p := range x.pos {
				if at := mb.starts[i] + p; mb.b.Mask[at] != 0 {
					loss -= float64(mb.sc.LogProbs[at]) / n
					mb.dlp[at] += float32(-1 / n)
				}
			}
		}
		g.kept += n
		return loss
	}
	for i, x := range mb.xs {
		for t, p := range x.pos {
			at := mb.starts[i] + p
			if mb.b.Mask[at] == 0 {
				continue
			}
			l, d, clip := c.Clip.Token(mb.adv.tok[mb.lo+i][t], float64(mb.sc.LogProbs[at]), float64(x.oldLogp[t]))
			loss += mb.w[i] * l
			mb.dlp[at] += float32(mb.w[i] * d)
			g.tokens++
			if clip {
				g.clipped++
			}
		}
	}
	return loss
}

func (g *grm) reportUpdate(m map[string]any, updates int) {
	if g.tokens > 0 {
		m["clip_frac"] = g.clipped / g.tokens
	}
	if g.rft && updates > 0 {
		m["grm_rft_tokens"] = g.kept / float64(updates)
	}
	g.kept, g.clipped, g.tokens = 0, 0, 0
}

// voteFigures is the voting accuracy over k judgements, plain and guided.
func (g *grm) voteFigures(ru *runner, ps []task.Problem, eps [][]*episode.Episode) map[string]float64 {
	gp := ru.task.(*task.GRMPair)
	out := map[string]float64{}
	var valid, total float64
	for _, k := range ru.r.Eval.KList {
		var plain, guided float64
		for i, p := range ps {
			scores := make([][]int, len(eps[i]))
			meta := make([]float64, len(eps[i]))
			for j, e := range eps[i] {
				if s, ok := task.ParseScores(lastPolicyText(e), gp.Responses); ok {
					scores[j] = s
					if k == ru.r.Eval.KList[0] {
						valid++
					}
				}
				if k == ru.r.Eval.KList[0] {
					total++
				}
				meta[j] = meanLogProb(e)
			}
			plain += rl.VoteAtK(scores, nil, 0, gp.Best(p), k, g.c.MaxSubsets, uint64(i))
			guided += rl.VoteAtK(scores, meta, g.c.MetaFrac, gp.Best(p), k, g.c.MaxSubsets, uint64(i))
		}
		n := float64(len(ps))
		out["grm_vote@"+strconv.Itoa(k)] = plain / n
		out["grm_guided_vote@"+strconv.Itoa(k)] = guided / n
	}
	if total > 0 {
		out["grm_valid"] = valid / total
	}
	return out
}

// meanLogProb is the mean sampling log-prob of an episode's last policy
// turn (-Inf when it has none).
func meanLogProb(e *episode.Episode) float64 {
	for i := len(e.Segments) - 1; i >= 0; i-- {
		if s := e.Segments[i]; s.Trainable && len(s.LogProbs) > 0 {
			var sum float64
			for _, v := range s.LogProbs {
				sum += float64(v)
			}
			return sum / float64(len(s.LogProbs))
		}
	}
	return math.Inf(-1)
}
