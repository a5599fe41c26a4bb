package control

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// PRDCConfig holds PRDC's hyperparameters (Ran et al. 2023, "Policy
// Regularization with Dataset Constraint", LAMDA-RL/PRDC; card E1):
// TD3+BC's settings (alpha 2.5, state normalisation on, TD3's noises and
// delays) plus beta (2: the README's value for hopper/walker2d, d3rlpy's
// default) weighting the state in the neighbour search. Steps and Hidden
// are the card's small-scale choice (paper 1e6 steps, 256-256).
// NNBackend "kdtree" (default) or "brute" picks the exact 1-NN search
// (CHOICE: both give the same neighbour). Dataset/Collect as TD3BCConfig.
type PRDCConfig struct {
	Env         string  `json:"env"`
	Dataset     string  `json:"dataset"`
	Collect     int     `json:"collect_random,omitempty"`
	Seed        uint64  `json:"seed"`
	Steps       int     `json:"steps"`
	Batch       int     `json:"batch_size"`
	Gamma       float64 `json:"gamma"`
	Tau         float64 `json:"tau"`
	LR          float64 `json:"learning_rate"`
	PolicyNoise float64 `json:"policy_noise"`
	NoiseClip   float64 `json:"noise_clip"`
	PolicyEvery int     `json:"policy_frequency"`
	Alpha       float64 `json:"alpha"`
	Beta        float64 `json:"beta"`
	Normalize   bool    `json:"normalize"`
	NNBackend   string  `json:"nn_backend"`
	Hidden      []int   `json:"hidden"`
	LogEvery    int     `json:"log_every"`
}

// DefaultPRDC returns the defaults for a dataset file.
func DefaultPRDC(datasetPath string) PRDCConfig {
	return PRDCConfig{Dataset: datasetPath, Seed: 1, Steps: 50000, Batch: 256, Gamma: 0.99, Tau: 0.005, LR: 3e-4,
		PolicyNoise: 0.2, NoiseClip: 0.5, PolicyEvery: 2, Alpha: 2.5, Beta: 2, Normalize: true, NNBackend: "kdtree",
		Hidden: []int{64, 64}, LogEvery: 1000}
}

// SmokePRDC is a tiny run on 1000 random transitions of env.
func SmokePRDC(envName string) PRDCConfig {
	c := DefaultPRDC("")
	c.Env, c.Collect, c.Steps, c.Batch, c.Hidden, c.LogEvery = envName, 1000, 300, 32, []int{16, 16}, 100
	return c
}

// prdcIndex is the dataset constraint's search structure: the points
// X_j = [beta s_j, a_j] (normalised states, actions in env units) of
// every dataset row and their actions.
type prdcIndex struct {
	beta   float64
	od, ad int
	pts    []float64
	acts   []float64
	tree   *kdTree // nil: brute force
}

func newPRDCIndex(obs []float32, act []float32, od, ad int, beta float64, backend string) (*prdcIndex, error) {
	n := len(obs) / od
	ix := &prdcIndex{beta: beta, od: od, ad: ad, pts: make([]float64, n*(od+ad)), acts: make([]float64, n*ad)}
	for i := 0; i < n; i++ {
		for j := 0; j < od; j++ {
			ix.pts[i*(od+ad)+j] = beta * float64(obs[i*od+j])
		}
		for d := 0; d < ad; d++ {
			ix.pts[i*(od+ad)+od+d] = float64(act[i*ad+d])
			ix.acts[i*ad+d] = float64(act[i*ad+d])
		}
	}
	switch backend {
	case "kdtree", "":
		ix.tree = newKDTree(ix.pts, od+ad)
	case "brute":
	default:
		return nil, fmt.Errorf("prdc: nn_backend %q: want kdtree or brute", backend)
	}
	return ix, nil
}

// targets returns, for each row i of (obs, pi), the dataset action
// a_{j_i} of j_i = argmin_j || [beta s_i, pi_i] - X_j ||_2, and j_i.
func (ix *prdcIndex) targets(obs []float32, pi []float64, rows int) ([]float64, []int) {
	k := ix.od + ix.ad
	out, js := make([]float64, rows*ix.ad), make([]int, rows)
	key := make([]float64, k)
	for i := 0; i < rows; i++ {
		for j := 0; j < ix.od; j++ {
			key[j] = ix.beta * float64(obs[i*ix.od+j])
		}
		copy(key[ix.od:], pi[i*ix.ad:(i+1)*ix.ad])
		var jn int
		if ix.tree != nil {
			jn, _ = ix.tree.nearest(key)
		} else {
			jn, _ = nearestBrute(ix.pts, k, key)
		}
		js[i] = jn
		copy(out[i*ix.ad:], ix.acts[jn*ix.ad:(jn+1)*ix.ad])
	}
	return out, js
}

// prdcActorLoss is PRDC's actor loss over B rows: TD3+BC's loss with the
// dataset action at the same state replaced by the neighbour's action â
// (a constant: no gradient flows through the search),
//
//	lambda = alpha / mean_i |Q_i|,   L = -lambda mean_i Q_i + mean_{i,d} (pi_id - â_id)^2,
//
// with q = Q_1(s, pi(s)); dL/dQ_i = -lambda/B, dL/dpi_id = 2 (pi_id - â_id) / (B ad).
func prdcActorLoss(q, pi, aHat []float64, alpha float64) (loss float64, dQ, dPi []float64) {
	return td3bcActorLoss(q, pi, aHat, alpha)
}

