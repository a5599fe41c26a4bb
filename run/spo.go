package run

// SPO plug-in (card B13; algebra in rl/spo.go): before advantages, each
// sample's reward becomes its win rate against the other samples of its
// group under the task's preference function (task.Preference, e.g. the
// duel game), R_i = mean_{j≠i} P(y_i ≻ y_j); the recipe's outcome
// estimator (GRPO) then optimises it. With opponent: reference the
// opponents are instead group_size samples of the frozen reference
// policy for the same prompt (a fixed-opponent RLHF baseline: it learns
// the best response to the reference, not the Minimax Winner). Metrics:
// spo_reward (mean win rate; 0.5 in self-play by construction),
// spo_ties (share of compared pairs that tie).

import (
	"fmt"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// SPOConfig is the recipe section `spo:`.
type SPOConfig struct {
	Opponent            string `yaml:"opponent"`             // group (self-play) or reference
	SymmetrizePositions bool   `yaml:"symmetrize_positions"` // P_ij = (J(i,j) + 1 - J(j,i)) / 2
	IncludeSelf         bool   `yaml:"include_self"`         // count P_ii = 1/2 in the mean
}

func init() {
	registerMethod("spo", "SPO: self-play preference optimisation, rewards = win rate against the group's other samples",
		SPOConfig{Opponent: "group", SymmetrizePositions: true},
		func(c *SPOConfig, r *Recipe) (method, error) {
			if c.Opponent != "group" && c.Opponent != "reference" {
				return nil, fmt.Errorf("opponent %q: want group or reference", c.Opponent)
			}
			if e := r.RL.AdvEstimator; e == "gae" || e == "reinforcepp" || e == "reinforcepp_baseline" || e == "psr" || e == "nsr" || e == "w_reinforce" || e == "full" {
				return nil, fmt.Errorf("rewards are win rates: needs a group outcome estimator (grpo, drgrpo, rloo), not %s", e)
			}
			if r.RL.GroupSize < 2 {
				return nil, fmt.Errorf("needs rl.group_size >= 2")
			}
			return &spo{c: *c}, nil
		})
}

type spo struct {
	c    SPOConfig
	pref task.Preference
}

func (*spo) name() string { return "spo" }

// setup takes the task's preference function.
func (s *spo) setup(ru *runner) error {
	p, err := taskPreference(ru)
	s.pref = p
	return err
}

// taskPreference is the run's task as a preference game.
func taskPreference(ru *runner) (task.Preference, error) {
	p, ok := ru.task.(task.Preference)
	if !ok {
		return nil, fmt.Errorf("task %s has no preference function (a task.Preference, e.g. duel)", ru.task.Name())
	}
	return p, nil
}

// groupPreference is the preference matrix of a group's samples:
// P[i][j] = P(y_i ≻ y_j), symmetrised over positions when sym is set.
func groupPreference(pref task.Preference, xs []sample, g []int, sym bool) [][]float64 {
	J := make([][]float64, len(g))
	for a, i := range g {
		J[a] = make([]float64, len(g))
		for b, j := range g {
			if a == b {
				J[a][b] = 0.5
				continue
			}
			J[a][b] = pref.Prefer(xs[i].ep.Problem, lastPolicyText(xs[i].ep), lastPolicyText(xs[j].ep))
		}
	}
	if sym {
		return rl.SymmetrizePreference(J)
	}
	return J
}

// beforeAdvantages replaces the rewards with win rates.
func (s *spo) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	groups := rl.Groups(len(xs), ru.r.RL.GroupSize)
	var sum, ties, pairs float64
	for _, g := range groups {
		var R []float64
		if s.c.Opponent == "reference" {
			opps, err := referenceSamples(ru, []task.Problem{xs[g[0]].ep.Problem}, len(g), ru.r.RL.Temperature, ru.r.RL.MaxNewTokens,
				uint64(ru.prog.GStep)*1_000_003+uint64(g[0]))
			if err != nil {
				return err
			}
			opp := opps[0]
			R = make([]float64, len(g))
			for a, i := range g {
				for _, o := range opp {
					v := s.prefer(xs[i].ep.Problem, lastPolicyText(xs[i].ep), o)
					R[a] += v / float64(len(opp))
					ties += b2f(v == 0.5)
					pairs++
				}
			}
		} else {
			P := groupPreference(s.pref, xs, g, s.c.SymmetrizePositions)
			R = rl.SPORewards(P, s.c.IncludeSelf)
			for a := range P {
				for b := range P[a] {
					if a != b {
						ties += b2f(P[a][b] == 0.5)
						pairs++
					}
				}
			}
		}
		for a, i := range g {
			xs[i].reward = R[a]
			xs[i].ep.Reward = R[a]
			sum += R[a]
		}
	}
	m["spo_reward"] = sum / float64(len(xs))
	if pairs > 0 {
		m["spo_ties"] = ties / pairs
	}
	return nil
}

// prefer is the (symmetrised, when set) preference of a over b.
func (s *spo) prefer(p task.Problem, a, b string) float64 {
	if s.c.SymmetrizePositions {
		return (s.pref.Prefer(p, a, b) + 1 - s.pref.Prefer(p, b, a)) / 2
	}
	return s.pref.Prefer(p, a, b)
}

// referenceSamples draws n completions of each problem's prompt from the
// frozen reference policy (at most genChunk at once), with a seed of
// their own.
func referenceSamples(ru *runner, ps []task.Problem, n int, temp float32, maxNew int, seed uint64) ([][]string, error) {
	rng := rand.New(rand.NewPCG(ru.r.Seed, seed^0x7265666f))
	out := make([][]string, len(ps))
	per := max(1, genChunk/max(n, 1))
	for lo := 0; lo < len(ps); lo += per {
		hi := min(lo+per, len(ps))
		var prompts [][]int32
		for _, p := range ps[lo:hi] {
			pt, err := ru.encodePrompt(p)
			if err != nil {
				return nil, err
			}
			for range n {
				prompts = append(prompts, pt)
			}
		}
		g, err := ru.ref.Generate(prompts, lm.SampleOptions{Temperature: temp, MaxNew: maxNew, Stop: []int32{ru.eos}}, rng)
		if err != nil {
			return nil, fmt.Errorf("reference samples: %w", err)
		}
		for j, toks := range g.Tokens {
			out[lo+j/n] = append(out[lo+j/n], ru.completionText(toks))
		}
	}
	return out, nil
}
