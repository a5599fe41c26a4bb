package run

// ReST-MCTS* plug-in (card B6; algebra and CHOICEs in rl/restmcts.go): each
// RL step searches one tree per problem over the lines of its solutions
// (run/linetree.go): root_samples completions from the root, then rounds
// of expansions chosen by UCT on the process value model's estimates
// mixed with the traces' rewards, group_size completions per problem in
// all (GRPO's sample count). The inferred per-step targets train the value
// model (a copy of the policy with a value head, trained by MSE on the
// nodes' targets; CHOICE: a separate model, as the paper's value model is,
// initialised from the policy like the PPO critic) and set the policy's
// per-token advantages (rolloutSource, advantageHook). Metrics:
// rest_targets (share of trees with a correct leaf, the ones with targets),
// rest_value_loss (MSE on the targets before the update), rest_branched
// (share of samples drawn from a node below the root), rest_nodes (nodes
// per tree), rest_adv_frac (share of trained tokens with a non-zero
// advantage). The value model is saved with every checkpoint under
// rest_mcts_value/ and restored on resume.

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/optim"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// restValueDir holds the value model's checkpoints in a run directory.
const restValueDir = "rest_mcts_value"

func init() {
	registerMethod("rest_mcts", "ReST-MCTS*: value-guided tree search over solution lines, inferred per-step value targets train a value model and the policy",
		rl.ReSTMCTS{RootSamples: 4, Rounds: 1, Branch: 2, Exploration: 0.7, Alpha: 0.5, PolicyLoss: "sft",
			PolicyFilterValue: 0, ValueLR: 2e-4, ValueEpochs: 1},
		func(c *rl.ReSTMCTS, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if err := treeRecipe(r, c.RootSamples, c.Rounds); err != nil {
				return nil, err
			}
			return &restMCTS{c: *c}, nil
		}, "rest_mcts.root_samples=2")
}

// treeRecipe checks what the tree searches need of a recipe.
func treeRecipe(r *Recipe, rootSamples, rounds int) error {
	switch {
	case r.Env.Name != "single" || r.Env.MaxTurns > 1:
		return fmt.Errorf("searches one-turn completions: needs env single, not %s", r.Env.Name)
	case r.Judge.Name != "verifier":
		return fmt.Errorf("grades leaves with the task's verifier: needs judge verifier")
	case len(r.Roles) > 0:
		return fmt.Errorf("has no roles")
	case rootSamples > r.RL.GroupSize:
		return fmt.Errorf("root_samples %d exceeds rl.group_size %d", rootSamples, r.RL.GroupSize)
	case rounds == 0 && rootSamples != r.RL.GroupSize:
		return fmt.Errorf("with rounds 0 every sample comes from the root: root_samples must equal rl.group_size")
	case r.RL.AdvEstimator == "gae":
		return fmt.Errorf("sets its own advantages: not with adv_estimator gae")
	}
	return nil
}

type restMCTS struct {
	c     rl.ReSTMCTS
	ru    *runner
	vm    *lm.Model // the process value model
	vopt  *optim.AdamW
	load  int // checkpoint step to load the value model from (0: none)
	adv   map[*episode.Episode][]float64
	stats map[string]float64
}

func (*restMCTS) name() string { return "rest_mcts" }

func (p *restMCTS) setup(ru *runner) error { p.ru = ru; return nil }

// valueModel makes the value model from the policy when first needed (the
// policy at the start of RL), or loads the saved one on resume.
func (p *restMCTS) valueModel() (*lm.Model, error) {
	if p.vm != nil {
		return p.vm, nil
	}
	ru := p.ru
	cfg := ru.policy.Cfg
	cfg.ValueHead = true
	vm, err := lm.New(cfg, ru.r.Seed+11)
	if err != nil {
		return nil, err
	}
	src, dst := ru.policy.Params(), vm.Params()
	for i := range src {
		copy(dst[i].W, src[i].W)
	}
	p.vm = vm
	p.vopt = optim.NewAdamW(vm.Params(), optim.AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8})
	if p.load > 0 {
		dir := filepath.Join(ru.dir, restValueDir, fmt.Sprintf("step-%08d", p.load))
		if _, err := checkpoint.Load(dir, p.vm, p.vopt); err != nil {
			return nil, fmt.Errorf("rest_mcts value model: %w", err)
		}
	}
	return vm, nil
}