// TrainPRDC runs PRDC on a fixed dataset. The critic step is TD3's
// (td3Core.update: target smoothing, clipped double Q, timeouts
// bootstrap); every PolicyEvery steps the actor minimises prdcActorLoss
// with â from the 1-NN of [beta s, pi(s)] among the dataset's
// [beta s_j, a_j] (k-d tree built once), then all targets are
// Polyak-averaged. States are normalised by the dataset's mean and std
// (+1e-3), folded into the returned actor.
func TrainPRDC(cfg PRDCConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	d, err := loadOffline(cfg.Dataset, cfg.Env, cfg.Collect, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("prdc: %w", err)
	}
	box, err := boxOf(d.Env)
	if err != nil {
		return nil, fmt.Errorf("prdc: %w", err)
	}
	if err := checkBox(d, box); err != nil {
		return nil, fmt.Errorf("prdc: %w", err)
	}
	if cfg.PolicyEvery < 1 {
		return nil, fmt.Errorf("prdc: policy_frequency %d: want at least 1", cfg.PolicyEvery)
	}
	var norm *obsNorm
	if cfg.Normalize {
		norm = newObsNorm(d.Obs, d.ObsDim)
	}
	data := fromDataset(d, norm)
	ix, err := newPRDCIndex(data.obs[:data.n*data.od], data.act[:data.n*data.ad], box.od, box.ad, cfg.Beta, cfg.NNBackend)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x70726463))
	c, err := newTD3Core(box, cfg.Hidden, cfg.Batch, r)
	if err != nil {
		return nil, err
	}
	// The core does the critic steps only (its actor step never fires);
	// the actor step is PRDC's, below.
	c.gamma, c.tau, c.lr, c.noise, c.clip, c.every = cfg.Gamma, cfg.Tau, cfg.LR, cfg.PolicyNoise, cfg.NoiseClip, math.MaxInt
	B, ad := cfg.Batch, box.ad
	var aLoss, dist, sameRow float64
	var actorSteps int
	for step := 0; step < cfg.Steps; step++ {
		b := data.sample(r, B)
		c.update(b)
		if (step+1)%cfg.PolicyEvery == 0 {
			pi := c.actor.act(b.obs, B)
			aHat, _ := ix.targets(b.obs, pi, B)
			x := qIn(b.obs, pi, B, box.od, ad)
			q := c.critic.q[0].Forward(x, B)
			qs := make([]float64, B)
			for i := range qs {
				qs[i] = float64(q[i])
			}
			loss, dQ, dPi := prdcActorLoss(qs, pi, aHat, cfg.Alpha)
			g, _ := c.critic.actionGrad(b.obs, pi, B, false, -dQ[0]*float64(B))
			for k := range dPi {
				dPi[k] += g[k]
				dist += math.Abs(aHat[k]-b.act[k]) / float64(B*ad)
			}
			for i := 0; i < B; i++ {
				same := true
				for k := i * ad; k < (i+1)*ad; k++ {
					same = same && aHat[k] == b.act[k]
				}
				if same {
					sameRow += 1 / float64(B)
				}
			}
			c.actor.net.Forward(b.obs, B) // restore the actor's activations
			c.actor.step(dPi, B, cfg.LR)
			c.critic.polyak(cfg.Tau)
			polyak(c.actorT.net, c.actor.net, cfg.Tau)
			aLoss += loss
			actorSteps++
		}
		if cfg.LogEvery > 0 && (step+1)%cfg.LogEvery == 0 {
			ql, al := c.qLoss/float64(max(c.it, 1)), aLoss/float64(max(actorSteps, 1))
			an := float64(max(actorSteps, 1))
			if metrics != nil {
				metrics(map[string]any{"grad_steps": step + 1, "q_loss": ql, "actor_loss": al,
					"neighbour_action_gap": dist / an, "neighbour_is_own_action": sameRow / an})
			}
			if log != nil {
				fmt.Fprintf(log, "prdc %s step %d  q_loss %.4f  actor_loss %.4f  |â - a| %.3f  â = a %.2f\n",
					d.Env, step+1, ql, al, dist/an, sameRow/an)
			}
			c.qLoss, c.it, aLoss, actorSteps, dist, sameRow = 0, 0, 0, 0, 0, 0
		}
	}
	if norm != nil {
		norm.fold(c.actor.net)
	}
	return c.actor.policy(), nil
}

// RunPRDC trains PRDC into dir like RunSAC.
func RunPRDC(cfg PRDCConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	envName, err := offlineEnv(cfg.Dataset, cfg.Env)
	if err != nil {
		return nil, err
	}
	return runAlgo("prdc", cfg, envName, cfg.Seed, cfg.Steps, dir, evalEpisodes, func(metrics func(map[string]any)) (*Policy, error) {
		return TrainPRDC(cfg, log, metrics)
	})
}
