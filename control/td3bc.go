package control

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// TD3BCConfig holds TD3+BC's hyperparameters (Fujimoto & Gu 2021:
// alpha 2.5, state normalisation on, TD3's noises and delays). Steps
// (paper: 1e6) and Hidden (paper: 256-256) are the card's small-scale
// choice, 50000 steps of 64-64 nets. Dataset is a dataset file
// (control/dataset); with Dataset "" and Collect > 0 the run collects
// that many transitions from a uniform random policy in Env instead.
type TD3BCConfig struct {
	Env         string  `json:"env"`
	Dataset     string  `json:"dataset"`
	Collect     int     `json:"collect_random,omitempty"`
	Seed        uint64  `json:"seed"`
	Steps       int     `json:"steps"` // gradient steps
	Batch       int     `json:"batch_size"`
	Gamma       float64 `json:"gamma"`
	Tau         float64 `json:"tau"`
	LR          float64 `json:"learning_rate"`
	PolicyNoise float64 `json:"policy_noise"`
	NoiseClip   float64 `json:"noise_clip"`
	PolicyEvery int     `json:"policy_frequency"`
	Alpha       float64 `json:"alpha"`
	Normalize   bool    `json:"normalize"`
	Hidden      []int   `json:"hidden"`
	LogEvery    int     `json:"log_every"`
}

// DefaultTD3BC returns the defaults for a dataset file.
func DefaultTD3BC(datasetPath string) TD3BCConfig {
	return TD3BCConfig{Dataset: datasetPath, Seed: 1, Steps: 50000, Batch: 256, Gamma: 0.99, Tau: 0.005, LR: 3e-4,
		PolicyNoise: 0.2, NoiseClip: 0.5, PolicyEvery: 2, Alpha: 2.5, Normalize: true, Hidden: []int{64, 64}, LogEvery: 1000}
}

// SmokeTD3BC is a tiny run on 1000 random transitions of env.
func SmokeTD3BC(envName string) TD3BCConfig {
	c := DefaultTD3BC("")
	c.Env, c.Collect, c.Steps, c.Batch, c.Hidden, c.LogEvery = envName, 1000, 300, 32, []int{16, 16}, 100
	return c
}

// td3bcActorLoss is TD3+BC's actor loss over a batch of B rows,
//
//	lambda = alpha / mean_i |Q_i|   (held constant),
//	L = -lambda mean_i Q_i + mean_{i,d} (pi_id - a_id)^2,
//
// with q = Q_1(s, pi(s)), and its gradients dL/dQ_i = -lambda/B and
// dL/dpi_id = 2 (pi_id - a_id) / (B ad).
func td3bcActorLoss(q, pi, a []float64, alpha float64) (loss float64, dQ, dPi []float64) {
	B := len(q)
	var absQ, meanQ float64
	for _, v := range q {
		absQ += math.Abs(v) / float64(B)
		meanQ += v / float64(B)
	}
	lambda := alpha / math.Max(absQ, 1e-8)
	dQ = make([]float64, B)
	for i := range dQ {
		dQ[i] = -lambda / float64(B)
	}
	dPi = make([]float64, len(pi))
	var bc float64
	for k := range pi {
		d := pi[k] - a[k]
		bc += d * d / float64(len(pi))
		dPi[k] = 2 * d / float64(len(pi))
	}
	return -lambda*meanQ + bc, dQ, dPi
}

// TrainTD3BC runs TD3+BC on a fixed dataset: TD3's critic update (target
// smoothing, clipped double Q, not-done = 1 - terminal so timeouts
// bootstrap) and, every PolicyEvery steps, the actor loss
// td3bcActorLoss, on states normalised by the dataset's mean and std
// (+1e-3). The returned actor has the normalisation folded into its
// first layer, so it takes raw observations.
func TrainTD3BC(cfg TD3BCConfig, log io.Writer, metrics func(map[string]any)) (*Policy, string, error) {
	d, err := loadOffline(cfg.Dataset, cfg.Env, cfg.Collect, cfg.Seed)
	if err != nil {
		return nil, "", fmt.Errorf("td3bc: %w", err)
	}
	box, err := boxOf(d.Env)
	if err != nil {
		return nil, "", fmt.Errorf("td3bc: %w", err)
	}
	if err := checkBox(d, box); err != nil {
		return nil, "", fmt.Errorf("td3bc: %w", err)
	}
	var norm *obsNorm
	if cfg.Normalize {
		norm = newObsNorm(d.Obs, d.ObsDim)
	}
	data := fromDataset(d, norm)
	r := rand.New(rand.NewPCG(cfg.Seed, 0x7464336263))
	c, err := newTD3Core(box, cfg.Hidden, cfg.Batch, r)
	if err != nil {
		return nil, "", err
	}
	c.gamma, c.tau, c.lr, c.noise, c.clip, c.every, c.alpha = cfg.Gamma, cfg.Tau, cfg.LR, cfg.PolicyNoise, cfg.NoiseClip, cfg.PolicyEvery, cfg.Alpha
	for step := 0; step < cfg.Steps; step++ {
		c.update(data.sample(r, cfg.Batch))
		if cfg.LogEvery > 0 && (step+1)%cfg.LogEvery == 0 {
			ql, al := c.qLoss/float64(max(c.it, 1)), c.aLoss/float64(max(c.actorSteps, 1))
			if metrics != nil {
				metrics(map[string]any{"grad_steps": step + 1, "q_loss": ql, "actor_loss": al})
			}
			if log != nil {
				fmt.Fprintf(log, "td3bc %s step %d  q_loss %.4f  actor_loss %.4f\n", d.Env, step+1, ql, al)
			}
			c.qLoss, c.aLoss, c.it, c.actorSteps = 0, 0, 0, 0
		}
	}
	if norm != nil {
		norm.fold(c.actor.net)
	}
	return c.actor.policy(), d.Env, nil
}

// RunTD3BC trains TD3+BC into dir like RunSAC and evaluates in the
// dataset's environment.
func RunTD3BC(cfg TD3BCConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	envName, err := offlineEnv(cfg.Dataset, cfg.Env)
	if err != nil {
		return nil, err
	}
	return runAlgo("td3bc", cfg, envName, cfg.Seed, cfg.Steps, dir, evalEpisodes, func(metrics func(map[string]any)) (*Policy, error) {
		p, _, err := TrainTD3BC(cfg, log, metrics)
		return p, err
	})
}
