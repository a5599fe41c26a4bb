package control

import (
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/control/dataset"
	"github.com/autodidact-rl/autodidact/control/env"
)

// BaselineAlgos are the off-policy baselines RunBaseline knows: online
// TD3 and the offline TD3+BC, IQL and CQL.
var BaselineAlgos = []string{"td3", "td3bc", "iql", "cql"}

// BaselineOptions are what `control train --algo td3|td3bc|iql|cql`
// passes. Zero Steps keeps the algorithm's (or smoke's) default. Env is
// required for td3 and for smoke runs without a dataset; for offline
// algorithms it is optional with a Dataset (checked against the file's
// env when both are given). Smoke uses the tiny configuration (offline
// ones collect 1000 random transitions when Dataset is "").
type BaselineOptions struct {
	Algo    string
	Env     string
	Dataset string
	Seed    uint64
	Steps   int
	Smoke   bool
	Expert  string            // ReCOIL's expert dataset (recoil only)
	Set     map[string]string // config overrides by JSON name (ApplySet)
	// CheckpointEvery overrides td3's checkpoint period (0: default).
	CheckpointEvery int
}

// IsOffline reports whether algo learns from a dataset.
func IsOffline(algo string) bool {
	return algo == "td3bc" || algo == "iql" || algo == "cql" || suiteAlgos[algo].offline
}

// RunBaseline trains one of BaselineAlgos into dir (config.json,
// metrics.jsonl, policy.safetensors, summary.json, like RunSAC).
func RunBaseline(o BaselineOptions, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if IsOffline(o.Algo) && o.Dataset == "" && !o.Smoke {
		return nil, fmt.Errorf("%s is offline: it needs --dataset FILE (or --smoke)", o.Algo)
	}
	steps := func(def int) int {
		if o.Steps > 0 {
			return o.Steps
		}
		return def
	}
	if a, ok := suiteAlgos[o.Algo]; ok {
		return a.run(o, steps, dir, evalEpisodes, log)
	}
	switch o.Algo {
	case "td3":
		if o.Env == "" {
			return nil, fmt.Errorf("td3 needs an environment")
		}
		cfg := DefaultTD3(o.Env)
		if o.Smoke {
			cfg = SmokeTD3(o.Env)
		}
		cfg.Seed, cfg.Steps = o.Seed, steps(cfg.Steps)
		cfg.LearningStart = min(cfg.LearningStart, cfg.Steps/2)
		if o.CheckpointEvery > 0 {
			cfg.CheckpointEvery = o.CheckpointEvery
		}
		if err := ApplySet(&cfg, o.Set); err != nil {
			return nil, fmt.Errorf("td3: %w", err)
		}
		return RunTD3(cfg, dir, evalEpisodes, log)
	case "td3bc":
		cfg := DefaultTD3BC(o.Dataset)
		if o.Smoke {
			cfg = SmokeTD3BC(o.Env)
		}
		cfg.Env, cfg.Dataset, cfg.Seed, cfg.Steps = o.Env, o.Dataset, o.Seed, steps(cfg.Steps)
		if err := ApplySet(&cfg, o.Set); err != nil {
			return nil, fmt.Errorf("td3bc: %w", err)
		}
		return RunTD3BC(cfg, dir, evalEpisodes, log)
	case "iql":
		cfg := DefaultIQL(o.Dataset)
		if o.Smoke {
			cfg = SmokeIQL(o.Env)
		}
		cfg.Env, cfg.Dataset, cfg.Seed, cfg.Steps = o.Env, o.Dataset, o.Seed, steps(cfg.Steps)
		if err := ApplySet(&cfg, o.Set); err != nil {
			return nil, fmt.Errorf("iql: %w", err)
		}
		return RunIQL(cfg, dir, evalEpisodes, log)
	case "cql":
		cfg := DefaultCQL(o.Dataset)
		if o.Smoke {
			cfg = SmokeCQL(o.Env)
		}
		cfg.Env, cfg.Dataset, cfg.Seed, cfg.Steps = o.Env, o.Dataset, o.Seed, steps(cfg.Steps)
		if err := ApplySet(&cfg, o.Set); err != nil {
			return nil, fmt.Errorf("cql: %w", err)
		}
		return RunCQL(cfg, dir, evalEpisodes, log)
	}
	return nil, fmt.Errorf("algo %q: want one of %v", o.Algo, BaselineAlgos)
}

// NormalizedScore is the D4RL score 100 (R - R_random) / (R_expert -
// R_random): 0 is the random policy's return, 100 the expert's.
func NormalizedScore(ret, randomReturn, expertReturn float64) float64 {
	return 100 * (ret - randomReturn) / (expertReturn - randomReturn)
}

// RandomReturns is R_random: the mean return of a uniform random policy
// over episodes of envName (box or discrete), reset seeds as Evaluate's.
func RandomReturns(envName string, episodes int, seed uint64) (float64, error) {
	e, err := env.Make(envName)
	if err != nil {
		return 0, err
	}
	pol := dataset.RandomPolicy(e.ActionSpace())
	r := rand.New(rand.NewPCG(seed, 0x726e64))
	var rets []float64
	for ep := 0; ep < episodes; ep++ {
		obs := e.Reset(seed*7919 + uint64(ep))
		var ret float64
		for {
			s := e.Step(pol(obs, r))
			ret += s.Reward
			obs = s.Obs
			if s.Terminated || s.Truncated {
				break
			}
		}
		rets = append(rets, ret)
	}
	return mean(rets), nil
}
