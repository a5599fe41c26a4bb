// Package dataset is the on-disk format of offline RL data: transitions
// (observation, action, reward, next observation, terminal, timeout) in
// the spirit of D4RL/Minari, stored as one safetensors file:
//
//	observations      F32 [N, obs_dim]
//	actions           F32 [N, act_dim]   (discrete actions: the index, act_dim 1)
//	rewards           F32 [N]
//	next_observations F32 [N, obs_dim]
//	terminals         F32 [N]            1 where the MDP terminated (no bootstrap)
//	timeouts          F32 [N]            1 where a time limit truncated the episode
//
// with metadata: format ("autodidact-transitions-v1"), env, policy, noise,
// seed, episodes. Terminals and timeouts are kept apart so offline
// algorithms bootstrap correctly. Collect writes data by rolling out any
// policy with optional exploration noise (random, medium, expert and mixed
// datasets differ only in the policy and noise).
package dataset

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/control/env"
)

// Format identifies the file layout.
const Format = "autodidact-transitions-v1"

// Dataset holds transitions in memory.
type Dataset struct {
	Env                   string
	Policy                string
	Noise                 float64
	Seed                  uint64
	Episodes              int
	ObsDim, ActDim        int
	Obs, Act, NextObs     []float32 // row-major [N, dim]
	Reward, Term, Timeout []float32 // [N]
}

// Len is the number of transitions.
func (d *Dataset) Len() int { return len(d.Reward) }

// Policy maps an observation to an action.
type Policy func(obs []float32, r *rand.Rand) []float64

// RandomPolicy samples uniformly from the action space.
func RandomPolicy(space env.Space) Policy {
	return func(_ []float32, r *rand.Rand) []float64 {
		if space.Discrete > 0 {
			return []float64{float64(r.IntN(space.Discrete))}
		}
		a := make([]float64, space.Dim)
		for i := range a {
			a[i] = space.Low[i] + (space.High[i]-space.Low[i])*r.Float64()
		}
		return a
	}
}

// Collect rolls out policy in the named environment for steps transitions.
// With noise > 0, a discrete action is replaced by a random one with
// probability noise, and a box action gets Gaussian noise of std noise
// times the half-range, clipped to the space.
func Collect(name, policyName string, policy Policy, steps int, noise float64, seed uint64) (*Dataset, error) {
	e, err := env.Make(name)
	if err != nil {
		return nil, err
	}
	os, as := e.ObservationSpace(), e.ActionSpace()
	d := &Dataset{Env: name, Policy: policyName, Noise: noise, Seed: seed, ObsDim: os.Dim, ActDim: max(as.Dim, 1)}
	r := rand.New(rand.NewPCG(seed, 0x64617461))
	random := RandomPolicy(as)
	episode := uint64(0)
	obs := e.Reset(seed*1_000_003 + episode)
	for i := 0; i < steps; i++ {
		a := policy(obs, r)
		if noise > 0 {
			if as.Discrete > 0 {
				if r.Float64() < noise {
					a = random(obs, r)
				}
			} else {
				for j := range a {
					half := (as.High[j] - as.Low[j]) / 2
					a[j] = min(as.High[j], max(as.Low[j], a[j]+noise*half*r.NormFloat64()))
				}
			}
		}
		s := e.Step(a)
		d.Obs = append(d.Obs, obs...)
		for _, v := range a {
			d.Act = append(d.Act, float32(v))
		}
		d.NextObs = append(d.NextObs, s.Obs...)
		d.Reward = append(d.Reward, float32(s.Reward))
		d.Term = append(d.Term, b2f(s.Terminated))
		d.Timeout = append(d.Timeout, b2f(s.Truncated))
		obs = s.Obs
		if s.Terminated || s.Truncated {
			d.Episodes++
			episode++
			obs = e.Reset(seed*1_000_003 + episode)
		}
	}
	return d, nil
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// Save writes the dataset as safetensors, atomically.
func (d *Dataset) Save(path string) error {
	n := d.Len()
	ts := []checkpoint.Tensor{
		{Name: "observations", Shape: []int{n, d.ObsDim}, Data: d.Obs},
		{Name: "actions", Shape: []int{n, d.ActDim}, Data: d.Act},
		{Name: "rewards", Shape: []int{n}, Data: d.Reward},
		{Name: "next_observations", Shape: []int{n, d.ObsDim}, Data: d.NextObs},
		{Name: "terminals", Shape: []int{n}, Data: d.Term},
		{Name: "timeouts", Shape: []int{n}, Data: d.Timeout},
	}
	meta := map[string]string{"format": Format, "env": d.Env, "policy": d.Policy,
		"noise": strconv.FormatFloat(d.Noise, 'g', -1, 64), "seed": strconv.FormatUint(d.Seed, 10), "episodes": strconv.Itoa(d.Episodes)}
	return checkpoint.WriteSafetensors(path, ts, meta)
}

// Load reads and validates a dataset file: the format tag, every field
// present, consistent row counts and dimensions, 0/1 flags.
func Load(path string) (*Dataset, error) {
	ts, meta, err := checkpoint.ReadSafetensors(path)
	if err != nil {
		return nil, err
	}
	if meta["format"] != Format {
		return nil, fmt.Errorf("%s: format %q, want %q", path, meta["format"], Format)
	}
	get := func(name string, rank int) (checkpoint.Tensor, error) {
		t, ok := ts[name]
		if !ok {
			return t, fmt.Errorf("%s: field %s is missing", path, name)
		}
		if len(t.Shape) != rank {
			return t, fmt.Errorf("%s: field %s has shape %v, want rank %d", path, name, t.Shape, rank)
		}
		return t, nil
	}
	d := &Dataset{Env: meta["env"], Policy: meta["policy"]}
	d.Noise, _ = strconv.ParseFloat(meta["noise"], 64)
	d.Seed, _ = strconv.ParseUint(meta["seed"], 10, 64)
	d.Episodes, _ = strconv.Atoi(meta["episodes"])
	obs, err := get("observations", 2)
	if err != nil {
		return nil, err
	}
	n := obs.Shape[0]
	d.ObsDim, d.Obs = obs.Shape[1], obs.Data
	for _, f := range []struct {
		name string
		rank int
		dst  *[]float32
		dim  *int
	}{{"actions", 2, &d.Act, &d.ActDim}, {"next_observations", 2, &d.NextObs, nil}, {"rewards", 1, &d.Reward, nil},
		{"terminals", 1, &d.Term, nil}, {"timeouts", 1, &d.Timeout, nil}} {
		t, err := get(f.name, f.rank)
		if err != nil {
			return nil, err
		}
		if t.Shape[0] != n {
			return nil, fmt.Errorf("%s: field %s has %d rows, observations %d", path, f.name, t.Shape[0], n)
		}
		if f.name == "next_observations" && t.Shape[1] != d.ObsDim {
			return nil, fmt.Errorf("%s: next_observations width %d, observations %d", path, t.Shape[1], d.ObsDim)
		}
		if f.dim != nil {
			*f.dim = t.Shape[1]
		}
		*f.dst = t.Data
	}
	for i := 0; i < n; i++ {
		for _, flag := range []struct {
			name string
			v    float32
		}{{"terminals", d.Term[i]}, {"timeouts", d.Timeout[i]}} {
			if flag.v != 0 && flag.v != 1 {
				return nil, fmt.Errorf("%s: %s[%d] = %v, want 0 or 1", path, flag.name, i, flag.v)
			}
		}
	}
	return d, nil
}
