package control

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/autodidact-rl/autodidact/control/dataset"
	"github.com/autodidact-rl/autodidact/control/env"
)

// SpeedAlgos are the learners UpdateSpeed times.
var SpeedAlgos = []string{"sac", "td3"}

// UpdateSpeed times gradient updates of algo ("sac" or "td3") with the
// default networks (256-256) and batch (256) on envName: it fills a
// replay buffer with 10,000 uniform-random transitions, runs 20 updates
// to warm up, then returns updates per second over the next `updates`.
// Only the learner is timed (no environment steps), which is what
// scripts/control_speed.py times in PyTorch.
func UpdateSpeed(algo, envName string, updates int, seed uint64) (float64, error) {
	if updates < 1 {
		return 0, fmt.Errorf("update speed: want at least one update, got %d", updates)
	}
	box, err := boxOf(envName)
	if err != nil {
		return 0, fmt.Errorf("update speed: %w", err)
	}
	e, _ := env.Make(envName)
	d, err := dataset.Collect(envName, "random", dataset.RandomPolicy(e.ActionSpace()), 10_000, 0, seed)
	if err != nil {
		return 0, err
	}
	buf := fromDataset(d, nil)
	r := rand.New(rand.NewPCG(seed, 0x737064))
	var update func(b batch, step int)
	var B int
	switch algo {
	case "sac":
		cfg := DefaultSAC(envName)
		ag, err := newSACAgent(cfg, box, r)
		if err != nil {
			return 0, err
		}
		B, update = cfg.Batch, ag.update
	case "td3":
		cfg := DefaultTD3(envName)
		c, err := newTD3Core(box, cfg.Hidden, cfg.Batch, r)
		if err != nil {
			return 0, err
		}
		c.gamma, c.tau, c.lr, c.noise, c.clip, c.every = cfg.Gamma, cfg.Tau, cfg.LR, cfg.PolicyNoise, cfg.NoiseClip, cfg.PolicyEvery
		B, update = cfg.Batch, func(b batch, _ int) { c.update(b) }
	default:
		return 0, fmt.Errorf("update speed: algo %q: want one of %v", algo, SpeedAlgos)
	}
	for i := 0; i < 20; i++ {
		update(buf.sample(r, B), i)
	}
	start := time.Now()
	for i := 0; i < updates; i++ {
		update(buf.sample(r, B), 20+i)
	}
	return float64(updates) / time.Since(start).Seconds(), nil
}
