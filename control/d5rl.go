package control

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/autodidact-rl/autodidact/control/dataset"
	"github.com/autodidact-rl/autodidact/control/env"
)

// D5-lite: a small D5RL/D4RL-style suite of offline datasets (Rafailov et
// al. 2024, "D5RL: Diverse Datasets for Data-Driven Deep RL"; card E6,
// whose analog suite is our design — every choice below is a CHOICE).
// For each environment the behaviour policies are a uniform random
// policy and a hand-written ("scripted") controller that plays the role
// of the expert; the dataset kinds (SuiteKinds) are
//
//	random    uniform actions                                  (D4RL random)
//	expert    the scripted controller, Gaussian noise 0.1 h     (D4RL expert, h the half-range)
//	noisy     the scripted controller, noise 0.6 h              ("with noise"; roughly D4RL medium)
//	mixed     80% random transitions + 20% expert ones          (D4RL medium-expert-like mixture)
//	expert1   one clean episode of the scripted controller      (ReCOIL's single demonstration)
//	spin      Pendulum only: a controller that pumps energy and never balances (data from a different task)
//
// each SuiteTransitions long (expert1: one episode), collected once with
// a fixed seed per (env, kind) so that every algorithm and seed sees the
// same data. Scores are D4RL's normalised score
//
//	score = 100 (R - R_random) / (R_expert - R_random)
//
// with the reference returns of SuiteReferences: R_random is the uniform
// random policy's mean return, R_expert the clean scripted controller's,
// both measured once over 100 episodes (TestSuiteReferences re-measures
// them) and frozen.

// SuiteEnvs are the suite's environments.
var SuiteEnvs = []string{"Pendulum-v1", "MountainCarContinuous-v0"}

// SuiteKinds are the dataset kinds Suite can build.
var SuiteKinds = []string{"random", "expert", "noisy", "mixed", "expert1", "spin"}

// SuiteTransitions is the default dataset size.
const SuiteTransitions = 20000

// Reference returns one env's R_random and R_expert.
type Reference struct{ Random, Expert float64 }

// SuiteReferences are the frozen reference returns (measured 2026-12-01
// by MeasureReference with 100 episodes, seed 1).
var SuiteReferences = map[string]Reference{
	"Pendulum-v1":              {Random: -1177.23, Expert: -133.38},
	"MountainCarContinuous-v0": {Random: -33.31, Expert: 89.35},
}

// Score is the normalised score of return ret in envName (scores above
// 100 or below 0 are kept, never clipped).
func Score(envName string, ret float64) (float64, error) {
	ref, ok := SuiteReferences[envName]
	if !ok {
		return 0, fmt.Errorf("no reference returns for %s (the suite has %v)", envName, SuiteEnvs)
	}
	return NormalizedScore(ret, ref.Random, ref.Expert), nil
}

// pendulumHeuristic swings up by energy pumping and balances with PD.
func pendulumHeuristic(obs []float32, _ *rand.Rand) []float64 {
	c, s, w := float64(obs[0]), float64(obs[1]), float64(obs[2])
	th := math.Atan2(s, c)
	if c > 0.85 {
		return []float64{math.Max(-2, math.Min(2, -10*th-2*w))}
	}
	e := w*w/6 + 5*c - 5 // 0 upright at rest (g = 10)
	u := 2.0
	if e*w > 0 {
		u = -2
	}
	return []float64{u}
}

// pendulumSpin pumps energy in the direction of motion forever: the
// pendulum spins instead of balancing (the "different task").
func pendulumSpin(obs []float32, _ *rand.Rand) []float64 {
	if obs[2] >= 0 {
		return []float64{2}
	}
	return []float64{-2}
}

// mountainCarHeuristic pushes in the direction of the velocity (full
// force), which pumps energy and reaches the flag in one or two swings.
func mountainCarHeuristic(obs []float32, _ *rand.Rand) []float64 {
	if obs[1] >= 0 {
		return []float64{1}
	}
	return []float64{-1}
}

// ScriptedPolicy is envName's scripted (expert) controller.
func ScriptedPolicy(envName string) (dataset.Policy, error) {
	switch envName {
	case "Pendulum-v1":
		return pendulumHeuristic, nil
	case "MountainCarContinuous-v0":
		return mountainCarHeuristic, nil
	}
	return nil, fmt.Errorf("no scripted controller for %s (the suite has %v)", envName, SuiteEnvs)
}