// restState is what a checkpoint keeps of the method: the step of the
// value model's own checkpoint.
type restState struct {
	Step int `json:"step"`
}

func (p *restMCTS) state() any {
	if p.vm == nil || p.ru == nil {
		return restState{Step: p.load}
	}
	if _, err := checkpoint.Save(filepath.Join(p.ru.dir, restValueDir), p.vm, p.vopt, checkpoint.State{Step: p.ru.prog.GStep}); err != nil {
		p.ru.logf("rest_mcts: saving the value model: %v\n", err)
		return restState{}
	}
	return restState{Step: p.ru.prog.GStep}
}

func (p *restMCTS) restore(data json.RawMessage) error {
	var s restState
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	p.vm, p.vopt, p.load = nil, nil, s.Step
	return nil
}

// values reads the value model at every node of every tree (a node's
// value at its step's last token in the trace that made it; the root's at
// the prompt's last token).
func (p *restMCTS) values(s *treeSearch) ([][]float64, error) {
	vm, err := p.valueModel()
	if err != nil {
		return nil, err
	}
	b, starts := rowsBatch(s.samples)
	sc, err := vm.Score(b)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, len(s.trees))
	for ti, t := range s.trees {
		out[ti] = make([]float64, len(t.nodes))
		for n, node := range t.nodes {
			si := node.sample
			if si < 0 {
				si = firstSampleOf(s, ti)
			}
			if si >= 0 {
				out[ti][n] = float64(sc.Values[starts[si]+node.at])
			}
		}
	}
	return out, nil
}

func firstSampleOf(s *treeSearch, ti int) int {
	for i, o := range s.owner {
		if o == ti {
			return i
		}
	}
	return -1
}

// rowsBatch lays samples out one per row, right-padded, every token scored.
func rowsBatch(xs []sample) (*lm.Batch, []int) {
	T := 1
	for _, x := range xs {
		T = max(T, len(x.ids))
	}
	b := &lm.Batch{Rows: len(xs), Len: T, Tokens: make([]int32, len(xs)*T), Mask: make([]float32, len(xs)*T)}
	starts := make([]int, len(xs))
	for i, x := range xs {
		starts[i] = i * T
		copy(b.Tokens[i*T:], x.ids)
		for t := 1; t < len(x.ids); t++ {
			b.Mask[i*T+t] = 1
		}
	}
	return b, starts
}

func (p *restMCTS) rollout(ru *runner, ps []task.Problem, base int, rng *rand.Rand) ([]sample, []sample, error) {
	c := p.c
	s, err := ru.newTreeSearch(ps)
	if err != nil {
		return nil, nil, err
	}
	if err := s.rootRound(c.RootSamples, base, rng); err != nil {
		return nil, nil, err
	}
	for _, k := range roundSizes(ru.r.RL.GroupSize-c.RootSamples, c.Rounds) {
		vals, err := p.values(s)
		if err != nil {
			return nil, nil, err
		}
		score := func(t *lineTree, n, parent int) float64 {
			ti := treeIndex(s, t)
			nd, pd := t.nodes[n], t.nodes[parent]
			v := vals[ti][n]
			if nd.visits > 0 {
				v = (1-c.Alpha)*v + c.Alpha*nd.reward/nd.visits
			}
			return rl.UCT(v, nd.visits+nd.pending, pd.visits+pd.pending, c.Exploration, 2)
		}
		if err := s.round(k, c.Branch, base, score, rng); err != nil {
			return nil, nil, err
		}
	}
	if err := p.train(s); err != nil {
		return nil, nil, err
	}
	batch, _ := s.ordered()
	return batch, nil, nil
}

func treeIndex(s *treeSearch, t *lineTree) int {
	for i, u := range s.trees {
		if u == t {
			return i
		}
	}
	return -1
}

