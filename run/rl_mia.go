package run

// RL-MIA plug-in: a contaminated RL run whose training problems are a
// known subset (card D10, the RL-MIA benchmark's contaminated GRPO runs).
// Every RL step draws its prompts uniformly, with replacement, from a
// fixed pool of `members` train-split problems, so each member is trained
// on for many epochs (steps × prompts_per_step / members); `autodidact
// analyze contamination` then probes the policy on the members against
// train-split problems outside the pool (the same distribution).
// The algebra of the probe is in analyze/contamination.go.

import (
	"fmt"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/task"
)

// RLMIAConfig is the recipe section `rl_mia:`.
type RLMIAConfig struct {
	Members int `yaml:"members"` // size of the training pool (the members)
}

// rlMIASeed offsets the pool's seed from the loop's own problem seeds.
const rlMIASeed = 0xc0417a

func init() {
	registerMethod("rl_mia", "RL-MIA: RL on a fixed, known pool of problems (the members of a contamination probe)",
		RLMIAConfig{Members: 64},
		func(c *RLMIAConfig, r *Recipe) (method, error) {
			if c.Members < 1 {
				return nil, fmt.Errorf("members %d must be >= 1", c.Members)
			}
			return &rlMIAMethod{c: *c}, nil
		}, "rl_mia.members=8")
}

type rlMIAMethod struct{ c RLMIAConfig }

func (*rlMIAMethod) name() string { return "rl_mia" }

func (m *rlMIAMethod) problems(ru *runner, st, n int) ([]task.Problem, error) {
	pool, err := task.Generate(ru.task, task.Train, ru.r.Seed*13+rlMIASeed, m.c.Members, ru.r.Task.Template)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(ru.r.Seed, uint64(st)+rlMIASeed))
	out := make([]task.Problem, n)
	for i := range out {
		out[i] = pool[rng.IntN(len(pool))]
	}
	return out, nil
}

// MembershipSplit returns the problems the RL stage of recipe r trained on
// (members) and n train-split problems it did not (non-members), for a
// contamination probe. With an rl_mia section the members are its pool;
// without one they are the loop's own per-step draws (rl.steps ×
// rl.prompts_per_step problems, each seen once), which holds for recipes
// whose method draws no problems of its own (not self, exit). At most
// maxMembers members are returned (0: all), in a fixed order.
func MembershipSplit(r *Recipe, n, maxMembers int) (members, nonmembers []task.Problem, err error) {
	t, err := task.New(r.Task.Name, r.Task.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("membership split: %w", err)
	}
	for name := range r.Methods {
		if name == "self" || name == "exit" {
			return nil, nil, fmt.Errorf("membership split: method %s chooses its own problems; its members are not known", name)
		}
	}
	if c, ok := r.Methods["rl_mia"].(*RLMIAConfig); ok {
		if members, err = task.Generate(t, task.Train, r.Seed*13+rlMIASeed, c.Members, r.Task.Template); err != nil {
			return nil, nil, err
		}
	} else {
		for s := 0; s < r.RL.Steps; s++ {
			ps, err := task.Generate(t, task.Train, r.Seed*7_000_003+uint64(s), r.RL.PromptsPerStep, r.Task.Template)
			if err != nil {
				return nil, nil, err
			}
			members = append(members, ps...)
		}
	}
	seen := map[string]bool{}
	var uniq []task.Problem
	for _, p := range members {
		if !seen[p.Prompt] {
			seen[p.Prompt] = true
			uniq = append(uniq, p)
		}
	}
	members = uniq
	if maxMembers > 0 && len(members) > maxMembers {
		members = members[:maxMembers]
	}
	// Non-members: the same split and distribution, outside every
	// problem the run trained on.
	for seed := uint64(0); len(nonmembers) < n && seed < 64; seed++ {
		ps, err := task.Generate(t, task.Train, r.Seed*29+rlMIASeed+0x9e37+seed, 2*n, r.Task.Template)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			if !seen[p.Prompt] && len(nonmembers) < n {
				seen[p.Prompt] = true
				nonmembers = append(nonmembers, p)
			}
		}
	}
	if len(nonmembers) < n {
		return nil, nil, fmt.Errorf("membership split: only %d non-members outside the run's %d problems", len(nonmembers), len(members))
	}
	return members, nonmembers, nil
}
