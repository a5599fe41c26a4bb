package control

import (
	"fmt"
	"io"
	"math/rand/v2"
)

// BCConfig holds behaviour cloning's hyperparameters: a deterministic
// tanh actor (TD3+BC's, 64-64 by default) regressed onto the dataset's
// actions, on states normalised by the dataset statistics (+1e-3). It is
// the baseline of the ReCOIL and D5-lite comparisons. Dataset/Collect as
// TD3BCConfig.
type BCConfig struct {
	Env       string  `json:"env"`
	Dataset   string  `json:"dataset"`
	Collect   int     `json:"collect_random,omitempty"`
	Seed      uint64  `json:"seed"`
	Steps     int     `json:"steps"`
	Batch     int     `json:"batch_size"`
	LR        float64 `json:"learning_rate"`
	Normalize bool    `json:"normalize"`
	Hidden    []int   `json:"hidden"`
	LogEvery  int     `json:"log_every"`
}

// DefaultBC returns the defaults for a dataset file.
func DefaultBC(datasetPath string) BCConfig {
	return BCConfig{Dataset: datasetPath, Seed: 1, Steps: 20000, Batch: 256, LR: 3e-4, Normalize: true, Hidden: []int{64, 64}, LogEvery: 1000}
}

// SmokeBC is a tiny run on 1000 random transitions of env.
func SmokeBC(envName string) BCConfig {
	c := DefaultBC("")
	c.Env, c.Collect, c.Steps, c.Batch, c.Hidden, c.LogEvery = envName, 1000, 300, 32, []int{16, 16}, 100
	return c
}

// bcLoss is L = mean_{i,d} (pi_id - a_id)^2 and dL/dpi_id = 2 (pi_id - a_id) / (B ad).
func bcLoss(pi, a []float64) (float64, []float64) {
	var l float64
	d := make([]float64, len(pi))
	for k := range pi {
		e := pi[k] - a[k]
		l += e * e / float64(len(pi))
		d[k] = 2 * e / float64(len(pi))
	}
	return l, d
}

// TrainBC runs behaviour cloning: Adam on bcLoss over uniformly sampled
// mini-batches of (s, a). The normaliser is folded into the returned actor.
func TrainBC(cfg BCConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	d, err := loadOffline(cfg.Dataset, cfg.Env, cfg.Collect, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("bc: %w", err)
	}
	box, err := boxOf(d.Env)
	if err != nil {
		return nil, fmt.Errorf("bc: %w", err)
	}
	if err := checkBox(d, box); err != nil {
		return nil, fmt.Errorf("bc: %w", err)
	}
	var norm *obsNorm
	if cfg.Normalize {
		norm = newObsNorm(d.Obs, d.ObsDim)
	}
	data := fromDataset(d, norm)
	r := rand.New(rand.NewPCG(cfg.Seed, 0x6263))
	actor, err := newDetActor("actor", box, cfg.Hidden, cfg.Batch, r)
	if err != nil {
		return nil, err
	}
	var sum float64
	for step := 0; step < cfg.Steps; step++ {
		b := data.sample(r, cfg.Batch)
		l, dPi := bcLoss(actor.act(b.obs, cfg.Batch), b.act)
		actor.step(dPi, cfg.Batch, cfg.LR)
		sum += l
		if cfg.LogEvery > 0 && (step+1)%cfg.LogEvery == 0 {
			if metrics != nil {
				metrics(map[string]any{"grad_steps": step + 1, "bc_loss": sum / float64(cfg.LogEvery)})
			}
			if log != nil {
				fmt.Fprintf(log, "bc %s step %d  mse %.4f\n", d.Env, step+1, sum/float64(cfg.LogEvery))
			}
			sum = 0
		}
	}
	if norm != nil {
		norm.fold(actor.net)
	}
	return actor.policy(), nil
}

// RunBC trains behaviour cloning into dir like RunSAC.
func RunBC(cfg BCConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	envName, err := offlineEnv(cfg.Dataset, cfg.Env)
	if err != nil {
		return nil, err
	}
	return runAlgo("bc", cfg, envName, cfg.Seed, cfg.Steps, dir, evalEpisodes, func(metrics func(map[string]any)) (*Policy, error) {
		return TrainBC(cfg, log, metrics)
	})
}
