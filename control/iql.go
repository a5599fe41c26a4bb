package control

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
)

// IQLConfig holds IQL's hyperparameters (Kostrikov, Nair & Levine 2021;
// CORL iql.py defaults: expectile 0.7, beta 3, weights clipped at 100,
// lr 3e-4, state normalisation on). Steps (paper 1e6) and Hidden (paper
// 256-256) are the card's small-scale choice. The actor is CORL's
// Gaussian: mean tanh(mu(s)) in the action box scaled to [-1, 1] and a
// state-independent log std (initial 0) clamped to [-5, 2] (CORL: -20);
// CORL's cosine actor-lr schedule is not used. Only the mean is saved.
// Dataset/Collect as TD3BCConfig.
type IQLConfig struct {
	Env         string  `json:"env"`
	Dataset     string  `json:"dataset"`
	Collect     int     `json:"collect_random,omitempty"`
	Seed        uint64  `json:"seed"`
	Steps       int     `json:"steps"`
	Batch       int     `json:"batch_size"`
	Gamma       float64 `json:"gamma"`
	Tau         float64 `json:"tau"`
	Expectile   float64 `json:"expectile"`
	Beta        float64 `json:"beta"`
	MaxWeight   float64 `json:"max_weight"`
	ActorLR     float64 `json:"actor_lr"`
	QLR         float64 `json:"q_lr"`
	VLR         float64 `json:"v_lr"`
	Normalize   bool    `json:"normalize"`
	RewardScale float64 `json:"reward_scale"` // r <- scale r (IQL on D4RL locomotion: 1000 / (max return - min return))
	Hidden      []int   `json:"hidden"`
	LogEvery    int     `json:"log_every"`
}

// DefaultIQL returns the defaults for a dataset file.
func DefaultIQL(datasetPath string) IQLConfig {
	return IQLConfig{Dataset: datasetPath, Seed: 1, Steps: 50000, Batch: 256, Gamma: 0.99, Tau: 0.005, Expectile: 0.7,
		Beta: 3, MaxWeight: 100, RewardScale: 1, ActorLR: 3e-4, QLR: 3e-4, VLR: 3e-4, Normalize: true, Hidden: []int{64, 64}, LogEvery: 1000}
}

// SmokeIQL is a tiny run on 1000 random transitions of env.
func SmokeIQL(envName string) IQLConfig {
	c := DefaultIQL("")
	c.Env, c.Collect, c.Steps, c.Batch, c.Hidden, c.LogEvery = envName, 1000, 300, 32, []int{16, 16}, 100
	return c
}

// expectileLoss is L = mean_i |tau - 1(u_i < 0)| u_i^2 and dL/du_i.
func expectileLoss(u []float64, tau float64) (float64, []float64) {
	var l float64
	d := make([]float64, len(u))
	for i, v := range u {
		w := tau
		if v < 0 {
			w = 1 - tau
		}
		l += w * v * v / float64(len(u))
		d[i] = 2 * w * v / float64(len(u))
	}
	return l, d
}

// iqlActorLoss is L = -mean_i w_i log pi(a_i|s_i) with advantage weights
// w_i = min(exp(beta A_i), maxW), A = Q'(s,a) - V(s); it returns L and w.
func iqlActorLoss(adv, logp []float64, beta, maxW float64) (float64, []float64) {
	var l float64
	w := make([]float64, len(adv))
	for i := range adv {
		w[i] = math.Min(math.Exp(beta*adv[i]), maxW)
		l -= w[i] * logp[i] / float64(len(adv))
	}
	return l, w
}

// gaussLogProb is log N(a; m, sigma^2) summed over action dims for rows
// of actor outputs mu [rows, ad], with m = tanh(mu), a in [-1, 1] units
// and the state-independent log sigma = clamp(logStd, -5, 2) (CORL's
// GaussianPolicy), and its gradients d log p / d mu [rows*ad] and
// d log p / d logStd per row [rows*ad] (zero where clamped).
func gaussLogProb(mu []float32, logStd []float32, a []float64, rows, ad int) (logp, dMu, dLs []float64) {
	logp, dMu, dLs = make([]float64, rows), make([]float64, rows*ad), make([]float64, rows*ad)
	for i := 0; i < rows; i++ {
		for d := 0; d < ad; d++ {
			k := i*ad + d
			m := math.Tanh(float64(mu[k]))
			ls := float64(logStd[d])
			clamped := ls < logStdMin || ls > logStdMax
			ls = math.Max(logStdMin, math.Min(logStdMax, ls))
			sd := math.Exp(ls)
			z := (a[k] - m) / sd
			logp[i] += -0.5*z*z - ls - 0.5*math.Log(2*math.Pi)
			dMu[k] = z / sd * (1 - m*m)
			if !clamped {
				dLs[k] = z*z - 1
			}
		}
	}
	return logp, dMu, dLs
}

