package run

// RLSP plug-in (card C7; algebra and CHOICEs in rl/rlsp.go): a reward hook
// that replaces each sample's reward by α · V + (1 − α) · E, V the
// sample's reward so far (the verifier's 1 or 0, plus what the hooks of
// methods before it in name order added) and E the exploration score of the response's
// reasoning steps, decoupled from correctness; α may follow the
// hold-then-linear schedule over the RL steps. The demonstrations of the
// search process come from the task (countdown with trace: process) in
// pretraining and SFT.
//
// Metrics per RL step: rlsp_alpha, rlsp_steps, rlsp_backtracks,
// rlsp_verifies (means per response) and rlsp_explore_share (the share of
// the step's reward that came from E). The evaluation reports (evalVoter)
// the same behaviours on held-out samples: rlsp_steps, rlsp_backtracks,
// rlsp_verifies per response, rlsp_backtracks_correct and
// rlsp_verifies_correct per correct response, and rlsp_search_correct,
// the share of correct responses with at least one backtrack.

import (
	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

func init() {
	registerMethod("rlsp", "RLSP: the verifier's reward plus a decoupled exploration reward for intermediate steps (alpha = 1: outcome only)",
		rl.RLSP{Alpha: 0.8, AlphaSchedule: "const", AlphaHoldFrac: 0.3, ExploreReward: "steps", StepCap: 8,
			RequiresAnswer: true, Backtrack: task.BacktrackMarker, Verify: task.VerifyMarker},
		func(c *rl.RLSP, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return &rlsp{*c}, nil
		}, "sft.steps=4")
}

type rlsp struct{ c rl.RLSP }

func (*rlsp) name() string { return "rlsp" }

// trace parses a completion with the recipe's answer prefix.
func (s *rlsp) trace(ru *runner, gen []int32) rl.Trace {
	return s.c.ParseTrace(ru.completionText(gen), ru.r.Task.Template.AnswerPrefix)
}

// beforeAdvantages sets each sample's reward to α · V + (1 − α) · E.
func (s *rlsp) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	if len(xs) == 0 {
		return nil
	}
	alpha := s.c.AlphaAt(ru.prog.GStep-ru.sftEnd()-1, ru.r.RL.Steps)
	var steps, back, ver, total, explore float64
	for i := range xs {
		t := s.trace(ru, xs[i].gen)
		xs[i].reward = s.c.Reward(alpha, xs[i].reward, t) // V: the verifier's reward, after hooks that ran before
		steps += float64(t.Steps)
		back += float64(t.Backtracks)
		ver += float64(t.Verifies)
		total += xs[i].reward
		explore += (1 - alpha) * s.c.Explore(t)
	}
	n := float64(len(xs))
	m["rlsp_alpha"] = alpha
	m["rlsp_steps"], m["rlsp_backtracks"], m["rlsp_verifies"] = steps/n, back/n, ver/n
	m["rlsp_explore_share"] = 0.0
	if total > 0 {
		m["rlsp_explore_share"] = explore / total
	}
	return nil
}

// voteFigures measures the search behaviours of the held-out samples.
func (s *rlsp) voteFigures(ru *runner, ps []task.Problem, eps [][]*episode.Episode) map[string]float64 {
	var n, nc, steps, back, ver, backC, verC, searchC float64
	for _, group := range eps {
		for _, e := range group {
			t := s.trace(ru, lastPolicyIDs(e))
			n++
			steps += float64(t.Steps)
			back += float64(t.Backtracks)
			ver += float64(t.Verifies)
			if e.Correct {
				nc++
				backC += float64(t.Backtracks)
				verC += float64(t.Verifies)
				if t.Backtracks > 0 {
					searchC++
				}
			}
		}
	}
	if n == 0 {
		return nil
	}
	out := map[string]float64{"rlsp_steps": steps / n, "rlsp_backtracks": back / n, "rlsp_verifies": ver / n}
	if nc > 0 {
		out["rlsp_backtracks_correct"], out["rlsp_verifies_correct"], out["rlsp_search_correct"] = backC/nc, verC/nc, searchC/nc
	}
	return out
}