// train computes the trees' targets, takes the value model's updates and
// sets every sample's per-token advantages.
func (p *restMCTS) train(s *treeSearch) error {
	c := p.c
	vals, err := p.values(s)
	if err != nil {
		return err
	}
	type target struct {
		si, at int
		v      float64
	}
	var targets []target
	p.adv = map[*episode.Episode][]float64{}
	var withTarget, branched, nodes, advTok, tok float64
	for ti, t := range s.trees {
		parent, kind := t.kinds()
		v, _, _, has := rl.ReSTTargets(parent, kind)
		sftKind := append([]int{}, kind...)
		for n := range sftKind {
			if sftKind[n] == rl.CorrectLeaf && vals[ti][n] < c.PolicyFilterValue {
				sftKind[n] = rl.WrongLeaf
			}
		}
		_, _, reach, _ := rl.ReSTTargets(parent, sftKind)
		if has[0] {
			withTarget++
		}
		nodes += float64(len(t.nodes))
		for n := 1; n < len(t.nodes); n++ {
			if has[n] {
				targets = append(targets, target{t.nodes[n].sample, t.nodes[n].at, v[n]})
			}
		}
		for _, tr := range t.traces {
			x := s.samples[tr.sample]
			a := make([]float64, len(x.gen))
			if tr.from > 0 {
				branched++
			}
			for k, sp := range tr.spans {
				n := tr.path[tr.from+k]
				var val float64
				switch c.PolicyLoss {
				case "sft":
					if reach[n] {
						val = 1
					}
				case "value_delta":
					if has[n] {
						val = v[n] - v[parent[n]]
					}
				}
				for i := sp[0]; i < sp[1] && i < len(a); i++ {
					a[i] = val
					tok++
					if val != 0 {
						advTok++
					}
				}
			}
			p.adv[x.ep] = a
		}
	}
	n := float64(len(s.trees))
	p.stats = map[string]float64{"rest_targets": withTarget / n, "rest_branched": branched / float64(max(1, len(s.samples))),
		"rest_nodes": nodes / n, "rest_adv_frac": advTok / max(tok, 1)}
	if len(targets) == 0 || c.ValueEpochs == 0 {
		return nil
	}
	b, starts := rowsBatch(s.samples)
	for e := 0; e < c.ValueEpochs; e++ {
		sc, err := p.vm.Score(b)
		if err != nil {
			return err
		}
		dv := make([]float32, len(b.Tokens))
		var loss float64
		for _, tg := range targets {
			at := starts[tg.si] + tg.at
			d := float64(sc.Values[at]) - tg.v
			loss += 0.5 * d * d / float64(len(targets))
			dv[at] += float32(d / float64(len(targets)))
		}
		if e == 0 {
			p.stats["rest_value_loss"] = loss
		}
		p.vm.ZeroGrad()
		if err := p.vm.Backward(nil, nil, dv); err != nil {
			return err
		}
		if _, err := optim.ClipGradNorm(p.vm.Params(), p.ru.r.RL.GradClip); err != nil {
			return err
		}
		p.vopt.Step(c.ValueLR)
	}
	return nil
}

func (p *restMCTS) afterAdvantages(ru *runner, xs []sample, a *advantage, m map[string]any) error {
	return setTreeAdvantages(p.adv, p.stats, xs, a, m)
}

// setTreeAdvantages replaces every sample's advantages by the method's
// (samples it has none for get 0) and writes its metrics.
func setTreeAdvantages(adv map[*episode.Episode][]float64, stats map[string]float64, xs []sample, a *advantage, m map[string]any) error {
	for i, x := range xs {
		row, ok := adv[x.ep]
		a.tok[i] = make([]float64, len(x.gen))
		if ok {
			copy(a.tok[i], row)
		}
		var sum float64
		for _, v := range a.tok[i] {
			sum += v
		}
		a.seq[i] = 0
		if len(a.tok[i]) > 0 {
			a.seq[i] = sum / float64(len(a.tok[i]))
		}
		if math.IsNaN(a.seq[i]) {
			return fmt.Errorf("advantage of sample %d is NaN", i)
		}
	}
	for k, v := range stats {
		m[k] = v
	}
	return nil
}
