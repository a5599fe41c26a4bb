package run

// Agent-R plug-in (card C4; algebra and CHOICEs in rl/agentr.go): each RL
// step searches one tree per problem over the lines of its solutions
// (run/linetree.go; UCT on the traces' mean reward, no value model),
// group_size completions per problem, pairs each tree's failed paths with
// its successful ones, cuts a failed path at the first step the model
// judges bad (its greedy re-derivation of the line differs) and trains by
// SFT (advantage 1, on-policy ratio) on the spliced revision trajectories
// (extra samples: the bad prefix untrained, the revision line and the good
// path's continuation trained) and, keep_good_bc, on the steps of the good
// paths; every other token gets advantage 0. Metrics: agentr_pairs
// (revision trajectories per problem), agentr_judged_bad (share of them cut
// where the model judged a step bad, the rest cut at the end),
// agentr_cut_agree (share of model-guided cuts at the verifier's first
// error, task.ChainFirstError), agentr_kept (mean bad steps kept after the
// branch point), agentr_solved (share of trees with a correct leaf).

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

func init() {
	registerMethod("agent_r", "Agent-R: tree search over solution lines; failed paths cut at the model's first judged error and spliced to good ones with a revision line; SFT on them",
		rl.AgentR{RootSamples: 4, Rounds: 1, Branch: 2, UCTC: 0.25, Alpha: 0.5, Beta: 0.5, MaxPairs: 4,
			ReviseMode: "model_guided", RevisionAction: "undo_k", KeepGoodBC: true},
		func(c *rl.AgentR, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if err := treeRecipe(r, c.RootSamples, c.Rounds); err != nil {
				return nil, err
			}
			if c.ReviseMode == "oracle" && r.Task.Name != "chain" {
				return nil, fmt.Errorf("revise_mode oracle checks lines against chain's reference solution: needs task chain")
			}
			return &agentR{c: *c}, nil
		}, "agent_r.root_samples=2")
}

type agentR struct {
	c     rl.AgentR
	adv   map[*episode.Episode][]float64
	stats map[string]float64
}

func (*agentR) name() string { return "agent_r" }

func (p *agentR) rollout(ru *runner, ps []task.Problem, base int, rng *rand.Rand) ([]sample, []sample, error) {
	c := p.c
	s, err := ru.newTreeSearch(ps)
	if err != nil {
		return nil, nil, err
	}
	if err := s.rootRound(c.RootSamples, base, rng); err != nil {
		return nil, nil, err
	}
	score := func(t *lineTree, n, parent int) float64 {
		nd, pd := t.nodes[n], t.nodes[parent]
		return rl.UCT(nd.reward/max(nd.visits, 1), nd.visits+nd.pending, pd.visits+pd.pending, c.UCTC, 1)
	}
	for _, k := range roundSizes(ru.r.RL.GroupSize-c.RootSamples, c.Rounds) {
		if err := s.round(k, c.Branch, base, score, rng); err != nil {
			return nil, nil, err
		}
	}
	extra, err := p.revise(ru, s, base, rng)
	if err != nil {
		return nil, nil, err
	}
	batch, _ := s.ordered()
	return batch, extra, nil
}

// pair is one revision trajectory to build: tree, high and low leaf paths.
type pair struct {
	tree      int
	high, low []int
	cut       int // index into low of the last kept bad step (-1: the end)
	judged    bool
}