// MeasureReference measures R_random and R_expert of envName over
// episodes (reset seeds seed*7919 + episode, as Policy.Evaluate's).
func MeasureReference(envName string, episodes int, seed uint64) (Reference, error) {
	rr, err := RandomReturns(envName, episodes, seed)
	if err != nil {
		return Reference{}, err
	}
	pol, err := ScriptedPolicy(envName)
	if err != nil {
		return Reference{}, err
	}
	rets, err := evalPolicy(envName, func(o []float32) []float64 { return pol(o, nil) }, episodes, seed)
	if err != nil {
		return Reference{}, err
	}
	return Reference{Random: rr, Expert: mean(rets)}, nil
}

func evalPolicy(envName string, act func([]float32) []float64, episodes int, seed uint64) ([]float64, error) {
	e, err := env.Make(envName)
	if err != nil {
		return nil, err
	}
	var rets []float64
	for ep := 0; ep < episodes; ep++ {
		obs := e.Reset(seed*7919 + uint64(ep))
		var ret float64
		for {
			s := e.Step(act(obs))
			ret += s.Reward
			obs = s.Obs
			if s.Terminated || s.Truncated {
				break
			}
		}
		rets = append(rets, ret)
	}
	return rets, nil
}

// SuiteDataset builds the dataset of one (env, kind) with n transitions
// (0: SuiteTransitions). The data depend only on (env, kind, n).
func SuiteDataset(envName, kind string, n int) (*dataset.Dataset, error) {
	if n <= 0 {
		n = SuiteTransitions
	}
	if !slices.Contains(SuiteKinds, kind) {
		return nil, fmt.Errorf("dataset kind %q: want one of %v", kind, SuiteKinds)
	}
	e, err := env.Make(envName)
	if err != nil {
		return nil, err
	}
	expert, err := ScriptedPolicy(envName)
	if err != nil {
		return nil, err
	}
	random := dataset.RandomPolicy(e.ActionSpace())
	seed := uint64(1000 + slices.Index(SuiteKinds, kind))
	var d *dataset.Dataset
	switch kind {
	case "random":
		d, err = dataset.Collect(envName, "random", random, n, 0, seed)
	case "expert":
		d, err = dataset.Collect(envName, "scripted", expert, n, 0.1, seed)
	case "noisy":
		d, err = dataset.Collect(envName, "scripted", expert, n, 0.6, seed)
	case "mixed":
		var r, x *dataset.Dataset
		if r, err = dataset.Collect(envName, "random", random, n-n/5, 0, seed); err != nil {
			return nil, err
		}
		if x, err = dataset.Collect(envName, "scripted", expert, n/5, 0.1, seed+100); err != nil {
			return nil, err
		}
		d = concatDatasets(r, x)
		d.Policy = "random+scripted"
	case "expert1":
		d, err = collectEpisodes(envName, expert, 1, seed)
	case "spin":
		if envName != "Pendulum-v1" {
			return nil, fmt.Errorf("dataset kind spin is Pendulum-v1's only")
		}
		d, err = dataset.Collect(envName, "spin", pendulumSpin, n, 0.1, seed)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// collectEpisodes collects whole clean episodes of policy.
func collectEpisodes(envName string, policy dataset.Policy, episodes int, seed uint64) (*dataset.Dataset, error) {
	e, err := env.Make(envName)
	if err != nil {
		return nil, err
	}
	// Collect stops at a step count; collect generously, then cut at the
	// end of the last wanted episode.
	d, err := dataset.Collect(envName, "scripted", policy, episodes*e.MaxEpisodeSteps(), 0, seed)
	if err != nil {
		return nil, err
	}
	cut, seen := d.Len(), 0
	for i := 0; i < d.Len(); i++ {
		if d.Term[i] == 1 || d.Timeout[i] == 1 {
			if seen++; seen == episodes {
				cut = i + 1
				break
			}
		}
	}
	od, ad := d.ObsDim, d.ActDim
	d.Obs, d.NextObs, d.Act = d.Obs[:cut*od], d.NextObs[:cut*od], d.Act[:cut*ad]
	d.Reward, d.Term, d.Timeout = d.Reward[:cut], d.Term[:cut], d.Timeout[:cut]
	d.Episodes = seen
	return d, nil
}

// concatDatasets appends b's rows to a copy of a's (same env and shapes).
func concatDatasets(a, b *dataset.Dataset) *dataset.Dataset {
	return &dataset.Dataset{Env: a.Env, Policy: a.Policy + "+" + b.Policy, Noise: a.Noise, Seed: a.Seed,
		Episodes: a.Episodes + b.Episodes, ObsDim: a.ObsDim, ActDim: a.ActDim,
		Obs: slices.Concat(a.Obs, b.Obs), Act: slices.Concat(a.Act, b.Act), NextObs: slices.Concat(a.NextObs, b.NextObs),
		Reward: slices.Concat(a.Reward, b.Reward), Term: slices.Concat(a.Term, b.Term), Timeout: slices.Concat(a.Timeout, b.Timeout)}
}
