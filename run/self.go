package run

// SELF plug-in: curriculum by estimated success rate (card A7; algebra in
// rl/self.go). Every refresh_every steps SELF estimates each pool problem's
// success rate p_hat with n_estimate samples, then draws the step's
// prompts from problems with 0 < p_hat <= tau (filter) or with weight
// 1 - p_hat (weight).

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

// SELFConfig is the recipe section `self:`.
type SELFConfig struct {
	Mode         string  `yaml:"mode"` // filter or weight ("off" disables it)
	NEstimate    int     `yaml:"n_estimate"`
	Tau          float64 `yaml:"tau"`
	RefreshEvery int     `yaml:"refresh_every"`
	Pool         int     `yaml:"pool"`
}

func init() {
	registerMethod("self", "SELF: train on problems the policy solves sometimes (success-rate curriculum)",
		SELFConfig{Mode: "filter", NEstimate: 8, Tau: 0.5, RefreshEvery: 50, Pool: 256},
		func(c *SELFConfig, r *Recipe) (method, error) {
			switch c.Mode {
			case "off":
			case "filter", "weight":
				if c.NEstimate < 1 || c.Pool < r.RL.PromptsPerStep || c.RefreshEvery < 1 {
					return nil, fmt.Errorf("n_estimate >= 1, pool >= rl.prompts_per_step and refresh_every >= 1")
				}
			default:
				return nil, fmt.Errorf("mode %q: want off, filter or weight", c.Mode)
			}
			return &selfMethod{c: *c}, nil
		}, "self.pool=16", "self.refresh_every=2")
}

type selfMethod struct {
	c    SELFConfig
	pHat []float64 // success-rate estimates of the pool
}

func (*selfMethod) name() string { return "self" }

func (s *selfMethod) state() any { return s.pHat }

func (s *selfMethod) restore(data json.RawMessage) error { return json.Unmarshal(data, &s.pHat) }

// problems draws n prompts for step st by SELF curation, refreshing the
// success-rate estimates of the pool every refresh_every steps.
func (s *selfMethod) problems(ru *runner, st, n int) ([]task.Problem, error) {
	sc := s.c
	if sc.Mode == "off" {
		return task.Generate(ru.task, task.Train, ru.r.Seed*7_000_003+uint64(st), n, ru.r.Task.Template)
	}
	c := ru.r.RL
	pool, err := task.Generate(ru.task, task.Train, ru.r.Seed*13+0x5e1f, sc.Pool, ru.r.Task.Template)
	if err != nil {
		return nil, err
	}
	if st%sc.RefreshEvery == 0 || len(s.pHat) != len(pool) {
		rng := rand.New(rand.NewPCG(ru.r.Seed+uint64(st), 0x5e1f))
		pHat := make([]float64, len(pool))
		for lo := 0; lo < len(pool); lo += max(1, genChunk/sc.NEstimate) {
			hi := min(lo+max(1, genChunk/sc.NEstimate), len(pool))
			var prompts [][]int32
			for i := lo; i < hi; i++ {
				pt, err := ru.encodePrompt(pool[i])
				if err != nil {
					return nil, err
				}
				for k := 0; k < sc.NEstimate; k++ {
					prompts = append(prompts, pt)
				}
			}
			g, err := ru.policy.Generate(prompts, lm.SampleOptions{Temperature: c.Temperature, MaxNew: c.MaxNewTokens, Stop: []int32{ru.eos}}, rng)
			if err != nil {
				return nil, err
			}
			for j, toks := range g.Tokens {
				if ru.task.Grade(pool[lo+j/sc.NEstimate], ru.completionText(toks)).Correct {
					pHat[lo+j/sc.NEstimate] += 1 / float64(sc.NEstimate)
				}
			}
		}
		s.pHat = pHat
	}
	rng := rand.New(rand.NewPCG(ru.r.Seed+uint64(st), 0x7069636b))
	out := make([]task.Problem, n)
	if sc.Mode == "filter" {
		keep := rl.SELFFilter(s.pHat, sc.Tau)
		if len(keep) == 0 { // nothing in the band: fall back to the whole pool
			keep = seq(len(pool))
		}
		for i := range out {
			out[i] = pool[keep[rng.IntN(len(keep))]]
		}
		return out, nil
	}
	w := rl.SELFWeights(s.pHat)
	for i := range out {
		u, j := rng.Float64(), 0
		for ; j < len(w)-1 && u >= w[j]; j++ {
			u -= w[j]
		}
		out[i] = pool[j]
	}
	return out, nil
}