// revise builds the step's revision trajectories and sets every sample's
// advantages.
func (p *agentR) revise(ru *runner, s *treeSearch, base int, rng *rand.Rand) ([]sample, error) {
	c := p.c
	var pairs []pair
	var solved float64
	p.adv = map[*episode.Episode][]float64{}
	for ti, t := range s.trees {
		// Leaves: the distinct end nodes of the traces, by mean value.
		var leaves []int
		seen := map[int]bool{}
		for _, tr := range t.traces {
			if n := len(tr.path); n > 0 && !seen[tr.path[n-1]] {
				seen[tr.path[n-1]] = true
				leaves = append(leaves, tr.path[n-1])
			}
		}
		v := make([]float64, len(leaves))
		for i, l := range leaves {
			v[i] = t.nodes[l].reward / max(t.nodes[l].visits, 1)
		}
		parent, kind := t.kinds()
		_, _, reach, _ := rl.ReSTTargets(parent, kind)
		if reach[0] {
			solved++
		}
		for _, hl := range c.Pairs(v, rng) {
			pairs = append(pairs, pair{tree: ti, high: t.path(leaves[hl[0]]), low: t.path(leaves[hl[1]]), cut: -1})
		}
		// The trees' own samples: the good paths' steps (keep_good_bc).
		for _, tr := range t.traces {
			x := s.samples[tr.sample]
			a := make([]float64, len(x.gen))
			if c.KeepGoodBC {
				for k, sp := range tr.spans {
					if reach[tr.path[tr.from+k]] {
						for i := sp[0]; i < sp[1] && i < len(a); i++ {
							a[i] = 1
						}
					}
				}
			}
			p.adv[x.ep] = a
		}
	}
	var agree, judgedN float64
	switch c.ReviseMode {
	case "model_guided":
		if err := p.judge(ru, s, pairs, rng); err != nil {
			return nil, err
		}
		for i := range pairs {
			if pairs[i].judged {
				judgedN++
				if at := oracleCut(ru, s, pairs[i]); at == pairs[i].cut {
					agree++
				}
			}
		}
	case "oracle":
		for i := range pairs {
			pairs[i].cut = oracleCut(ru, s, pairs[i])
			pairs[i].judged = pairs[i].cut >= 0
		}
	}
	var extra []sample
	var kept float64
	for _, pr := range pairs {
		x, k, ok, err := p.splice(ru, s.trees[pr.tree], pr, base+pr.tree)
		if err != nil {
			return nil, err
		}
		if ok {
			extra = append(extra, x)
			kept += float64(k)
		}
	}
	if err := ru.scoreOldLogp(extra); err != nil {
		return nil, err
	}
	for _, x := range extra {
		a := make([]float64, len(x.gen))
		for i := range a {
			a[i] = 1
		}
		p.adv[x.ep] = a
	}
	n := float64(len(s.trees))
	p.stats = map[string]float64{"agentr_pairs": float64(len(extra)) / n, "agentr_solved": solved / n,
		"agentr_judged_bad": judgedN / float64(max(1, len(pairs))), "agentr_kept": kept / float64(max(1, len(extra)))}
	if c.ReviseMode == "model_guided" {
		p.stats["agentr_cut_agree"] = agree / max(judgedN, 1)
	}
	return extra, nil
}

// judge walks each low path from its branch point and cuts at the first
// step the model judges bad: its greedy re-derivation of the line from the
// path's prefix differs from the line. All the pairs' steps are judged in
// one batch (a step after a bad one is judged too, and ignored).
func (p *agentR) judge(ru *runner, s *treeSearch, pairs []pair, rng *rand.Rand) error {
	type ask struct{ pair, step int }
	var asks []ask
	var ctxs [][]int32
	var budget []int
	nl := ru.newlineID()
	var stop []int32
	if nl >= 0 {
		stop = []int32{nl}
	}
	for i, pr := range pairs {
		t := s.trees[pr.tree]
		for k := rl.BranchPoint(pr.high, pr.low); k < len(pr.low); k++ {
			ctx := append([]int32{}, t.prompt...)
			for _, n := range pr.low[:k] {
				ctx = append(ctx, t.nodes[n].ids...)
			}
			asks, ctxs = append(asks, ask{i, k}), append(ctxs, ctx)
			budget = append(budget, min(len(t.nodes[pr.low[k]].ids)+8, ru.r.Model.MaxLen-len(ctx)))
		}
	}
	jobs, err := ru.sampleFrom(ctxs, budget, 0, stop, rng)
	if err != nil {
		return err
	}
	bad := map[[2]int]bool{}
	for j, a := range asks {
		t := s.trees[pairs[a.pair].tree]
		line := t.nodes[pairs[a.pair].low[a.step]].ids
		var got []int32
		if jobs[j] != nil {
			got = jobs[j].Tokens
		}
		bad[[2]int{a.pair, a.step}] = stepText(ru, got) != stepText(ru, line)
	}
	for i := range pairs {
		for k := rl.BranchPoint(pairs[i].high, pairs[i].low); k < len(pairs[i].low); k++ {
			if bad[[2]int{i, k}] {
				pairs[i].cut, pairs[i].judged = k, true
				break
			}
		}
	}
	return nil
}