// TrainIQL runs Implicit Q-Learning on a fixed dataset; per step, with
// V(s') taken before V's update:
//
//	L_V = mean |tau - 1(u < 0)| u^2,  u = min_j Q'_j(s, a) - V(s)        (expectile regression)
//	L_Q = sum_j mean (Q_j(s, a) - r - gamma (1 - term) V(s'))^2
//	L_pi = -mean min(exp(beta u), 100) log pi(a|s)                       (advantage-weighted regression)
//
// then Q' <- tau Q + (1 - tau) Q'. States are normalised by the dataset
// statistics, folded into the returned actor; its greedy action is
// scale tanh(mu(s)) + bias.
func TrainIQL(cfg IQLConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	d, err := loadOffline(cfg.Dataset, cfg.Env, cfg.Collect, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("iql: %w", err)
	}
	box, err := boxOf(d.Env)
	if err != nil {
		return nil, fmt.Errorf("iql: %w", err)
	}
	if err := checkBox(d, box); err != nil {
		return nil, fmt.Errorf("iql: %w", err)
	}
	var norm *obsNorm
	if cfg.Normalize {
		norm = newObsNorm(d.Obs, d.ObsDim)
	}
	data := fromDataset(d, norm)
	for i := range data.rew {
		data.rew[i] *= cfg.RewardScale
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x69716c))
	B, od, ad := cfg.Batch, box.od, box.ad
	critic, err := newTwinQ(od, ad, cfg.Hidden, B, r)
	if err != nil {
		return nil, err
	}
	vf, err := nn.NewMLP("v", mlpSizes(od, cfg.Hidden, 1), nn.ReLU, B, r)
	if err != nil {
		return nil, err
	}
	vOpt := optim.NewAdamW(vf.Params(), adam())
	actor, err := nn.NewMLP("actor", mlpSizes(od, cfg.Hidden, ad), nn.ReLU, B, r)
	if err != nil {
		return nil, err
	}
	logStd := nn.NewParam("actor.log_std", ad) // zero: sigma 1 in [-1, 1] units
	aOpt := optim.NewAdamW(append(actor.Params(), logStd), adam())
	var vSum, qSum, aSum, wSum, clipped, vMean float64
	for step := 0; step < cfg.Steps; step++ {
		b := data.sample(r, B)
		nv := vf.Forward(b.next, B)
		y := make([]float64, B)
		for i := range y {
			y[i] = b.rew[i] + cfg.Gamma*b.nd[i]*float64(nv[i])
		}
		// V: expectile regression toward the target critics.
		tq := critic.targetMin(b.obs, b.act, B)
		v := vf.Forward(b.obs, B)
		u := make([]float64, B)
		for i := range u {
			u[i] = tq[i] - float64(v[i])
		}
		vl, du := expectileLoss(u, cfg.Expectile)
		dv := make([]float32, B)
		for i := range dv {
			dv[i] = float32(-du[i])
		}
		for _, p := range vf.Params() {
			p.ZeroGrad()
		}
		vf.Backward(dv, B)
		vOpt.Step(cfg.VLR)
		// Q toward r + gamma V(s').
		ql := critic.regress(b.obs, b.act, y, cfg.QLR)
		// Actor: advantage-weighted log-likelihood of the dataset action.
		an := make([]float64, B*ad)
		for k := range an {
			dd := k % ad
			an[k] = math.Max(-1, math.Min(1, (b.act[k]-box.bias[dd])/box.scale[dd]))
		}
		out := actor.Forward(b.obs, B)
		logp, dMu, dLs := gaussLogProb(out, logStd.W, an, B, ad)
		al, w := iqlActorLoss(u, logp, cfg.Beta, cfg.MaxWeight)
		dOut := make([]float32, len(dMu))
		for _, p := range actor.Params() {
			p.ZeroGrad()
		}
		logStd.ZeroGrad()
		for k := range dMu {
			dOut[k] = float32(-w[k/ad] * dMu[k] / float64(B))
			logStd.G[k%ad] += float32(-w[k/ad] * dLs[k] / float64(B))
		}
		actor.Backward(dOut, B)
		aOpt.Step(cfg.ActorLR)
		critic.polyak(cfg.Tau)
		vSum, qSum, aSum = vSum+vl, qSum+ql, aSum+al
		for i := range w {
			wSum += w[i] / float64(B)
			vMean += float64(v[i]) / float64(B)
			if w[i] >= cfg.MaxWeight {
				clipped += 1 / float64(B)
			}
		}
		if cfg.LogEvery > 0 && (step+1)%cfg.LogEvery == 0 {
			n := float64(cfg.LogEvery)
			if metrics != nil {
				metrics(map[string]any{"grad_steps": step + 1, "v_loss": vSum / n, "q_loss": qSum / n, "actor_loss": aSum / n,
					"v": vMean / n, "mean_weight": wSum / n, "clipped_weights": clipped / n})
			}
			if log != nil {
				fmt.Fprintf(log, "iql %s step %d  v_loss %.4f  q_loss %.4f  actor_loss %.4f  V %.1f  mean weight %.2f  clipped %.3f\n",
					d.Env, step+1, vSum/n, qSum/n, aSum/n, vMean/n, wSum/n, clipped/n)
			}
			vSum, qSum, aSum, wSum, clipped, vMean = 0, 0, 0, 0, 0, 0
		}
	}
	if norm != nil {
		norm.fold(actor)
	}
	return &Policy{Actor: actor, Low: box.low, High: box.high, squash: true, scale: box.scale, bias: box.bias}, nil
}

// RunIQL trains IQL into dir like RunSAC.
func RunIQL(cfg IQLConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	envName, err := offlineEnv(cfg.Dataset, cfg.Env)
	if err != nil {
		return nil, err
	}
	return runAlgo("iql", cfg, envName, cfg.Seed, cfg.Steps, dir, evalEpisodes, func(metrics func(map[string]any)) (*Policy, error) {
		return TrainIQL(cfg, log, metrics)
	})
}