// stepText is a line's text without its end token and white space.
func stepText(ru *runner, ids []int32) string {
	return strings.Join(strings.Fields(ru.completionText(ids)), "")
}

// oracleCut is the verifier's first error of a low path (the line that
// leaves chain's reference solution), -1 when none falls on its lines.
func oracleCut(ru *runner, s *treeSearch, pr pair) int {
	t := s.trees[pr.tree]
	var ids []int32
	for _, n := range pr.low {
		ids = append(ids, t.nodes[n].ids...)
	}
	at, _, err := task.ChainFirstError(t.prob.Question, t.prob.Answer, ru.completionText(ids), ru.r.Task.Template.AnswerPrefix)
	if err != nil || at < 0 || at >= len(pr.low) {
		return -1
	}
	return at
}

// splice makes the revision trajectory of a pair as a sample: the prompt,
// the bad prefix (not trained), then the revision line and the good
// continuation (trained). ok is false when it would not fit the model.
func (p *agentR) splice(ru *runner, t *lineTree, pr pair, prob int) (sample, int, bool, error) {
	steps, trained, kept := rl.Splice(pr.high, pr.low, pr.cut, -1)
	rev, err := ru.tok.Encode(p.c.RevisionText(kept) + "\n")
	if err != nil {
		return sample{}, 0, false, fmt.Errorf("agent_r revision line: %w", err)
	}
	var prefix, gen []int32
	for i, n := range steps {
		ids := rev
		if n >= 0 {
			ids = t.nodes[n].ids
		}
		// A bad step cut at the end may carry the end token: drop it, the
		// revision continues the text.
		if !trained[i] && len(ids) > 0 && ids[len(ids)-1] == ru.eos {
			ids = append(append([]int32{}, ids[:len(ids)-1]...), rev[len(rev)-1])
		}
		if trained[i] {
			gen = append(gen, ids...)
		} else {
			prefix = append(prefix, ids...)
		}
	}
	if len(t.prompt)+len(prefix)+len(gen) > ru.r.Model.MaxLen {
		return sample{}, 0, false, nil
	}
	rw := ru.task.Grade(t.prob, ru.completionText(append(append([]int32{}, prefix...), gen...)))
	x := treeSample(ru, t, prefix, gen, make([]float32, len(gen)), len(gen) > 0 && gen[len(gen)-1] == ru.eos, rw, prob)
	if len(prefix) > 0 {
		x.ep.Segments[len(x.ep.Segments)-2].Role = "revision_prefix"
	}
	return x, kept, true, nil
}

// scoreOldLogp sets samples' recorded log-probs to the current policy's
// (samples the policy did not generate, trained on-policy from here).
func (ru *runner) scoreOldLogp(xs []sample) error {
	if len(xs) == 0 {
		return nil
	}
	b, starts := rowsBatch(xs)
	b.Temperature = ru.r.RL.Temperature
	sc, err := ru.policy.Score(b)
	if err != nil {
		return err
	}
	for i, x := range xs {
		for t, p := range x.pos {
			x.oldLogp[t] = sc.LogProbs[starts[i]+p]
		}
		seg := &x.ep.Segments[len(x.ep.Segments)-1]
		seg.LogProbs = x.oldLogp
	}
	return nil
}

func (p *agentR) afterAdvantages(ru *runner, xs []sample, a *advantage, m map[string]any) error {
	return setTreeAdvantages(p.adv, p.stats, xs, a, m)
}
